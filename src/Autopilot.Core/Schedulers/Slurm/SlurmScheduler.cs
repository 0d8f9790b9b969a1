using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Schedulers.Slurm;

/// <summary>
/// Slurm through its CLI: one squeue per listing, sbatch --parsable, scancel, sacct (or sacct -c when
/// accounting storage is disabled). Every command runs through <see cref="IProcessRunner"/> with the
/// pool's command timeout; every failure is a <see cref="SchedulerException"/> naming the command.
/// </summary>
public sealed class SlurmScheduler : IScheduler
{
    /// <summary>Slurm itself allows long names; 64 keeps squeue/sacct columns and log file names sane.</summary>
    public const int MaxJobNameLength = 64;

    private const int CancelBatch = 500;

    /// <summary>ISO times whatever the user's environment says, and no site/user format override of -o.</summary>
    private static readonly Dictionary<string, string?> SlurmEnvironment = new(StringComparer.Ordinal)
    {
        ["SLURM_TIME_FORMAT"] = "standard",
        ["SQUEUE_FORMAT"] = null,
        ["SQUEUE_FORMAT2"] = null,
        ["SACCT_FORMAT"] = null,
    };

    private readonly CommandRunner _commands;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeZoneInfo _zone;
    private readonly SchedulerOptions _defaults;
    private readonly string _marker;

    /// <param name="marker">The job comment every pilot gets; a job of a pilot's name without it is foreign.</param>
    /// <param name="defaults">Used for the command timeout and BinDir of calls that carry no pool settings (list, cancel, outcomes).</param>
    public SlurmScheduler(
        IProcessRunner runner,
        ILogger<SlurmScheduler>? logger = null,
        TimeProvider? time = null,
        SchedulerOptions? defaults = null,
        TimeZoneInfo? zone = null,
        string? marker = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(runner);
        _defaults = defaults ?? new SchedulerOptions { Kind = SchedulerKinds.Slurm.Name };
        _commands = new CommandRunner(runner, _defaults, (spec, ex) => $"`{spec.Display()}` could not run: {ex.Message}", SlurmEnvironment);
        _zone = zone ?? TimeZoneInfo.Local;
        _marker = marker ?? PilotMarker.Default;
    }

    public string Kind => SchedulerKinds.Slurm.Name;

