using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Schedulers.Lsf;

/// <summary>IBM Spectrum LSF through <c>bsub</c>, <c>bjobs</c>, <c>bkill</c>.</summary>
public sealed class LsfScheduler : IScheduler
{
    private readonly CommandRunner _commands;
    private readonly ILogger _logger;
    private readonly SchedulerOptions _defaults;
    private readonly TimeProvider _time;
    private readonly TimeZoneInfo _zone;

    // Set once bjobs rejects -json (LSF before 10.1 FP4): the delimited text form is used from then on.
    private volatile bool _jsonUnsupported;

    /// <param name="defaults">Settings for calls that carry none (listing, cancel, outcomes): bin_dir, command_timeout.</param>
    public LsfScheduler(IProcessRunner runner, TimeProvider? time = null, ILogger? logger = null, SchedulerOptions? defaults = null, TimeZoneInfo? zone = null)
    {
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _defaults = defaults ?? new SchedulerOptions { Kind = SchedulerKinds.Lsf.Name };
        _commands = new CommandRunner(runner, _defaults, (_, ex) => $"lsf: {ex.Message}");
        _zone = zone ?? TimeZoneInfo.Local;
    }

    public string Kind => SchedulerKinds.Lsf.Name;

    public async Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.JobNames.Count == 0)
        {
            return [];
        }

        // Straight to pilots: a listing of every job on the cluster makes no job record per job.
        return await QueryAsync(
            LsfParsers.ListFields,
            query.User,
            query.IncludeFinished,
            (stdout, json, now) => json
                ? LsfParsers.PilotsFromJson(stdout, query.JobNames, query.IncludeFinished, now, _zone)
                : LsfParsers.PilotsFromDelimited(stdout, LsfParsers.ListFields, query.JobNames, query.IncludeFinished, now, _zone),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "Count must be at least 1");
        }

        SettingChecks.Refuse(ValidateSettings(request.Scheduler, request.JobName), $"lsf: refusing to submit pool {request.PoolName}");

        var array = request.Count > 1 && request.UseArray && request.Scheduler.UseArrays;
        if (array)
        {
            var id = await SubmitOneAsync(request, request.Count, cancellationToken).ConfigureAwait(false);
            var elements = Enumerable.Range(1, request.Count).Select(i => $"{id}[{i.ToString(CultureInfo.InvariantCulture)}]").ToList();
            return new SubmitResult(elements, id);
        }

        return await SubmitResult.OneByOneAsync(request.Count, () => SubmitOneAsync(request, 1, cancellationToken)).ConfigureAwait(false);
    }

    public async Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pilotIds);
        foreach (var batch in pilotIds.Distinct(StringComparer.Ordinal).Chunk(100))
        {
            var result = await _commands.RunAsync(_defaults, "bkill", batch, cancellationToken).ConfigureAwait(false);
            var errors = Lines(result.StandardError).Where(l => !LsfParsers.IsBanner(l)).ToList();
            var bad = errors.Where(l => !LsfParsers.IsGone(l)).ToList();
            if (result.TimedOut || bad.Count > 0 || (!result.Succeeded && errors.Count == 0))
            {
                throw new SchedulerException($"lsf: cancel failed: {result.Describe()}");
            }
        }
    }

    /// <summary>LSF has no dry-run submission: the queue is looked up with `bqueues QUEUE`.</summary>
    public async Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Scheduler.Queue))
        {
            return new SubmitTest(false, true, null, "lsf has no dry-run submission; no queue is set, so the cluster's default queue is used");
        }

        return SubmitTest.QueueLookup(Kind, await _commands.RunAsync(request.Scheduler, "bqueues", [request.Scheduler.Queue], cancellationToken).ConfigureAwait(false));
    }

    public async Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var jobs = await QueryAsync(
            LsfParsers.OutcomeFields,
            query.User,
            includeFinished: true,
            (stdout, json, now) => json ? LsfParsers.ParseJson(stdout, now, _zone) : LsfParsers.ParseDelimited(stdout, LsfParsers.OutcomeFields, now, _zone),
            cancellationToken).ConfigureAwait(false);
        return new OutcomeReport(true, LsfParsers.ToOutcomes(jobs, query.JobNames, query.Since), "bjobs -a shows finished jobs for CLEAN_PERIOD (default 1 hour)");
    }

    public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<SettingProblem>();
        SettingChecks.CheckCommon(problems, options);
        SettingChecks.CheckDrainLead(problems, options);
        SettingChecks.CheckPlain(problems, "scheduler.queue", options.Queue);
        SettingChecks.CheckPlain(problems, "scheduler.account", options.Account);
        // The array suffix [1-k] is added by autopilot; LSF's limit on a name is 4094 characters.
        SettingChecks.CheckJobName(problems, jobName, 4000, "LSF");
        if (options.Walltime > TimeSpan.Zero && (options.Walltime < TimeSpan.FromMinutes(1) || options.Walltime.Ticks % TimeSpan.TicksPerMinute != 0))
        {
            problems.Add(new("scheduler.walltime", $"LSF -W takes whole minutes; {options.Walltime} would be cut to {(long)options.Walltime.TotalMinutes} min, give a whole number of minutes"));
        }

        problems.AddRange(LsfKind.ExtraArgs.Check(options.ExtraArgs));

        return problems;
    }

    private async Task<string> SubmitOneAsync(SubmitRequest request, int arraySize, CancellationToken cancellationToken)
    {
        var args = BuildSubmitArgs(request, arraySize);
        var env = request.Environment?.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        return await _commands.ReadAnswerAsync(
            _commands.Spec(request.Scheduler, "bsub", args, env),
            r => LsfParsers.ParseSubmitId(r.StandardOutput + "\n" + r.StandardError),
            r => $"lsf: submit failed: {r.Describe()}",
            (ProcessResult r, FormatException ex) => $"lsf: `{r.Spec.Display()}` succeeded but {ex.Message}",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The bsub argument array. Walltime <c>-W H:MM</c> in whole minutes (cut down: LSF kills at the limit,
    /// and the template drains against the configured walltime). Memory <c>-R rusage[mem=N]</c> with N
    /// in MB, which is LSF_UNIT_FOR_LIMITS=MB (the common setting); sites on KB units (old default) or
    /// wanting per-slot/total semantics set memory to 0 and pass their own <c>-R "rusage[mem=...]"</c> in
    /// extra_args, which also turns ours off. No warning action (<c>-wa USR1 -wt M</c>) by default: LSF
    /// signals every process of the job, so tasks without a USR1 handler would die; the pilot template
    /// drains itself from a timer instead (sites whose tasks ignore USR1 may add -wa/-wt in extra_args,
    /// the template passes the signal on). Environment: bsub copies its whole environment into the job
    /// unless told otherwise (<c>-env "all"</c> is the default), so <c>-env</c> names exactly what the pilot
    /// gets: PATH and the request's own variables, their values taken from bsub's environment (never on
    /// the command line), which is itself only <see cref="Processes.ChildEnvironment"/>'s allow-list. The
    /// script is the job's command (it must be executable and visible on the execution host); #BSUB lines
    /// in it are not read.
    /// </summary>
    internal static List<string> BuildSubmitArgs(SubmitRequest request, int arraySize)
    {
        var o = request.Scheduler;
        var name = arraySize > 1 ? $"{request.JobName}[1-{arraySize.ToString(CultureInfo.InvariantCulture)}]" : request.JobName;
        var args = new List<string> { "-J", name };
        if (!string.IsNullOrEmpty(o.Queue))
        {
            args.AddRange(["-q", o.Queue]);
        }

        if (!string.IsNullOrEmpty(o.Account))
        {
            args.AddRange(["-P", o.Account]);
        }

        var minutes = Math.Max(1, (long)o.Walltime.TotalMinutes);
        args.AddRange(["-W", FormatMinutes(minutes)]);
        var cpus = Math.Max(1, o.Cpus);
        var nodes = Math.Max(1, o.Nodes);
        args.AddRange(["-n", (cpus * nodes).ToString(CultureInfo.InvariantCulture)]);
        if (nodes > 1)
        {
            args.AddRange(["-R", $"span[ptile={cpus.ToString(CultureInfo.InvariantCulture)}]"]);
        }
        else if (cpus > 1)
        {
            args.AddRange(["-R", "span[hosts=1]"]);
        }

        var ownMemory = o.ExtraArgs.Any(a => a.Contains("rusage[mem", StringComparison.Ordinal));
        if (o.MemoryMb > 0 && !ownMemory)
        {
            args.AddRange(["-R", $"rusage[mem={o.MemoryMb.ToString(CultureInfo.InvariantCulture)}]"]);
        }

        var suffix = arraySize > 1 ? "%J_%I" : "%J";
        args.AddRange(["-o", Path.Combine(request.LogDirectory, $"{request.JobName}.{suffix}.out")]);
        args.AddRange(["-e", Path.Combine(request.LogDirectory, $"{request.JobName}.{suffix}.err")]);
        args.AddRange(["-env", string.Join(',', (request.Environment?.Keys ?? []).Where(k => k != "PATH").Order(StringComparer.Ordinal).Prepend("PATH"))]);
        args.AddRange(o.ExtraArgs);
        args.Add(request.ScriptPath);
        return args;
    }

    private static string FormatMinutes(long minutes) =>
        string.Create(CultureInfo.InvariantCulture, $"{minutes / 60}:{minutes % 60:00}");

    /// <summary>
    /// One bjobs call: <c>bjobs [-a] [-u user] -o "fields" -json</c>, or after bjobs rejected -json,
    /// <c>bjobs [-a] [-u user] -noheader -o "fields delimiter='|'"</c>. "No unfinished job found" is an empty listing.
    /// </summary>
    /// <param name="parse">Reads the output (JSON when the flag says so, else the delimited form of <paramref name="fields"/>) as of now.</param>
    private async Task<IReadOnlyList<T>> QueryAsync<T>(
        string fields, string? user, bool includeFinished, Func<string, bool, DateTimeOffset, IReadOnlyList<T>> parse, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var json = !_jsonUnsupported;
            var args = new List<string>();
            if (includeFinished)
            {
                args.Add("-a");
            }

            if (!string.IsNullOrEmpty(user))
            {
                args.AddRange(["-u", user]);
            }

            if (json)
            {
                args.AddRange(["-o", fields, "-json"]);
            }
            else
            {
                args.AddRange(["-noheader", "-o", fields + " delimiter='|'"]);
            }

            var result = await _commands.RunAsync(_defaults, "bjobs", args, cancellationToken).ConfigureAwait(false);
            var errors = Lines(result.StandardError).Where(l => !LsfParsers.IsBanner(l)).ToList();
            var noJobs = errors.Any(LsfParsers.IsNoJobs);
            if (!result.Succeeded)
            {
                if (!result.TimedOut && json && errors.Any(IsJsonRejected))
                {
                    _logger.LogInformation("bjobs does not know -json; using -noheader with a delimiter");
                    _jsonUnsupported = true;
                    continue;
                }

                if (result.TimedOut || !noJobs || errors.Any(l => !LsfParsers.IsNoJobs(l)))
                {
                    throw new SchedulerException($"lsf: listing failed: {result.Describe()}");
                }
            }

            if (result.OutputTruncated)
            {
                throw new SchedulerException($"lsf: `{result.Spec.Display()}` printed more than {result.Spec.MaxOutputBytes} bytes; the listing is incomplete");
            }

            var stdout = result.StandardOutput;
            if (noJobs && LenientJsonReader.FindJsonStart(stdout) < 0 && Lines(stdout).All(LsfParsers.IsBanner))
            {
                return [];
            }

            try
            {
                var now = _time.GetUtcNow();
                return parse(stdout, json, now);
            }
            catch (FormatException ex)
            {
                throw new SchedulerException($"lsf: cannot read the output of `{result.Spec.Display()}`: {ex.Message}", ex);
            }
        }

        throw new SchedulerException("lsf: bjobs refused every listing form");
    }

    private static bool IsJsonRejected(string line) =>
        line.Contains("json", StringComparison.OrdinalIgnoreCase)
        && (line.Contains("illegal option", StringComparison.OrdinalIgnoreCase) || line.Contains("invalid option", StringComparison.OrdinalIgnoreCase) || line.Contains("unknown option", StringComparison.OrdinalIgnoreCase));

    private static List<string> Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
