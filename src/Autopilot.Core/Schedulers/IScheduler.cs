using Autopilot.Configuration;
using Autopilot.Domain;

namespace Autopilot.Schedulers;

/// <summary>
/// One batch system (Slurm, PBS, LSF, Grid Engine, local processes). Implementations run the
/// scheduler's commands through <see cref="Processes.IProcessRunner"/> and parse their output
/// with a pure parser. Every failure throws <see cref="SchedulerException"/> naming the command
/// and its stderr: a listing that cannot be read must never look like "no pilots".
/// </summary>
public interface IScheduler
{
    /// <summary>The kind as written in the configuration: slurm, pbs, torque, lsf, sge, local.</summary>
    string Kind { get; }

    /// <summary>
    /// Lists this controller's pilots, those whose job name is one of <paramref name="query"/>'s names,
    /// with ONE scheduler call however many pools are asked for.
    /// </summary>
    Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken);

    /// <summary>Submits <see cref="SubmitRequest.Count"/> pilots, as one job array when the request allows it.</summary>
    Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken);

    /// <summary>Cancels the given pilot ids (array elements individually). Ids already gone are not an error.</summary>
    Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken);

    /// <summary>
    /// How recently finished pilots ended, from the scheduler's accounting. Returns
    /// <see cref="OutcomeReport.Unavailable"/> when this scheduler or site has no accounting to read.
    /// </summary>
    Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Pure check of a pool's settings against this scheduler's rules (job-name length, walltime
    /// format, characters that would break the command line). Returns one message per problem,
    /// each naming the key (e.g. "scheduler.queue: ..."); empty when all is well. Used by `check`.
    /// </summary>
    IReadOnlyList<string> ValidateSettings(SchedulerOptions options, string jobName);
}

/// <param name="JobNames">Exact job names to list (one per pool, <c>&lt;prefix&gt;-&lt;pool&gt;</c>).</param>
/// <param name="IncludeFinished">Also return finished pilots the scheduler still shows.</param>
/// <param name="User">Whose jobs; null means the current user.</param>
public sealed record PilotQuery(IReadOnlyCollection<string> JobNames, bool IncludeFinished = false, string? User = null);

/// <param name="PoolName">The pool submitting.</param>
/// <param name="JobName">The job name every pilot of this pool carries.</param>
/// <param name="ScriptPath">The rendered pilot script.</param>
/// <param name="Count">How many pilots.</param>
/// <param name="Scheduler">The pool's neutral submission settings.</param>
/// <param name="LogDirectory">Where the pilot's stdout/stderr go.</param>
/// <param name="UseArray">Submit Count &gt; 1 as one array.</param>
public sealed record SubmitRequest(
    string PoolName,
    string JobName,
    string ScriptPath,
    int Count,
    SchedulerOptions Scheduler,
    string LogDirectory,
    bool UseArray = true,
    IReadOnlyDictionary<string, string>? Environment = null);

/// <param name="JobIds">The ids created: one per pilot, or the array's elements.</param>
/// <param name="ArrayJobId">The array's id when one array was submitted.</param>
public sealed record SubmitResult(IReadOnlyList<string> JobIds, string? ArrayJobId = null)
{
    /// <summary>
    /// <paramref name="count"/> pilots submitted as one job each. When one fails after others went in,
    /// the error names those: they are in the queue and are found by name next tick.
    /// </summary>
    public static async Task<SubmitResult> OneByOneAsync(int count, Func<Task<string>> submitOne)
    {
        ArgumentNullException.ThrowIfNull(submitOne);
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            try
            {
                ids.Add(await submitOne().ConfigureAwait(false));
            }
            catch (SchedulerException ex) when (ids.Count > 0)
            {
                throw new SchedulerException($"{ex.Message} (after {ids.Count} of {count} pilots were submitted: {string.Join(", ", ids)})", ex, ids);
            }
        }

        return new SubmitResult(ids);
    }
}

/// <param name="JobNames">Pilots of these names.</param>
/// <param name="Since">Ended after this time.</param>
public sealed record OutcomeQuery(IReadOnlyCollection<string> JobNames, DateTimeOffset Since, string? User = null);

/// <param name="Available">False when accounting cannot be read here (disabled, not supported); policy then degrades.</param>
public sealed record OutcomeReport(bool Available, IReadOnlyList<PilotOutcome> Outcomes, string? Note = null)
{
    public static OutcomeReport Unavailable(string why) => new(false, [], why);
}

/// <summary>A scheduler command failed or printed something we cannot trust.</summary>
/// <param name="submittedIds">A submission that failed part-way: the pilots that did go in (they are in the queue).</param>
public sealed class SchedulerException(string message, Exception? inner = null, IReadOnlyList<string>? submittedIds = null) : Exception(message, inner)
{
    /// <summary>Pilots submitted before the failure; empty when none were (or the call was no submission).</summary>
    public IReadOnlyList<string> SubmittedIds { get; } = submittedIds ?? [];
}