    public async Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var names = query.JobNames.Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0)
        {
            return [];
        }

        foreach (var name in names)
        {
            if (JobNameProblem(name) is { } problem)
            {
                throw new SchedulerException($"cannot list Slurm pilots named '{name}': {problem}");
            }
        }

        var args = ListArguments(names, query.IncludeFinished, query.User);
        var result = await _commands.RunAsync(_defaults, "squeue", args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new SchedulerException($"listing pilots failed: {result.Describe()}");
        }

        if (result.OutputTruncated)
        {
            throw new SchedulerException($"listing pilots failed: `{result.Spec.Display()}` printed more than {result.Spec.MaxOutputBytes} bytes; the listing was cut");
        }

        IReadOnlyList<Pilot> pilots;
        try
        {
            pilots = SlurmParser.ParseSqueue(result.StandardOutput, _zone, _marker);
        }
        catch (SchedulerException ex)
        {
            throw new SchedulerException($"`{result.Spec.Display()}`: {ex.Message}", ex);
        }

        pilots = MatchNames(pilots, names);
        return query.IncludeFinished ? pilots : pilots.Where(p => p.State != PilotState.Finished).ToArray();
    }

    /// <summary>The squeue argv for a listing (exposed for tests and `plan --explain`).</summary>
    public static IReadOnlyList<string> ListArguments(IReadOnlyCollection<string> names, bool includeFinished, string? user)
    {
        var args = new List<string>(10);
        if (string.IsNullOrEmpty(user))
        {
            args.Add("--me");
        }
        else
        {
            args.Add("-u");
            args.Add(user);
        }

        args.Add("--name=" + string.Join(',', names));
        args.Add("-h");
        args.Add("-r");
        if (includeFinished)
        {
            // Without -t squeue shows every job that has not finished; finished ones linger for MinJobAge.
            args.Add("-t");
            args.Add("all");
        }

        args.Add("-o");
        args.Add(SlurmParser.SqueueFormat);
        return args;
    }

    /// <summary>
    /// squeue already filtered by name, so every row is ours. A name that is not exactly one we asked
    /// for was cut or mangled (a site wrapper, a non-UTF-8 byte): it maps to the single requested name it
    /// is a prefix of, and anything else is refused rather than guessed.
    /// </summary>
    internal static IReadOnlyList<Pilot> MatchNames(IReadOnlyList<Pilot> pilots, IReadOnlyCollection<string> names)
    {
        var set = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        List<Pilot>? fixedUp = null;
        for (var i = 0; i < pilots.Count; i++)
        {
            var p = pilots[i];
            if (set.Contains(p.Name))
            {
                fixedUp?.Add(p);
                continue;
            }

            var candidates = p.Name.Length == 0 ? [] : names.Where(n => n.StartsWith(p.Name, StringComparison.Ordinal)).Take(2).ToArray();
            if (candidates.Length != 1)
            {
                throw new SchedulerException(
                    $"squeue returned job {p.Id} named '{SlurmParser.Show(p.Name)}', which is none of the requested names ({string.Join(", ", names)}); refusing to guess whose pilot it is");
            }

            fixedUp ??= new List<Pilot>(pilots.Take(i));
            fixedUp.Add(p with { Name = candidates[0] });
        }

        return fixedUp ?? pilots;
    }

    public async Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Count <= 0)
        {
            return new SubmitResult([]);
        }

        SettingChecks.Refuse(ValidateSettings(request.Scheduler, request.JobName), $"pool {request.PoolName}: refusing to submit");

        if (request.LogDirectory.Contains('%', StringComparison.Ordinal) || request.LogDirectory.Contains('\\', StringComparison.Ordinal))
        {
            // sbatch reads % as a filename pattern and a backslash turns patterns off: neither may come from the path.
            throw new SchedulerException($"pool {request.PoolName}: log directory '{request.LogDirectory}' contains '%' or '\\', which sbatch would misread");
        }

        // sbatch does not create the output folder; a missing one makes every pilot fail silently.
        Directory.CreateDirectory(request.LogDirectory);

        var useArray = request.Count > 1 && request.UseArray && request.Scheduler.UseArrays;
        var env = request.Environment?.ToDictionary(kv => kv.Key, kv => (string?)kv.Value);
        if (useArray)
        {
            var args = SubmitArguments(request, request.Count, _marker);
            var sb = await SbatchAsync(request, args, env, cancellationToken).ConfigureAwait(false);
            var ids = Enumerable.Range(1, request.Count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{sb.JobId}_{i}")).ToArray();
            _logger.LogInformation("pool {Pool}: submitted array {JobId} of {Count} pilots named {Name}", request.PoolName, sb.JobId, request.Count, request.JobName);
            return new SubmitResult(ids, sb.JobId);
        }

        var submitted = await SubmitResult.OneByOneAsync(
            request.Count,
            async () => (await SbatchAsync(request, SubmitArguments(request, 1, _marker), env, cancellationToken).ConfigureAwait(false)).JobId).ConfigureAwait(false);
        _logger.LogInformation("pool {Pool}: submitted {Count} pilots named {Name}: {Ids}", request.PoolName, submitted.JobIds.Count, request.JobName, string.Join(", ", submitted.JobIds));
        return submitted;
    }

    /// <summary>
    /// The sbatch argv for one submission of <paramref name="count"/> pilots (an array when count &gt; 1).
    /// <c>--export=NONE</c>: the job gets none of sbatch's environment (slurmd sets up the user's login
    /// environment instead, checked on Slurm 22.05), so nothing of Autopilot's own reaches a pilot;
    /// with <see cref="SubmitRequest.Environment"/> set, exactly those variables.
    /// </summary>
    public static IReadOnlyList<string> SubmitArguments(SubmitRequest request, int count, string marker = PilotMarker.Default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = request.Scheduler;
        var args = new List<string>(18) { "--parsable", "--job-name=" + request.JobName, "--comment=" + marker };
        // Named variables (their values travel in sbatch's own environment): those and SLURM_* only.
        args.Add(request.Environment is { Count: > 0 } env ? "--export=" + string.Join(',', env.Keys.Order(StringComparer.Ordinal)) : "--export=NONE");
        if (!string.IsNullOrEmpty(o.Queue))
        {
            args.Add("--partition=" + o.Queue);
        }

        if (!string.IsNullOrEmpty(o.Account))
        {
            args.Add("--account=" + o.Account);
        }

        args.Add("--time=" + SlurmParser.FormatWalltime(o.Walltime));
        args.Add("--cpus-per-task=" + o.Cpus.ToString(CultureInfo.InvariantCulture));
        if (o.MemoryMb > 0)
        {
            args.Add("--mem=" + o.MemoryMb.ToString(CultureInfo.InvariantCulture) + "M");
        }

        args.Add("--nodes=" + o.Nodes.ToString(CultureInfo.InvariantCulture));
        var pattern = count > 1 ? "%x-%A_%a.out" : "%x-%j.out";
        args.Add("--output=" + Path.Combine(request.LogDirectory, pattern));

        // sbatch truncates an existing output file unless the site sets JobFileAppend. Job ids start
        // again at FirstJobId after a slurmctld state reset, so a new pilot could empty a closed,
        // already archived log of the same name; appending never rewrites what a file holds.
        args.Add("--open-mode=append");
        if (count > 1)
        {
            args.Add("--array=1-" + count.ToString(CultureInfo.InvariantCulture));
        }

        args.AddRange(o.ExtraArgs);
        args.Add(request.ScriptPath);
        return args;
    }

    private async Task<SbatchResult> SbatchAsync(SubmitRequest request, IReadOnlyList<string> args, Dictionary<string, string?>? env, CancellationToken ct)
    {
        return await _commands.ReadAnswerAsync(
            _commands.Spec(request.Scheduler, "sbatch", args, env),
            r => SlurmParser.ParseSbatch(r.StandardOutput),
            r => $"pool {request.PoolName}: submission failed: {r.Describe()}",
            (ProcessResult r, SchedulerException ex) => $"pool {request.PoolName}: `{r.Spec.Display()}`: {ex.Message}",
            ct).ConfigureAwait(false);
    }

    /// <summary>`sbatch --test-only`: Slurm checks the request against its partitions and limits and says when the job would start, creating no job.</summary>
    public async Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var args = SubmitArguments(request with { Count = 1 }, 1).Where(a => a != "--parsable").Prepend("--test-only").ToList();
        return SubmitTest.FromDryRun(await _commands.RunAsync(request.Scheduler, "sbatch", args, cancellationToken).ConfigureAwait(false));
    }

    public async Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pilotIds);
        var ids = pilotIds.Distinct(StringComparer.Ordinal).ToArray();
        foreach (var id in ids)
        {
            if (!IsCancellableId(id))
            {
                throw new SchedulerException($"refusing to cancel '{id}': not a Slurm job or array element id");
            }
        }

        foreach (var chunk in ids.Chunk(CancelBatch))
        {
            var result = await _commands.RunAsync(_defaults, "scancel", chunk, cancellationToken).ConfigureAwait(false);
            var report = SlurmParser.ParseScancel(result.StandardError);
            if (result.TimedOut || report.Errors.Count > 0 || (result.ExitCode != 0 && report.GoneIds.Count == 0))
            {
                throw new SchedulerException($"cancelling pilots failed: {result.Describe()}");
            }

            if (report.GoneIds.Count > 0)
            {
                _logger.LogDebug("scancel: already gone: {Ids}", string.Join(", ", report.GoneIds));
            }
        }
    }

    /// <summary>123 or 123_4 (an array element), nothing else: ids reach scancel's argv.</summary>
    public static bool IsCancellableId(string id)
    {
        var s = id.AsSpan();
        var underscore = s.IndexOf('_');
        return underscore < 0
            ? IsDigits(s)
            : IsDigits(s[..underscore]) && IsDigits(s[(underscore + 1)..]);
    }

    private static bool IsDigits(ReadOnlySpan<char> s) => !s.IsEmpty && s.Length <= 18 && !s.ContainsAnyExceptInRange('0', '9');

    public async Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var names = query.JobNames.Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length == 0)
        {
            return new OutcomeReport(true, []);
        }

        var since = TimeZoneInfo.ConvertTime(query.Since, _zone).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var args = OutcomeArguments(names, since, query.User, completionLog: false);
        var db = await _commands.RunAsync(_defaults, "sacct", args, cancellationToken).ConfigureAwait(false);
        if (db.Succeeded)
        {
            return Parse(db, names, null);
        }

        // Accounting storage disabled (or its database unreachable): the completion log may still be there.
        // A filetxt log is read directly: it keeps array ids, which `sacct -c` cannot print.
        // A site's bin_dir may wrap only sbatch/squeue/scancel/sacct: scontrol that cannot run only
        // skips the direct read, never the sacct -c fallback (issue 17).
        ProcessResult? config = null;
        try
        {
            config = await _commands.RunAsync(_defaults, "scontrol", ["show", "config"], cancellationToken).ConfigureAwait(false);
        }
        catch (SchedulerException ex)
        {
            _logger.LogDebug("cannot read the Slurm configuration: {Message}; trying sacct -c", ex.Message);
        }

        if (config is { Succeeded: true } && JobCompLog.FromConfig(config.StandardOutput) is ("jobcomp/filetxt", { Length: > 0 } location) && File.Exists(location))
        {
            try
            {
                var rows = JobCompLog.Parse(JobCompLog.ReadTailLines(location, JobCompLog.NamedAny(names)), _zone);
                var from = query.Since;
                var outcomes = SlurmParser.ToOutcomes(rows, names).Where(o => o.EndTime is null || o.EndTime >= from).ToList();
                return new OutcomeReport(true, outcomes, $"from the job completion log {location}: {FirstLine(db.StandardError)}");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug("cannot read the job completion log {Location}: {Message}; trying sacct -c", location, ex.Message);
            }
        }

        var jobcomp = await _commands.RunAsync(_defaults, "sacct", OutcomeArguments(names, since, query.User, completionLog: true), cancellationToken).ConfigureAwait(false);
        if (jobcomp.Succeeded)
        {
            return Parse(jobcomp, names, $"from the job completion log (sacct -c): {FirstLine(db.StandardError)}");
        }

        var why = $"{db.Describe()}; fallback {jobcomp.Describe()}";
        _logger.LogDebug("pilot outcomes unavailable: {Why}", why);
        return OutcomeReport.Unavailable(why);

        OutcomeReport Parse(ProcessResult r, string[] wanted, string? note)
        {
            try
            {
                // sacct -c ignores --name; the filter is applied here for both.
                return new OutcomeReport(true, SlurmParser.ToOutcomes(SlurmParser.ParseSacct(r.StandardOutput, _zone), wanted), note);
            }
            catch (SchedulerException ex)
            {
                throw new SchedulerException($"`{r.Spec.Display()}`: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The sacct argv (plain, or -c for the job completion log).</summary>
    public static IReadOnlyList<string> OutcomeArguments(IReadOnlyCollection<string> names, string since, string? user, bool completionLog)
    {
        var args = new List<string>(14);
        if (completionLog)
        {
            args.Add("-c");
        }

        args.AddRange(["-P", "-n", "--delimiter=" + SlurmParser.UnitSeparator, "-X", "--name=" + string.Join(',', names), "-S", since, "-E", "now"]);
        if (!string.IsNullOrEmpty(user))
        {
            args.Add("-u");
            args.Add(user);
        }

        args.Add("-o");
        args.Add(SlurmParser.SacctFormat);
        return args;
    }

    public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<SettingProblem>();
        if (JobNameProblem(jobName) is { } nameProblem)
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}': {nameProblem}"));
        }

        if (options.Queue is not null && NameProblem(options.Queue) is { } q)
        {
            problems.Add(new("scheduler.queue", $"partition '{options.Queue}' {q}"));
        }

        if (options.Account is not null && NameProblem(options.Account) is { } a)
        {
            problems.Add(new("scheduler.account", $"'{options.Account}' {a}"));
        }

        SettingChecks.CheckCommon(problems, options);
        problems.AddRange(SlurmKind.ExtraArgs.Check(options.ExtraArgs));

        return problems;
    }

    /// <summary>Letters, digits, '-', '_', '.'; at most <see cref="MaxJobNameLength"/>: safe in squeue's name list (comma-separated) and in file names.</summary>
    internal static string? JobNameProblem(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "must not be empty";
        }

        if (name.Length > MaxJobNameLength)
        {
            return $"longer than {MaxJobNameLength} characters";
        }

        if (name[0] == '-')
        {
            return "must not start with '-'";
        }

        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            ? null
            : "may contain only ASCII letters, digits, '-', '_' and '.'";
    }

    private static string? NameProblem(string value)
    {
        if (value.Length == 0)
        {
            return "must not be empty";
        }

        if (value[0] == '-')
        {
            return "must not start with '-'";
        }

        // Comma-separated lists (several partitions) are legal for sbatch.
        return value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',')
            ? null
            : "may contain only ASCII letters, digits, '-', '_', '.' and ',' (no whitespace or shell characters)";
    }

    private static string FirstLine(string text)
    {
        var t = text.Trim();
        var nl = t.IndexOf('\n');
        return nl < 0 ? t : t[..nl];
    }
}
