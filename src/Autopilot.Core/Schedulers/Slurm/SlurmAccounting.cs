using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Slurm;

/// <summary>
/// A batch of jobs from Slurm's accounting: one <c>sacct --parsable2 --noheader -X -j a,b,c
/// --format=...</c> per call. Without slurmdbd (AccountingStorageType=accounting_storage/none) sacct
/// refuses ("Slurm accounting storage is disabled"); then the job completion log is read: its file
/// directly when it is jobcomp/filetxt and readable here (array ids, memory), else through
/// <c>sacct -c</c>, which has times, cores and nodes but no memory and no array ids.
/// </summary>
public sealed class SlurmAccounting(IProcessRunner runner, SchedulerOptions options, TimeZoneInfo zone) : IJobAccounting
{
    /// <summary>The fields asked for, in this order (the parser reads them by position).</summary>
    public const string Format = "JobID,State,Submit,Start,End,AllocCPUS,NNodes,AllocTRES";

    private const int Batch = 200;

    /// <summary>The source when the job completion log file is read directly.</summary>
    public const string CompletionLogSource = "jobcomp log";

    // ISO times whatever the user's environment says, and no SACCT_FORMAT override of --format.
    private readonly CommandRunner _commands = new(runner, options, (spec, ex) => $"`{spec.Display()}` could not run: {ex.Message}",
        new Dictionary<string, string?>(StringComparer.Ordinal) { ["SLURM_TIME_FORMAT"] = "standard", ["SACCT_FORMAT"] = null });

    private string _source = "sacct";
    private string? _logFile;

    public string Source => _source;

    public int MaxPerTick => 1000;

    public async Task<IReadOnlyList<JobUsage>> UsageAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new List<JobUsage>();
        foreach (var chunk in ids.Chunk(Batch))
        {
            if (_logFile is not null)
            {
                found.AddRange(ReadCompletionLog(_logFile, chunk));
                continue;
            }

            var result = await RunAsync("sacct", Arguments(chunk, completionLog: _source != "sacct"), cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded && _source == "sacct" && IsStorageDisabled(result.StandardError))
            {
                // No slurmdbd. A jobcomp/filetxt log is read directly: it has array ids, memory and
                // submit times, which `sacct -c` cannot print.
                if (await CompletionLogFileAsync(cancellationToken).ConfigureAwait(false) is { } file)
                {
                    (_source, _logFile) = (CompletionLogSource, file);
                    found.AddRange(ReadCompletionLog(file, chunk));
                    continue;
                }

                _source = "sacct -c";
                result = await RunAsync("sacct", Arguments(chunk, completionLog: true), cancellationToken).ConfigureAwait(false);
            }

            if (!result.Succeeded)
            {
                throw new SchedulerException($"reading Slurm accounting failed: {result.Describe()}");
            }

            try
            {
                found.AddRange(Parse(result.StandardOutput, zone));
            }
            catch (FormatException ex)
            {
                throw new SchedulerException($"`{result.Spec.Display()}`: {ex.Message}", ex);
            }
        }

