using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Schedulers.GridEngine;

/// <summary>
/// Grid Engine (Sun GE 6.x, Son of Grid Engine 8.x, Univa/Altair GE, Open Cluster Scheduler) through
/// <c>qsub</c>, <c>qstat -xml</c>, <c>qdel</c> and <c>qacct</c>. SGE_ROOT, SGE_CELL (and
/// SGE_QMASTER_PORT where a site sets it) come from the environment the commands inherit.
/// See docs/schedulers.md (Grid Engine) for the flags, the state table and the quirks.
/// </summary>
public sealed partial class GridEngineScheduler : IScheduler
{
    /// <summary>A listing of 100,000 jobs is ~45 MB of XML; the default capture limit would cut it.</summary>
    private const int ListingMaxBytes = 512 * 1024 * 1024;

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "NONE", "ALL", "TEMPLATE" };

    private readonly CommandRunner _commands;
    private readonly SchedulerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>The job context variable (<c>qsub -ac</c>) that carries the <see cref="PilotMarker"/>.</summary>
    public const string MarkerVariable = "AUTOPILOT";

    private readonly string _marker;

    /// <param name="marker">The job context value every pilot gets; a job of a pilot's name without it is foreign.</param>
    public GridEngineScheduler(IProcessRunner runner, SchedulerOptions? options = null, ILogger<GridEngineScheduler>? logger = null, TimeProvider? time = null, string? marker = null)
    {
        _marker = marker ?? PilotMarker.Default;
        ArgumentNullException.ThrowIfNull(runner);
        _options = options ?? new SchedulerOptions { Kind = SchedulerKinds.GridEngine.Name };
        _commands = new CommandRunner(runner, _options, (_, ex) => ex.Message + Hint(null));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public string Kind => SchedulerKinds.GridEngine.Name;

    public async Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.JobNames.Count == 0)
        {
            return [];
        }

        // qstat shows only the caller's jobs by default on most installs, but a site sge_qstat file
        // can change that; -u makes it explicit. -r adds full_job_name and the h_rt request.
        var user = query.User ?? Environment.UserName;
        var spec = _commands.Spec(_options, "qstat", ["-xml", "-r", "-u", user]) with { MaxOutputBytes = ListingMaxBytes };
        var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Failure(result);
        }

        if (result.OutputTruncated)
        {
            throw new SchedulerException($"`{spec.Display()}` printed more than {ListingMaxBytes} bytes; the listing cannot be trusted");
        }

        IReadOnlyList<Pilot> pilots;
        try
        {
            pilots = GridEngineParser.ParseQstatXml(result.StandardOutput, query.JobNames, _time.LocalTimeZone);
        }
        catch (FormatException ex)
        {
            throw new SchedulerException($"`{spec.Display()}` printed output that cannot be read: {ex.Message}", ex);
        }

        return pilots.Count == 0 ? pilots : await MarkForeignAsync(pilots, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// qstat's listing shows no job context, so the jobs that carry a pilot's name are asked about
    /// once more, together (<c>qstat -j a,b,c -xml</c>): only those with our marker are pilots. A job
    /// gone in between is no pilot any more either.
    /// </summary>
    private async Task<IReadOnlyList<Pilot>> MarkForeignAsync(IReadOnlyList<Pilot> pilots, CancellationToken cancellationToken)
    {
        var jobs = pilots.Select(p => JobNumber(p.Id)).Distinct(StringComparer.Ordinal).ToList();
        var spec = _commands.Spec(_options, "qstat", ["-j", string.Join(',', jobs), "-xml"]) with { MaxOutputBytes = ListingMaxBytes };
        var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded || result.OutputTruncated)
        {
            throw new SchedulerException($"cannot tell pilots from look-alike jobs: {result.Describe()}{Hint(result)}");
        }

        GridEngineDetailReport report;
        try
        {
            report = GridEngineParser.ParseJobDetailXml(result.StandardOutput);
        }
        catch (FormatException ex)
        {
            throw new SchedulerException($"`{spec.Display()}` printed output that cannot be read: {ex.Message}", ex);
        }

        var ours = report.Jobs
            .Where(j => j.Context is not null && j.Context.TryGetValue(MarkerVariable, out var v) && v == _marker)
            .Select(j => j.JobNumber)
            .ToHashSet(StringComparer.Ordinal);
        return pilots.Select(p => ours.Contains(JobNumber(p.Id)) ? p : p with { Foreign = true }).ToList();
    }

    private static string JobNumber(string id)
    {
        var dot = id.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? id : id[..dot];
    }

    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Count, "count must be at least 1");
        }

        SettingChecks.Refuse(ValidateSettings(request.Scheduler, request.JobName), $"pool '{request.PoolName}' cannot be submitted to Grid Engine");

        var asArray = request.Count > 1 && request.UseArray && request.Scheduler.UseArrays;
        if (asArray)
        {
            var submission = await SubmitOneAsync(request, request.Count, cancellationToken).ConfigureAwait(false);
            if (submission.Tasks.Count != request.Count)
            {
                throw new SchedulerException($"qsub created array {submission.JobId} with {submission.Tasks.Count} tasks, {request.Count} were asked for");
            }

            return new SubmitResult(submission.Tasks.Select(t => $"{submission.JobId}.{t}").ToList(), submission.JobId);
        }

        return await SubmitResult.OneByOneAsync(request.Count, async () => (await SubmitOneAsync(request, 1, cancellationToken).ConfigureAwait(false)).JobId).ConfigureAwait(false);
    }

    private async Task<GridEngineSubmission> SubmitOneAsync(SubmitRequest request, int arraySize, CancellationToken cancellationToken)
    {
        var args = BuildSubmitArguments(request, arraySize, _marker);
        var spec = _commands.Spec(request.Scheduler, "qsub", args);
        if (request.Environment is { Count: > 0 } env)
        {
            // Values travel in qsub's own environment and are named with -v NAME, so they never
            // appear on a command line (ps) and commas in values cannot split them.
            spec = spec with { Environment = env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value) };
        }

        var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw Failure(result);
        }

        try
        {
            var submission = GridEngineParser.ParseSubmit(result.StandardOutput);
            _logger.LogInformation("pool {Pool}: submitted {JobId}{Tasks} ({Name})", request.PoolName, submission.JobId,
                submission.IsArray ? $" with {submission.Tasks.Count} tasks" : "", request.JobName);
            return submission;
        }
        catch (FormatException ex)
        {
            throw new SchedulerException($"`{spec.Display()}` succeeded but {ex.Message}", ex);
        }
    }

    /// <summary>The qsub argument array (without the executable) for one submission.</summary>
    internal static List<string> BuildSubmitArguments(SubmitRequest request, int arraySize, string marker = PilotMarker.Default)
    {
        var o = request.Scheduler;
        var args = new List<string> { "-terse", "-N", request.JobName, "-ac", MarkerVariable + "=" + marker };
        if (!string.IsNullOrEmpty(o.Queue))
        {
            args.AddRange(["-q", o.Queue]);
        }

        if (!string.IsNullOrEmpty(o.Account))
        {
            args.AddRange(["-P", o.Account]);
        }

        args.AddRange(["-l", "h_rt=" + GridEngineParser.FormatDuration(o.Walltime)]);
        // No -l s_rt: Grid Engine sends the soft limit's SIGUSR1 to the job's whole process group
        // (checked on SGE 8.1.9), which kills every task process that does not handle USR1. The
        // pilot templates time the drain themselves (walltime_seconds - drain_lead_seconds) and
        // signal only their own client.
        if (o.Cpus > 1)
        {
            args.AddRange(["-pe", o.ParallelEnvironment!, o.Cpus.ToString(CultureInfo.InvariantCulture)]);
        }

        if (o.MemoryMb > 0)
        {
            // h_vmem is per slot: a pilot with N slots gets N times it.
            args.AddRange(["-l", "h_vmem=" + MemoryPerSlotMb(o).ToString(CultureInfo.InvariantCulture) + "M"]);
        }

        args.AddRange(["-o", request.LogDirectory, "-e", request.LogDirectory]);
        if (arraySize > 1)
        {
            args.AddRange(["-t", "1-" + arraySize.ToString(CultureInfo.InvariantCulture)]);
        }

        if (request.Environment is { Count: > 0 } env)
        {
            args.AddRange(["-v", string.Join(',', env.Keys.Order(StringComparer.Ordinal))]);
        }

        args.AddRange(["-S", "/bin/bash", "-b", "n"]);
        args.AddRange(o.ExtraArgs);
        args.Add(request.ScriptPath);
        return args;
    }

    /// <summary>MiB per slot = ceil(memory_mb / cpus), so the pilot never gets less than asked.</summary>
    internal static long MemoryPerSlotMb(SchedulerOptions o) => (o.MemoryMb + Math.Max(1, o.Cpus) - 1) / Math.Max(1, o.Cpus);

    /// <summary>
    /// `qsub -w v`: Grid Engine verifies the request against a dry scheduling run on an empty cluster
    /// and submits nothing. (`-verify` only prints the would-be job and accepts an unknown queue.)
    /// </summary>
    public async Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var args = BuildSubmitArguments(request, 1);
        args.InsertRange(1, ["-w", "v"]);
        return SubmitTest.FromDryRun(await _commands.RunAsync(_commands.Spec(request.Scheduler, "qsub", args), cancellationToken).ConfigureAwait(false));
    }

    public async Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pilotIds);
        if (pilotIds.Count == 0)
        {
            return;
        }

        var args = BuildCancelArguments(pilotIds);
        var spec = _commands.Spec(_options, "qdel", args);
        var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return;
        }

        if (result.TimedOut)
        {
            throw Failure(result);
        }

        // qdel exits 1 when any id failed, and says which on stdout; ids already gone are fine.
        GridEngineQdelReport report;
        try
        {
            report = GridEngineParser.ParseQdel(result.StandardOutput + "\n" + result.StandardError);
        }
        catch (FormatException ex)
        {
            throw new SchedulerException($"{result.Describe()}: {ex.Message}", ex);
        }


        if (report.Problems.Count > 0 || report.AlreadyGone.Count == 0)
        {
            var said = string.Join(" | ", report.Problems.DefaultIfEmpty(result.StandardOutput.Trim()));
            throw new SchedulerException($"`{spec.Display()}` exited with {result.ExitCode}: {said}");
        }

        _logger.LogDebug("qdel: already gone: {Ids}", string.Join(' ', report.AlreadyGone));
    }

    /// <summary>
    /// Whole jobs first (<c>qdel 12 13</c>), then one <c>N -t i,j</c> group per array, which qdel
    /// binds to the job id just before it: only the listed elements are touched.
    /// </summary>
    internal static List<string> BuildCancelArguments(IReadOnlyList<string> pilotIds)
    {
        var whole = new List<string>();
        var elements = new SortedDictionary<long, SortedSet<int>>();
        foreach (var id in pilotIds)
        {
            var m = PilotId().Match(id);
            if (!m.Success)
            {
                throw new SchedulerException($"'{id}' is not a Grid Engine job id (N or N.task)");
            }

            if (m.Groups[2].Success)
            {
                var job = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                if (!elements.TryGetValue(job, out var set))
                {
                    elements[job] = set = [];
                }

                set.Add(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
            }
            else if (!whole.Contains(id))
            {
                whole.Add(id);
            }
        }

        var args = new List<string>(whole);
        foreach (var (job, tasks) in elements)
        {
            var jobId = job.ToString(CultureInfo.InvariantCulture);
            if (whole.Contains(jobId))
            {
                continue;
            }

            args.AddRange([jobId, "-t", string.Join(',', tasks)]);
        }

        return args;
    }

    public async Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var zone = _time.LocalTimeZone;
        var since = TimeZoneInfo.ConvertTime(query.Since, zone);
        // -E makes -b select on end time (present in SGE 8.1.9 though missing from its -help).
        var begin = since.ToString("yyyyMMddHHmm.ss", CultureInfo.InvariantCulture);
        var outcomes = new List<PilotOutcome>();
        // qacct -j takes one name (a pattern, but no alternation), so one call per pool name.
        foreach (var name in query.JobNames.Distinct(StringComparer.Ordinal))
        {
            var args = new List<string> { "-j", name, "-E", "-b", begin };
            if (query.User is { } user)
            {
                args.AddRange(["-o", user]);
            }

            var spec = _commands.Spec(_options, "qacct", args) with { MaxOutputBytes = ListingMaxBytes };
            var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
            var said = result.StandardError + "\n" + result.StandardOutput;
            if (!result.Succeeded && !result.TimedOut)
            {
                if (said.Contains("not found", StringComparison.Ordinal) && said.Contains("error: job", StringComparison.Ordinal))
                {
                    continue;
                }

                if (said.Contains("No such file or directory", StringComparison.Ordinal) || said.Contains("no jobs running since startup", StringComparison.Ordinal))
                {
                    return OutcomeReport.Unavailable($"Grid Engine accounting cannot be read: {result.Describe()}");
                }
            }

            if (!result.Succeeded)
            {
                throw Failure(result);
            }

            try
            {
                outcomes.AddRange(GridEngineParser.ParseQacct(result.StandardOutput, zone)
                    .Where(a => a.JobName == name && (a.EndTime is null || a.EndTime >= query.Since))
                    .Select(GridEngineParser.ToOutcome));
            }
            catch (FormatException ex)
            {
                throw new SchedulerException($"`{spec.Display()}` printed output that cannot be read: {ex.Message}", ex);
            }
        }

        return new OutcomeReport(true, outcomes);
    }

    public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<SettingProblem>();
        // Rules from qsub itself (SGE 8.1.9 here): names may not start with a digit, may not contain
        // whitespace, ':', '*', '?' (and '/', '@', '\' break -o paths and queue syntax), may not be
        // NONE/ALL/TEMPLATE, and are at most 512 characters. We accept a safe subset.
        if (string.IsNullOrEmpty(jobName))
        {
            problems.Add(new(SettingProblem.JobName, "job name: empty"));
        }
        else if (char.IsAsciiDigit(jobName[0]))
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}': Grid Engine rejects names that start with a digit (set job_prefix to start with a letter)"));
        }
        else if (!SafeName().IsMatch(jobName))
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}': Grid Engine job names here may use only letters, digits and . _ + - (no spaces, '/', ':', '@', '\\', '*', '?')"));
        }
        else if (Keywords.Contains(jobName))
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}': {jobName} is a Grid Engine keyword"));
        }
        else if (jobName.Length > 512)
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName[..20]}...': longer than Grid Engine's 512 characters"));
        }

        if (options.Queue is { Length: > 0 } q && !SafeQueue().IsMatch(q))
        {
            problems.Add(new("scheduler.queue", $"'{q}': use a queue name (letters, digits, . _ -, optionally @host or a comma list)"));
        }

        if (options.Account is { Length: > 0 } a && (!SafeName().IsMatch(a) || char.IsAsciiDigit(a[0])))
        {
            problems.Add(new("scheduler.account", $"'{a}': a Grid Engine project name (letters, digits, . _ + -, not starting with a digit)"));
        }

        if (options.Cpus > 1 && string.IsNullOrWhiteSpace(options.ParallelEnvironment))
        {
            problems.Add(new("scheduler.parallel_environment", $"required for cpus = {options.Cpus} (Grid Engine grants more than one slot only through a parallel environment, e.g. smp)"));
        }

        if (options.ParallelEnvironment is { Length: > 0 } pe && (!SafeName().IsMatch(pe) || char.IsAsciiDigit(pe[0])))
        {
            problems.Add(new("scheduler.parallel_environment", $"'{pe}': a PE name (letters, digits, . _ + -)"));
        }

        if (options.Nodes > 1)
        {
            problems.Add(new("scheduler.nodes", $"{options.Nodes}: Grid Engine pilots are single-node here; spread slots with a parallel environment's allocation_rule instead"));
        }

        SettingChecks.CheckCommon(problems, options);
        SettingChecks.CheckDrainLead(problems, options);
        problems.AddRange(GridEngineKind.ExtraArgs.Check(options.ExtraArgs));

        return problems;
    }

    private SchedulerException Failure(ProcessResult result) => new($"{result.Describe()}{Hint(result)}");

    /// <summary>
    /// Why the Grid Engine commands may lack their environment. A local pool's commands inherit
    /// ours; a pool over ssh gets the remote account's, so our SGE_ROOT says nothing about it, and
    /// only a command the remote shell did not find (exit 127) points there.
    /// </summary>
    private string Hint(ProcessResult? result)
    {
        if (_options.Ssh is { } ssh)
        {
            return result is { ExitCode: 127 } || (result?.StandardError.Contains("command not found", StringComparison.Ordinal) ?? false)
                ? $" (not found on {ssh.Host}: commands there run in a non-interactive ssh session, so set SGE_ROOT and PATH in that account's shell startup file, e.g. source $SGE_ROOT/$SGE_CELL/common/settings.sh in ~/.bashrc, or set bin_dir)"
                : "";
        }

        return string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SGE_ROOT"))
            ? " (SGE_ROOT is not set: source $SGE_ROOT/$SGE_CELL/common/settings.sh in the controller's environment)"
            : "";
    }

    [GeneratedRegex(@"^(\d+)(?:\.(\d+))?$")]
    private static partial Regex PilotId();

    [GeneratedRegex(@"^[A-Za-z0-9._+-]+$")]
    private static partial Regex SafeName();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+(?:@[A-Za-z0-9._-]+)?(?:,[A-Za-z0-9._-]+(?:@[A-Za-z0-9._-]+)?)*$")]
    private static partial Regex SafeQueue();
}
