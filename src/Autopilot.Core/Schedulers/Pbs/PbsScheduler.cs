using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// PBS Professional / OpenPBS and Torque through <c>qsub</c>, <c>qstat</c>, <c>qdel</c>.
/// Kind "torque" always speaks Torque; kind "pbs" follows <see cref="SchedulerOptions.Flavor"/>
/// (auto: <c>qstat --version</c>, asked once per adapter).
/// </summary>
public sealed class PbsScheduler : IScheduler
{
    private readonly CommandRunner _commands;
    private readonly ILogger _logger;
    private readonly SchedulerOptions _defaults;
    private readonly TimeZoneInfo _zone;
    private readonly SemaphoreSlim _detectGate = new(1, 1);
    private PbsFlavor? _detected;

    // Listing strategies learned from the server, kept for the adapter's life (one call per tick after).
    private volatile bool _userFilterBroken;
    private volatile bool _jsonUnsupported;

    /// <param name="kind">"pbs" or "torque".</param>
    /// <param name="defaults">Settings for calls that carry none (listing, cancel, outcomes): bin_dir, flavor, command_timeout.</param>
    public PbsScheduler(string kind, IProcessRunner runner, ILogger? logger = null, SchedulerOptions? defaults = null, TimeZoneInfo? zone = null)
    {
        if (kind != SchedulerKinds.Pbs.Name && kind != SchedulerKinds.Torque.Name)
        {
            throw new ArgumentException($"PbsScheduler serves kinds pbs and torque, not '{kind}'", nameof(kind));
        }

        Kind = kind;
        _logger = logger ?? NullLogger.Instance;
        _defaults = defaults ?? new SchedulerOptions { Kind = kind };
        _commands = new CommandRunner(runner, _defaults, (_, ex) => $"{kind}: {ex.Message}");
        _zone = zone ?? TimeZoneInfo.Local;
    }

    public string Kind { get; }

