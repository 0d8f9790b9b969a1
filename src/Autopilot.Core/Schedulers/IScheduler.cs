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
    /// format, characters that would break the command line). Returns one problem per broken rule,
    /// each with the setting it is about; empty when all is well. Used by `check` and before a submission.
    /// </summary>
    IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName);

    /// <summary>
    /// Asks the scheduler to validate one submission of <paramref name="request"/> without running it
    /// (`check --submit-test`). Where the scheduler has no such dry-run, validates what it can (the
    /// queue exists) and says so in <see cref="SubmitTest.DryRun"/>.
    /// </summary>
    Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken);
}

/// <summary>A pool setting a scheduler refuses.</summary>
/// <param name="Key">The setting, relative to the pool: <c>scheduler.queue</c>, <c>scheduler.extra_args</c>, or <see cref="JobName"/>.</param>
/// <param name="Message">The rule that is broken, without the key.</param>
public sealed record SettingProblem(string Key, string Message)
{
    /// <summary>The job name, <c>&lt;job_prefix&gt;-&lt;pool name&gt;</c>: reported at the pool's name.</summary>
    public const string JobName = "name";

    /// <summary>The configuration key under <paramref name="poolKey"/> (<c>pool:0</c>) that this problem is about.</summary>
    public string ConfigKey(string poolKey) => $"{poolKey}:{Key.Replace('.', ':')}";

    public override string ToString() => Key == JobName ? Message : $"{Key}: {Message}";
}

/// <summary>What a scheduler said about a submission it was asked to validate, not run.</summary>
/// <param name="DryRun">True when the scheduler validated the whole submission; false when it has no dry-run and only a part (the queue) was checked.</param>
/// <param name="Ok">False when the scheduler refused it.</param>
/// <param name="Command">The command run (for the report), or null when nothing could be run.</param>
/// <param name="Message">The scheduler's own words (its refusal, or its verdict).</param>
public sealed record SubmitTest(bool DryRun, bool Ok, string? Command, string Message)
{
    /// <summary>The verdict of a queue lookup (`qstat -Q QUEUE`, `bqueues QUEUE`) for a scheduler without a dry-run.</summary>
    public static SubmitTest QueueLookup(string scheduler, Processes.ProcessResult result)
    {
        var verdict = FromDryRun(result);
        return new SubmitTest(false, verdict.Ok, verdict.Command,
            $"{scheduler} has no dry-run submission; " + (verdict.Ok ? "the queue exists" : "the queue lookup failed: " + verdict.Message));
    }

    /// <summary>The verdict of a real dry-run command: success, or its refusal in its own words.</summary>
    public static SubmitTest FromDryRun(Processes.ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var said = FirstLines(result.StandardError + "\n" + result.StandardOutput);
        return result.Succeeded
            ? new SubmitTest(true, true, result.Spec.Display(), said)
            : new SubmitTest(true, false, result.Spec.Display(), result.TimedOut || said.Length == 0 ? result.Describe() : $"`{result.Spec.Display()}` exited with {result.ExitCode}: {said}");
    }

    /// <summary>The non-empty lines of a command's output joined with "; " (at most 500 characters).</summary>
    private static string FirstLines(string text)
    {
        var joined = string.Join("; ", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
        return joined.Length <= 500 ? joined : joined[..500] + "...";
    }
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