        return found;
    }

    public async Task<string?> AccountUsageAsync(string account, CancellationToken cancellationToken)
    {
        try
        {
            return SlurmUsageCheck.Describe(await RunAsync("sshare", SlurmUsageCheck.Arguments(account), cancellationToken).ConfigureAwait(false), account);
        }
        catch (SchedulerException ex)
        {
            return $"sshare: {ex.Message}";
        }
    }

    /// <summary>The jobcomp/filetxt log named by `scontrol show config`, when this host can read it; else null (sacct -c is used).</summary>
    private async Task<string?> CompletionLogFileAsync(CancellationToken cancellationToken)
    {
        try
        {
            var config = await RunAsync("scontrol", ["show", "config"], cancellationToken).ConfigureAwait(false);
            return config.Succeeded && JobCompLog.FromConfig(config.StandardOutput) is ("jobcomp/filetxt", { Length: > 0 } location) && File.Exists(location) ? location : null;
        }
        catch (SchedulerException)
        {
            // A bin_dir that wraps only some commands: sacct -c still works.
            return null;
        }
    }

    private IEnumerable<JobUsage> ReadCompletionLog(string file, IReadOnlyCollection<string> ids)
    {
        List<string> lines;
        try
        {
            lines = JobCompLog.ReadTailLines(file, JobCompLog.WithIdsAny(ids));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SchedulerException($"reading the Slurm job completion log {file} failed: {ex.Message}", ex);
        }

        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        return ParseCompletionLog(lines, zone).Where(u => wanted.Contains(u.Id));
    }

    /// <summary>
    /// The jobs of a jobcomp/filetxt log (pure; a job requeued is logged again and the last line
    /// counts): ids as submitted (<c>N_i</c> for array elements), SubmitTime, StartTime, EndTime,
    /// ProcCnt ÷ NodeCnt cores per node, Tres <c>mem=</c> ÷ NodeCnt memory per node. NodeCnt 0 marks a
    /// job that never got a node.
    /// </summary>
    public static IReadOnlyList<JobUsage> ParseCompletionLog(string text, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseCompletionLog(text.Split('\n'), zone);
    }

    /// <summary>The same, from lines already split (<see cref="JobCompLog.ReadTailLines"/>).</summary>
    public static IReadOnlyList<JobUsage> ParseCompletionLog(IEnumerable<string> lines, TimeZoneInfo zone)
    {
        var byId = new Dictionary<string, JobUsage>(StringComparer.Ordinal);
        foreach (var (id, f) in JobCompLog.Records(lines))
        {
            var state = f["JobState"].Split(' ', 2)[0];
            var nodes = Int(f.GetValueOrDefault("NodeCnt") ?? "");
            var cpus = Int(f.GetValueOrDefault("ProcCnt") ?? "");
            var perNode = nodes is > 0 ? nodes.Value : 1;
            long? memory = Tres(f.GetValueOrDefault("Tres") ?? "").TryGetValue("mem", out var mem) ? JobAccountingFactory.MemoryMb(mem) : null;
            byId[id] = new JobUsage(
                id,
                JobCompLog.Time(f.GetValueOrDefault("SubmitTime"), zone),
                JobCompLog.Time(f.GetValueOrDefault("StartTime"), zone),
                JobCompLog.Time(f.GetValueOrDefault("EndTime"), zone),
                cpus is > 0 ? Math.Max(1, cpus.Value / perNode) : null,
                nodes,
                memory is > 0 ? memory / perNode : null,
                state,
                SlurmStates.MapEnd(state));
        }

        return [.. byId.Values];
    }

    /// <summary>True when sacct says there is no accounting database (slurmdbd) to read.</summary>
    public static bool IsStorageDisabled(string stderr) =>
        stderr.Contains("accounting storage is disabled", StringComparison.OrdinalIgnoreCase);

    /// <summary>The sacct argv for these ids (-c: from the job completion log).</summary>
    public static IReadOnlyList<string> Arguments(IReadOnlyCollection<string> ids, bool completionLog)
    {
        var args = new List<string>(7);
        if (completionLog)
        {
            args.Add("-c");
        }

        args.AddRange(["--parsable2", "--noheader", "-X", "-j", string.Join(',', ids), "--format=" + Format]);
        return args;
    }

    /// <summary>
    /// Parses the output of <see cref="Arguments"/> (pure). Times are the controller's local time,
    /// "Unknown" or "None" while not reached; AllocCPUS is for the whole job (divided by the nodes
    /// here: rows count cores per node); memory comes from AllocTRES <c>mem=</c>, for the whole job.
    /// NNodes 0 (the job completion log's mark of a job that never got a node) is passed on.
    /// </summary>
    public static IReadOnlyList<JobUsage> Parse(string output, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(output);
        var fieldCount = Format.Split(',').Length;
        var rows = new List<JobUsage>();
        var n = 0;
        foreach (var raw in output.Split('\n'))
        {
            n++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var f = line.Split('|');
            if (f.Length != fieldCount)
            {
                throw new FormatException($"sacct line {n}: expected {fieldCount} fields ({Format}), found {f.Length}: '{Excerpt(line)}'");
            }

            var id = f[0];
            if (id.Length == 0 || !char.IsAsciiDigit(id[0]))
            {
                throw new FormatException($"sacct line {n}: '{Excerpt(id)}' is not a Slurm job id");
            }

            // "CANCELLED by 0": the state is the first word.
            var state = f[1].Split(' ', 2)[0];
            var nodes = Int(f[6]);
            var cpus = Int(f[5]);
            var tres = Tres(f[7]);
            long? memory = tres.TryGetValue("mem", out var mem) ? JobAccountingFactory.MemoryMb(mem) : null;
            var perNode = nodes is > 0 ? nodes.Value : 1;
            var ended = SlurmParser.ParseTime(f[4], zone);
            var finished = SlurmStates.IsEnded(state);
            rows.Add(new JobUsage(
                id,
                SlurmParser.ParseTime(f[2], zone),
                SlurmParser.ParseTime(f[3], zone),
                finished ? ended : null,
                cpus is > 0 ? Math.Max(1, cpus.Value / perNode) : null,
                nodes,
                memory is > 0 ? memory / perNode : null,
                state,
                finished ? SlurmStates.MapEnd(state) : null));
        }

        return rows;
    }

    private static int? Int(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static Dictionary<string, string> Tres(string text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq > 0)
            {
                map[part[..eq]] = part[(eq + 1)..];
            }
        }

        return map;
    }

    private static string Excerpt(string text) => text.Length <= 120 ? text : text[..120] + "...";

    private Task<ProcessResult> RunAsync(string command, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        _commands.RunAsync(options, command, args, cancellationToken);
}
