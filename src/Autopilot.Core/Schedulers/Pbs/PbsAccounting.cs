using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// PBS Pro / OpenPBS job history: one <c>qstat -x -f -F json ID ID ...</c> per batch (job history
/// must be on: server attribute job_history_enable). Torque: <c>qstat -x ID ID ...</c> (XML), which
/// shows a finished job for keep_completed seconds. Start (<c>stime</c>/<c>start_time</c>), end
/// (<c>obittime</c>/<c>comp_time</c>) and how it ended (exit status); cores and memory stay what the
/// pool asked for. An id the server no longer knows makes qstat exit non-zero with "Unknown Job Id"
/// while it still prints the others: those are read.
/// </summary>
public sealed class PbsAccounting(IProcessRunner runner, SchedulerOptions options, TimeZoneInfo zone, PbsFlavor flavor = PbsFlavor.PbsPro) : IJobAccounting
{
    private const int Batch = 100;

    private readonly CommandRunner _commands = new(runner, options, (spec, ex) => $"`{spec.Display()}` could not run: {ex.Message}");

    public string Source => "qstat -x";

    public int MaxPerTick => 500;

    public async Task<IReadOnlyList<JobUsage>> UsageAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new List<JobUsage>();
        foreach (var chunk in ids.Chunk(Batch))
        {
            IReadOnlyList<string> args = flavor == PbsFlavor.Torque ? ["-x", .. chunk] : ["-x", "-f", "-F", "json", .. chunk];
            var spec = _commands.Spec(options, "qstat", args);
            var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
            var onlyUnknown = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(PbsParsers.IsUnknownJob);
            if (!result.Succeeded && (result.TimedOut || !onlyUnknown))
            {
                throw new SchedulerException($"reading PBS job history failed: {result.Describe()}");
            }

            if (result.StandardOutput.Trim().Length == 0)
            {
                continue;
            }

            try
            {
                found.AddRange(flavor == PbsFlavor.Torque ? ParseTorque(result.StandardOutput, zone) : Parse(result.StandardOutput, zone));
            }
            catch (FormatException ex)
            {
                throw new SchedulerException($"`{spec.Display()}` printed output that cannot be read: {ex.Message}", ex);
            }
        }

        return found;
    }

    /// <summary>The jobs of a <c>qstat -x -f -F json</c> answer (pure); an array's parent is no pilot and is left out.</summary>
    public static IReadOnlyList<JobUsage> Parse(string output, TimeZoneInfo zone) => Usage(PbsParsers.ParseJson(output, zone).Jobs, PbsFlavor.PbsPro);

    /// <summary>The jobs of a Torque <c>qstat -x</c> XML answer (pure).</summary>
    public static IReadOnlyList<JobUsage> ParseTorque(string output, TimeZoneInfo zone) => Usage(TorqueXmlParser.Parse(output, zone), PbsFlavor.Torque);

    private static List<JobUsage> Usage(IEnumerable<PbsJob> jobs, PbsFlavor flavor) =>
        jobs.Where(j => !j.IsArrayParent)
            .Select(j =>
            {
                var finished = PbsStates.Map(j.State, flavor).State == PilotState.Finished;
                return new JobUsage(j.Id, j.QueueTime, j.StartTime, finished ? j.EndTime : null, null, null, null, j.State,
                    finished ? PbsStates.EndFromExit(j.ExitStatus, flavor, j.StartTime is not null) : null);
            })
            .ToList();

    /// <summary>PBS has no per-account usage figure to compare with here.</summary>
    public Task<string?> AccountUsageAsync(string account, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