    public async Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.JobNames.Count == 0)
        {
            return [];
        }

        var flavor = await ResolveFlavorAsync(_defaults, cancellationToken).ConfigureAwait(false);
        var user = query.User ?? Environment.UserName;
        var pilots = await QueryJobsAsync(flavor, user, query.IncludeFinished, () => new PbsPilotCollector(query.JobNames, flavor, user, query.IncludeFinished), cancellationToken).ConfigureAwait(false);
        return pilots.Pilots();
    }

    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "Count must be at least 1");
        }

        var flavor = await ResolveFlavorAsync(request.Scheduler, cancellationToken).ConfigureAwait(false);
        var problems = Validate(request.Scheduler, request.JobName, flavor);
        if (problems.Count > 0)
        {
            throw new SchedulerException($"{Kind}: refusing to submit pool {request.PoolName}: {string.Join("; ", problems)}");
        }

        var array = request.Count > 1 && request.UseArray && request.Scheduler.UseArrays;
        if (array)
        {
            var parent = await SubmitOneAsync(request, flavor, request.Count, cancellationToken).ConfigureAwait(false);
            return new SubmitResult(ExpandArray(parent, request.Count), parent);
        }

        return await SubmitResult.OneByOneAsync(request.Count, () => SubmitOneAsync(request, flavor, 1, cancellationToken)).ConfigureAwait(false);
    }

    public async Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pilotIds);
        // Batches keep the command line bounded however many pilots a scale-in cancels.
        foreach (var batch in pilotIds.Distinct(StringComparer.Ordinal).Chunk(100))
        {
            var result = await _commands.RunAsync(_defaults, "qdel", batch, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                continue;
            }

            var bad = ErrorLines(result).Where(l => !PbsParsers.IsUnknownJob(l) && !PbsParsers.IsAlreadyEnded(l)).ToList();
            if (result.TimedOut || bad.Count > 0 || ErrorLines(result).Count == 0)
            {
                throw new SchedulerException($"{Kind}: cancel failed: {result.Describe()}");
            }

            _logger.LogDebug("qdel: already gone: {Lines}", string.Join(" | ", ErrorLines(result)));
        }
    }

    /// <summary>PBS and Torque have no dry-run submission: the queue is looked up with `qstat -Q QUEUE`.</summary>
    public async Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrEmpty(request.Scheduler.Queue))
        {
            return new SubmitTest(false, true, null, $"{Kind} has no dry-run submission; no queue is set, so the server's default queue is used");
        }

        return SubmitTest.QueueLookup(Kind, await _commands.RunAsync(request.Scheduler, "qstat", ["-Q", request.Scheduler.Queue], cancellationToken).ConfigureAwait(false));
    }

    public async Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var flavor = await ResolveFlavorAsync(_defaults, cancellationToken).ConfigureAwait(false);
        var user = query.User ?? Environment.UserName;
        try
        {
            var jobs = await QueryJobsAsync(flavor, user, includeHistory: true, () => new PbsJobList(), cancellationToken).ConfigureAwait(false);
            var outcomes = PbsParsers.ToOutcomes(jobs, query.JobNames, flavor, query.Since, user);
            return flavor == PbsFlavor.Torque
                ? new OutcomeReport(true, outcomes, "Torque keeps finished jobs only for keep_completed seconds")
                : new OutcomeReport(true, outcomes);
        }
        catch (SchedulerException ex) when (ex.Message.Contains("not configured to maintain job history", StringComparison.OrdinalIgnoreCase))
        {
            return OutcomeReport.Unavailable("PBS job history is off (server attribute job_history_enable)");
        }
    }

    public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName)
    {
        ArgumentNullException.ThrowIfNull(options);
        PbsFlavor? flavor = Kind == SchedulerKinds.Torque.Name ? PbsFlavor.Torque : options.Flavor switch
        {
            "pbspro" => PbsFlavor.PbsPro,
            "torque" => PbsFlavor.Torque,
            _ => null,
        };
        var problems = Validate(options, jobName, flavor);
        if (Kind == SchedulerKinds.Pbs.Name && options.Flavor is not ("auto" or "pbspro" or "torque"))
        {
            problems.Insert(0, new("scheduler.flavor", $"'{options.Flavor}' is not one of auto, pbspro, torque"));
        }

        return problems;
    }

    private static List<SettingProblem> Validate(SchedulerOptions o, string jobName, PbsFlavor? flavor)
    {
        var problems = new List<SettingProblem>();
        SettingChecks.CheckCommon(problems, o);
        SettingChecks.CheckDrainLead(problems, o);
        problems.AddRange(PbsKind.ExtraArgs.Check(o.ExtraArgs));
        SettingChecks.CheckPlain(problems, "scheduler.queue", o.Queue);
        SettingChecks.CheckPlain(problems, "scheduler.account", o.Account);
        if (flavor == PbsFlavor.Torque)
        {
            // Torque before 6 cuts or rejects longer names; a cut name would no longer match the pool.
            SettingChecks.CheckJobName(problems, jobName, 15, "Torque", " (older versions); shorten job_prefix or the pool name");
            if (o.ExtraArgs.Contains("-J"))
            {
                problems.Add(new("scheduler.extra_args", "Torque's qsub has no -J (arrays are -t); it fails with exit 2"));
            }
        }
        else
        {
            SettingChecks.CheckJobName(problems, jobName, 236, "PBS Pro");
            if (jobName.Length > 0 && !char.IsAsciiLetter(jobName[0]))
            {
                problems.Add(new(SettingProblem.JobName, $"job name '{jobName}' must start with a letter for PBS"));
            }
        }

        return problems;
    }

    private async Task<string> SubmitOneAsync(SubmitRequest request, PbsFlavor flavor, int arraySize, CancellationToken cancellationToken)
    {
        var args = BuildSubmitArgs(request, flavor, arraySize);
        var env = request.Environment?.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        return await _commands.ReadAnswerAsync(
            _commands.Spec(request.Scheduler, "qsub", args, env),
            r => PbsParsers.ParseSubmitId(r.StandardOutput),
            r => $"{Kind}: submit failed: {r.Describe()}",
            (ProcessResult r, FormatException ex) => $"{Kind}: `{r.Spec.Display()}` succeeded but {ex.Message}",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The qsub argument array. PBS Pro: <c>-l select=N:ncpus=C:mem=Mmb</c>, arrays <c>-J 1-k</c>;
    /// Torque: <c>-l nodes=N:ppn=C,mem=Mmb</c>, arrays <c>-t 1-k</c>. Memory is given in MiB with the
    /// <c>mb</c> suffix, which both read as 2^20 bytes: no rounding. Walltime is HH:MM:SS rounded up to a
    /// whole second. Environment values never reach the command line: <c>-v NAME</c> copies them from
    /// qsub's own environment.
    /// </summary>
    internal static List<string> BuildSubmitArgs(SubmitRequest request, PbsFlavor flavor, int arraySize)
    {
        var o = request.Scheduler;
        var args = new List<string> { "-N", request.JobName };
        if (!string.IsNullOrEmpty(o.Queue))
        {
            args.AddRange(["-q", o.Queue]);
        }

        if (!string.IsNullOrEmpty(o.Account))
        {
            args.AddRange(["-A", o.Account]);
        }

        args.AddRange(["-l", "walltime=" + PbsTime.FormatWalltime(o.Walltime)]);
        var mem = o.MemoryMb > 0 ? o.MemoryMb.ToString(CultureInfo.InvariantCulture) + "mb" : null;
        var nodes = Math.Max(1, o.Nodes).ToString(CultureInfo.InvariantCulture);
        var cpus = Math.Max(1, o.Cpus).ToString(CultureInfo.InvariantCulture);
        if (flavor == PbsFlavor.PbsPro)
        {
            args.AddRange(["-l", $"select={nodes}:ncpus={cpus}" + (mem is null ? "" : ":mem=" + mem)]);
        }
        else
        {
            args.AddRange(["-l", $"nodes={nodes}:ppn={cpus}" + (mem is null ? "" : ",mem=" + mem)]);
        }

        if (arraySize > 1)
        {
            args.AddRange([flavor == PbsFlavor.PbsPro ? "-J" : "-t", "1-" + arraySize.ToString(CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["-o", request.LogDirectory, "-e", request.LogDirectory]);
        if (request.Environment is { Count: > 0 } env)
        {
            var bad = env.Keys.FirstOrDefault(k => !SettingChecks.IsEnvName(k));
            if (bad is not null)
            {
                throw new SchedulerException($"pbs: environment variable name '{bad}' cannot be passed with qsub -v");
            }

            args.AddRange(["-v", string.Join(',', env.Keys.Order(StringComparer.Ordinal))]);
        }

        args.AddRange(o.ExtraArgs);
        args.Add(request.ScriptPath);
        return args;
    }

    /// <summary><c>123[].server</c> with k elements → <c>123[1].server</c> … <c>123[k].server</c>.</summary>
    internal static IReadOnlyList<string> ExpandArray(string parent, int count)
    {
        var open = parent.IndexOf("[]", StringComparison.Ordinal);
        if (open < 0)
        {
            // Some qsub builds print the bare id; subjobs are still id[i].
            var dot = parent.IndexOf('.', StringComparison.Ordinal);
            open = dot < 0 ? parent.Length : dot;
            parent = parent[..open] + "[]" + parent[open..];
        }

        var head = parent[..(open + 1)];
        var tail = parent[(open + 1)..];
        return Enumerable.Range(1, count).Select(i => head + i.ToString(CultureInfo.InvariantCulture) + tail).ToList();
    }

    /// <summary>
    /// One listing call. PBS Pro: <c>qstat -f -F json -t [-x] -u user</c>; when the server mixes plain
    /// text into the JSON or calls -u a conflict (OpenPBS PR #2675) the same without -u, filtered by
    /// Job_Owner here; when -F json is unknown (PBS Pro before 13), <c>qstat -f -t</c> text.
    /// Torque: <c>qstat -x -t</c> (XML), or <c>qstat -f -t</c> text where -x is unknown.
    /// Each job read goes to a new sink per attempt (the pilots of a tick are collected without a job record each).
    /// </summary>
    private async Task<TSink> QueryJobsAsync<TSink>(PbsFlavor flavor, string user, bool includeHistory, Func<TSink> newSink, CancellationToken cancellationToken)
        where TSink : IPbsJobSink
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var (args, parse) = ListingCommand(flavor, user, includeHistory);
            var result = await _commands.RunAsync(_defaults, "qstat", args, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                if (LearnFromRefusal(result, json: parse is null, flavor))
                {
                    continue;
                }

                throw new SchedulerException($"{Kind}: listing failed: {result.Describe()}");
            }

            if (result.OutputTruncated)
            {
                throw new SchedulerException($"{Kind}: `{result.Spec.Display()}` printed more than {result.Spec.MaxOutputBytes} bytes; the listing is incomplete");
            }

            var sink = newSink();
            if (ReadListing(result, parse, sink))
            {
                return sink;
            }
        }

        throw new SchedulerException($"{Kind}: qstat kept refusing every listing form");
    }

    /// <summary>The qstat arguments of the best listing form this server is known to take, and its parser (null: JSON).</summary>
    private (List<string> Args, Action<string, IPbsJobSink>? Parse) ListingCommand(PbsFlavor flavor, string user, bool includeHistory)
    {
        List<string> args;
        Action<string, IPbsJobSink>? parse = null;
        if (flavor == PbsFlavor.Torque)
        {
            args = _jsonUnsupported ? ["-f", "-t"] : ["-x", "-t"];
            parse = _jsonUnsupported ? (s, sink) => PbsParsers.ParseFullText(s, _zone, sink) : (s, sink) => TorqueXmlParser.Parse(s, _zone, sink);
        }
        else if (_jsonUnsupported)
        {
            args = ["-f", "-t"];
            parse = (s, sink) => PbsParsers.ParseFullText(s, _zone, sink);
        }
        else
        {
            args = ["-f", "-F", "json", "-t"];
        }

        if (includeHistory && flavor == PbsFlavor.PbsPro)
        {
            args.Add("-x");
        }

        if (parse is null && !_userFilterBroken)
        {
            args.AddRange(["-u", user]);
        }

        return (args, parse);
    }

    /// <summary>True when qstat refused a form this server does not take and a plainer one is to be tried.</summary>
    private bool LearnFromRefusal(ProcessResult result, bool json, PbsFlavor flavor)
    {
        var stderr = result.StandardError;
        if (!result.TimedOut && json && !_userFilterBroken && stderr.Contains("conflicting options", StringComparison.OrdinalIgnoreCase))
        {
            _logger.LogInformation("qstat refuses -u with -F json; listing all jobs and filtering by owner");
            _userFilterBroken = true;
            return true;
        }

        if (!result.TimedOut && !_jsonUnsupported && IsUnknownOption(stderr))
        {
            _logger.LogInformation("qstat does not know {Flag}; falling back to `qstat -f` text", flavor == PbsFlavor.Torque ? "-x" : "-F json");
            _jsonUnsupported = true;
            return true;
        }

        return false;
    }

    /// <summary>Parses a listing into <paramref name="sink"/>; false when it showed the -u filter is broken here and the listing is to be taken again.</summary>
    private bool ReadListing(ProcessResult result, Action<string, IPbsJobSink>? parse, IPbsJobSink sink)
    {
        try
        {
            if (parse is not null)
            {
                parse(result.StandardOutput, sink);
                return true;
            }

            if (result.StandardOutput.AsSpan().IsWhiteSpace())
            {
                // qstat -u with no matching job prints nothing.
                return true;
            }

            var listing = PbsParsers.ParseJson(result.StandardOutput, _zone, sink);
            if (listing.PlainTextPrefix is not null && !_userFilterBroken)
            {
                _logger.LogInformation("qstat printed plain text before its JSON (OpenPBS PR 2675); listing all jobs and filtering by owner");
                _userFilterBroken = true;
                return false;
            }

            if (listing.PlainTextPrefix is not null)
            {
                throw new FormatException($"plain text before the JSON: '{ErrorText.Clip(listing.PlainTextPrefix)}'");
            }

            if (!listing.HasJobsKey && result.StandardError.Trim().Length > 0)
            {
                // -F json prints a stub even when the server cannot be reached.
                throw new SchedulerException($"{Kind}: listing failed: {result.Describe()}");
            }

            return true;
        }
        catch (FormatException ex)
        {
            throw new SchedulerException($"{Kind}: cannot read the output of `{result.Spec.Display()}`: {ex.Message}", ex);
        }
    }

    private static bool IsUnknownOption(string stderr) =>
        stderr.Contains("invalid option", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("illegal option", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("unrecognized option", StringComparison.OrdinalIgnoreCase);

    private async Task<PbsFlavor> ResolveFlavorAsync(SchedulerOptions options, CancellationToken cancellationToken)
    {
        if (Kind == SchedulerKinds.Torque.Name)
        {
            return PbsFlavor.Torque;
        }

        var configured = options.Flavor is "pbspro" or "torque" ? options.Flavor : _defaults.Flavor;
        switch (configured)
        {
            case "pbspro":
                return PbsFlavor.PbsPro;
            case "torque":
                return PbsFlavor.Torque;
        }

        if (_detected is { } known)
        {
            return known;
        }

        await _detectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_detected is { } again)
            {
                return again;
            }

            var result = await _commands.RunAsync(options, "qstat", ["--version"], cancellationToken).ConfigureAwait(false);
            var flavor = PbsParsers.ParseVersion(result.StandardOutput + "\n" + result.StandardError);
            if (result.TimedOut || flavor is null)
            {
                throw new SchedulerException($"pbs: cannot tell PBS Pro from Torque (set scheduler.flavor to pbspro or torque): {result.Describe()}");
            }

            _logger.LogDebug("qstat --version: {Flavor}", flavor);
            _detected = flavor;
            return flavor.Value;
        }
        finally
        {
            _detectGate.Release();
        }
    }

    private static List<string> ErrorLines(ProcessResult result) =>
        (result.StandardError + "\n" + result.StandardOutput).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
}
