using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;

namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// PBS Pro / OpenPBS job history: one <c>qstat -x -f -F json ID ID ...</c> per batch (job history
/// must be on: server attribute job_history_enable). Start (<c>stime</c>), end (<c>obittime</c>) and
/// how it ended (<c>Exit_status</c>); cores and memory stay what the pool asked
/// for. An id the server no longer knows makes qstat exit non-zero with "Unknown Job Id" while it
/// still prints the others: those are read.
/// </summary>
public sealed class PbsAccounting(IProcessRunner runner, SchedulerOptions options, TimeZoneInfo zone) : IJobAccounting
{
    private const int Batch = 100;

    public string Source => "qstat -x";

    public int MaxPerTick => 500;

    public async Task<IReadOnlyList<JobUsage>> UsageAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new List<JobUsage>();
        foreach (var chunk in ids.Chunk(Batch))
        {
            var spec = new ProcessSpec(JobAccountingFactory.Command(options, "qstat"), ["-x", "-f", "-F", "json", .. chunk], Timeout: options.CommandTimeout);
            var result = await JobAccountingFactory.RunAsync(runner, spec, cancellationToken).ConfigureAwait(false);
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
                found.AddRange(Parse(result.StandardOutput, zone));
            }
            catch (FormatException ex)
            {
                throw new SchedulerException($"`{spec.Display()}` printed output that cannot be read: {ex.Message}", ex);
            }
        }

        return found;
    }

    /// <summary>The jobs of a <c>qstat -x -f -F json</c> answer (pure); an array's parent is no pilot and is left out.</summary>
    public static IReadOnlyList<JobUsage> Parse(string output, TimeZoneInfo zone) =>
        PbsParsers.ParseJson(output, zone).Jobs
            .Where(j => !j.IsArrayParent)
            .Select(j =>
            {
                var finished = PbsStates.Map(j.State, PbsFlavor.PbsPro).State == PilotState.Finished;
                return new JobUsage(j.Id, j.QueueTime, j.StartTime, finished ? j.EndTime : null, null, null, null, j.State,
                    finished ? PbsStates.EndFromExit(j.ExitStatus, PbsFlavor.PbsPro, j.StartTime is not null) : null);
            })
            .ToList();

    /// <summary>PBS has no per-account usage figure to compare with here.</summary>
    public Task<string?> AccountUsageAsync(string account, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
