using System.Globalization;
using Autopilot.Domain;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Slurm;

/// <summary>What sbatch printed: the job id and, in a multi-cluster or federated setup, the cluster.</summary>
public sealed record SbatchResult(string JobId, string? Cluster);

/// <summary>What scancel complained about: ids that were already gone (not an error) and every other error line.</summary>
public sealed record ScancelReport(IReadOnlyList<string> GoneIds, IReadOnlyList<string> Errors);

/// <summary>One sacct row (allocation or step) as printed.</summary>
public sealed record SacctRow(
    string Id,
    string? RawId,
    string Name,
    string State,
    string ExitCode,
    DateTimeOffset? Start,
    DateTimeOffset? End)
{
    public bool IsStep => Id.Contains('.', StringComparison.Ordinal);
}

/// <summary>
/// Pure parsers for squeue, sbatch, scancel and sacct output: text in, records out. Anything that
/// cannot be read throws <see cref="SchedulerException"/> naming the line; nothing unreadable becomes "no jobs".
/// </summary>
public static class SlurmParser
{
    /// <summary>The squeue -o format Autopilot uses (unit-separated, no widths so nothing is cut or padded).</summary>
    /// The comment (%k) comes last: it is the one free-text field, and it tells a pilot from a look-alike.
    public const string SqueueFormat = "%i\u001F%F\u001F%K\u001F%j\u001F%T\u001F%r\u001F%V\u001F%S\u001F%l\u001F%k";

    /// <summary>The sacct -o list Autopilot asks for (with -P -n --delimiter=<see cref="UnitSeparator"/>), in this order.</summary>
    public const string SacctFormat = "JobID,JobIDRaw,JobName,State,ExitCode,Start,End";

    /// <summary>The unit separator between fields: it cannot occur in a job name Autopilot gives, nor in an id, state or time.</summary>
    public const string UnitSeparator = "\u001F";

    private const int SqueueFields = 10;
    private const int SacctFields = 7;

    /// <summary>A pending range like <c>1_[1-1000000]</c> is expanded; beyond this many elements in one line it is refused.</summary>
    public const int MaxArrayExpansion = 1_000_000;

    /// <summary>
    /// Parses the output of squeue run with <see cref="SqueueFormat"/> (and -h). <c>CLUSTER: name</c>
    /// lines (SLURM_CLUSTERS) are skipped; pending array ranges (<c>1080_[5-1024]</c>, <c>8_[1,4]</c>,
    /// with or without a <c>%</c> throttle) are expanded into one queued pilot per element.
    /// </summary>
    /// <param name="marker">When set, a job whose comment is not exactly this is <see cref="Pilot.Foreign"/>.</param>
    public static IReadOnlyList<Pilot> ParseSqueue(string output, TimeZoneInfo? zone = null, string? marker = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckText(output, "squeue");
        var result = new SegmentedList<Pilot>();
        var rows = new SqueueRows(zone ?? TimeZoneInfo.Local);
        var ranges = new Range[64];
        var lineNo = 0;
        foreach (var rawLine in output.AsSpan().EnumerateLines())
        {
            lineNo++;
            var line = rawLine.TrimEnd('\r');
            if (line.IsWhiteSpace() || line.StartsWith("CLUSTER: ", StringComparison.Ordinal))
            {
                continue;
            }

            var count = Split(line, UnitSeparator, SqueueFields, ranges);
            if (count > SqueueFields && count <= ranges.Length)
            {
                // The comment (%k) is last and anyone may write the separator into it, while Autopilot's
                // names never hold it: the surplus belongs to the comment.
                ranges[SqueueFields - 1] = new Range(ranges[SqueueFields - 1].Start, ranges[count - 1].End);
                count = SqueueFields;
            }

            if (count != SqueueFields)
            {
                throw new SchedulerException(
                    $"squeue output line {lineNo}: expected {SqueueFields} fields, found {count} (truncated or unexpected output): '{Show(line)}'");
            }

            var id = line[ranges[0]].Trim();
            var semicolon = id.IndexOf(';');
            if (semicolon >= 0)
            {
                id = id[..semicolon];
            }

            var state = line[ranges[4]].Trim();
            var reason = line[ranges[5]].Trim();
            var row = rows.Read(
                state.IsEmpty ? "" : rows.Strings.Get(state),
                reason.IsEmpty || reason.SequenceEqual("None") ? null : rows.Strings.Get(reason),
                line[ranges[3]].Trim(),
                line[ranges[6]].Trim(),
                line[ranges[7]].Trim(),
                line[ranges[8]].Trim(),
                marker is not null && !line[ranges[9]].Trim().SequenceEqual(marker));
            AddPilots(result, in row, id, line[ranges[1]].Trim(), line[ranges[2]].Trim(), rows.Strings, lineNo, line);
        }

        return result;
    }

    /// <summary>One squeue line's job id: a plain job, an array element, or a pending range expanded into its elements.</summary>
    private static void AddPilots(SegmentedList<Pilot> result, in SqueueRow row, ReadOnlySpan<char> id, ReadOnlySpan<char> arrayJob, ReadOnlySpan<char> arrayTask, StringPool strings, int lineNo, ReadOnlySpan<char> line)
    {
        var underscore = id.IndexOf('_');
        if (underscore < 0 && IsDigits(arrayTask) && IsDigits(arrayJob) && !arrayJob.SequenceEqual(id))
        {
            // Only the element's own id was printed: name it the way scancel and sacct do.
            id = string.Concat(arrayJob, "_", arrayTask);
            underscore = arrayJob.Length;
        }

        if (underscore < 0)
        {
            RequireDigits(id, lineNo, line);
            result.Add(row.Pilot(id.ToString(), null, null));
            return;
        }

        var parent = id[..underscore];
        RequireDigits(parent, lineNo, line);
        var parentText = strings.Get(parent);
        var element = id[(underscore + 1)..];
        if (element.Length > 0 && element[0] == '[')
        {
            if (element[^1] != ']')
            {
                throw new SchedulerException($"squeue output line {lineNo}: array range not closed (truncated?): '{Show(line)}'");
            }

            foreach (var index in ExpandRange(element[1..^1], lineNo, line))
            {
                result.Add(row.Pilot(string.Concat(parentText, "_", index.ToString(CultureInfo.InvariantCulture)), index, parentText));
            }

            return;
        }

        if (!int.TryParse(element, NumberStyles.None, CultureInfo.InvariantCulture, out var taskIndex))
        {
            throw new SchedulerException($"squeue output line {lineNo}: '{Show(id)}' is not a Slurm job id");
        }

        result.Add(row.Pilot(id.ToString(), taskIndex, parentText));
    }

    /// <summary>
    /// Reads sbatch's answer: <c>N</c> or <c>N;cluster</c> (--parsable), or <c>Submitted batch job N</c>
    /// (with an optional legacy <c>sbatch: </c> prefix and <c> on cluster X</c> suffix) from site
    /// wrappers that drop --parsable. Other lines (wrapper banners, warnings) are ignored; no id, or two
    /// different ids, is an error.
    /// </summary>
    public static SbatchResult ParseSbatch(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        SbatchResult? found = null;
        foreach (var raw in stdout.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.StartsWith("sbatch: ", StringComparison.Ordinal))
            {
                line = line["sbatch: ".Length..].TrimStart();
            }

            SbatchResult? hit = null;
            const string submitted = "Submitted batch job ";
            if (line.StartsWith(submitted, StringComparison.Ordinal))
            {
                var rest = line[submitted.Length..];
                var end = rest.IndexOf(' ');
                var idPart = end < 0 ? rest : rest[..end];
                string? cluster = null;
                if (end >= 0)
                {
                    var tail = rest[end..].Trim();
                    const string onCluster = "on cluster ";
                    if (tail.StartsWith(onCluster, StringComparison.Ordinal))
                    {
                        cluster = tail[onCluster.Length..].Trim().ToString();
                    }
                }

                if (IsDigits(idPart))
                {
                    hit = new SbatchResult(idPart.ToString(), cluster);
                }
            }
            else
            {
                var semicolon = line.IndexOf(';');
                var idPart = semicolon < 0 ? line : line[..semicolon];
                if (IsDigits(idPart))
                {
                    hit = new SbatchResult(idPart.ToString(), semicolon < 0 ? null : line[(semicolon + 1)..].Trim().ToString());
                }
            }

            if (hit is null)
            {
                continue;
            }

            if (found is not null && found.JobId != hit.JobId)
            {
                throw new SchedulerException($"sbatch printed two job ids ({found.JobId}, {hit.JobId}): '{Show(stdout.AsSpan())}'");
            }

            found = hit;
        }

        return found ?? throw new SchedulerException($"sbatch printed no job id: '{Show(stdout.AsSpan())}'");
    }

    /// <summary>
    /// Sorts scancel's stderr: <c>Kill job error on job id N: Invalid job id specified</c> (or already
    /// completed) means the job is gone, which cancelling wanted anyway; every other error line is kept.
    /// </summary>
    public static ScancelReport ParseScancel(string stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        var gone = new List<string>();
        var errors = new List<string>();
        foreach (var raw in stderr.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            const string prefix = "scancel: error: ";
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                // --verbose chatter ("scancel: Terminating job N") and warnings.
                if (line.Contains("error", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add(line.ToString());
                }

                continue;
            }

            var message = line[prefix.Length..];
            const string kill = "Kill job error on job id ";
            if (message.StartsWith(kill, StringComparison.Ordinal))
            {
                var rest = message[kill.Length..];
                var colon = rest.IndexOf(':');
                if (colon > 0)
                {
                    var id = rest[..colon].Trim();
                    var why = rest[(colon + 1)..].Trim();
                    if (why.StartsWith("Invalid job id specified", StringComparison.Ordinal)
                        || why.StartsWith("Job/step already completing or completed", StringComparison.Ordinal)
                        || why.StartsWith("Job has already finished", StringComparison.Ordinal))
                    {
                        gone.Add(id.ToString());
                        continue;
                    }
                }
            }

            errors.Add(line.ToString());
        }

        return new ScancelReport(gone, errors);
    }

    /// <summary>Parses sacct output run with <see cref="SacctFormat"/> (-P -n --delimiter=US).</summary>
    public static IReadOnlyList<SacctRow> ParseSacct(string output, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckText(output, "sacct");
        var times = new TimeCache(zone ?? TimeZoneInfo.Local);
        var strings = new StringPool();
        var rows = new List<SacctRow>();
        var ranges = new Range[64];
        var lines = output.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var lineNo = n + 1;
            var line = lines[n].AsSpan().TrimEnd('\r');
            if (line.IsWhiteSpace())
            {
                continue;
            }

            var count = Split(line, UnitSeparator, SacctFields, ranges);
            if (count != SacctFields)
            {
                throw new SchedulerException(
                    $"sacct output line {lineNo}: expected {SacctFields} fields, found {count} (truncated or unexpected output): '{Show(line)}'");
            }

            var id = strings.Get(line[ranges[0]].Trim());
            if (id.Length == 0)
            {
                throw new SchedulerException($"sacct output line {lineNo}: no job id: '{Show(line)}'");
            }

            var head = id.AsSpan();
            var cut = head.IndexOfAny("_.;+");
            if (!IsDigits(cut < 0 ? head : head[..cut]))
            {
                throw new SchedulerException($"sacct output line {lineNo}: '{Show(head)}' is not a Slurm job id");
            }

            rows.Add(new SacctRow(
                id, strings.Get(line[ranges[1]].Trim()), strings.Get(line[ranges[2]].Trim()), strings.Get(line[ranges[3]].Trim()), strings.Get(line[ranges[4]].Trim()),
                times.Parse(line[ranges[5]].Trim()), times.Parse(line[ranges[6]].Trim())));
        }

        return rows;
    }

    /// <summary>
    /// The finished allocations among sacct rows (steps and still-running jobs dropped) as outcomes.
    /// The exit code is the job's exit status, or 128+signal when a signal ended it (<c>0:9</c> → 137).
    /// </summary>
    public static IReadOnlyList<PilotOutcome> ToOutcomes(IEnumerable<SacctRow> rows, IReadOnlyCollection<string>? names = null)
    {
        var wanted = names is null ? null : new HashSet<string>(names, StringComparer.Ordinal);
        var outcomes = new List<PilotOutcome>();
        foreach (var row in rows)
        {
            if (row.IsStep || !SlurmStates.IsEnded(row.State) || (wanted is not null && !wanted.Contains(row.Name)))
            {
                continue;
            }

            outcomes.Add(new PilotOutcome(row.Id, row.Name, SlurmStates.MapEnd(row.State), ParseExitCode(row.ExitCode), row.Start, row.End, row.State));
        }

        return outcomes;
    }

    /// <summary><c>exit:signal</c> to one number; null when unreadable.</summary>
    public static int? ParseExitCode(string text)
    {
        var s = text.AsSpan().Trim();
        if (s.IsEmpty)
        {
            return null;
        }

        var colon = s.IndexOf(':');
        if (colon < 0)
        {
            return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var only) ? only : null;
        }

        if (!int.TryParse(s[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var exit)
            || !int.TryParse(s[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var signal))
        {
            return null;
        }

        return signal != 0 ? 128 + signal : exit;
    }

    /// <summary>
    /// A Slurm duration (%l, Timelimit): <c>D-HH:MM:SS</c>, <c>D-HH:MM</c>, <c>D-HH</c>, <c>HH:MM:SS</c>,
    /// <c>MM:SS</c>, <c>MM</c>. UNLIMITED, NOT_SET, INVALID, N/A and anything unreadable give null (not reported).
    /// </summary>
    public static TimeSpan? ParseTimeLimit(ReadOnlySpan<char> text)
    {
        var s = text.Trim();
        if (s.IsEmpty)
        {
            return null;
        }

        var days = 0;
        var dash = s.IndexOf('-');
        if (dash >= 0)
        {
            if (!int.TryParse(s[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out days))
            {
                return null;
            }

            s = s[(dash + 1)..];
            Span<int> dParts = stackalloc int[3];
            var dn = 0;
            foreach (var r in s.Split(':'))
            {
                if (dn == 3 || !int.TryParse(s[r], NumberStyles.None, CultureInfo.InvariantCulture, out dParts[dn++]))
                {
                    return null;
                }
            }

            // After "D-" the first number is hours.
            return new TimeSpan(days, dParts[0], dn > 1 ? dParts[1] : 0, dn > 2 ? dParts[2] : 0);
        }

        Span<int> parts = stackalloc int[3];
        var n = 0;
        foreach (var r in s.Split(':'))
        {
            if (n == 3 || !int.TryParse(s[r], NumberStyles.None, CultureInfo.InvariantCulture, out parts[n++]))
            {
                return null;
            }
        }

        return n switch
        {
            1 => TimeSpan.FromMinutes(parts[0]),
            2 => new TimeSpan(0, parts[0], parts[1]),
            _ => new TimeSpan(parts[0], parts[1], parts[2]),
        };
    }

    /// <summary>Walltime as sbatch --time wants it: D-HH:MM:SS, seconds rounded up.</summary>
    public static string FormatWalltime(TimeSpan walltime)
    {
        if (walltime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(walltime), walltime, "walltime must be positive");
        }

        var total = (long)Math.Ceiling(walltime.TotalSeconds);
        var days = total / 86400;
        var rest = total % 86400;
        return string.Create(CultureInfo.InvariantCulture, $"{days}-{rest / 3600:00}:{rest % 3600 / 60:00}:{rest % 60:00}");
    }

    /// <summary>A Slurm local time (<c>2026-03-10T12:34:51</c>); N/A, Unknown, INVALID, None and anything unreadable give null.</summary>
    public static DateTimeOffset? ParseTime(ReadOnlySpan<char> text, TimeZoneInfo zone) => new TimeCache(zone).Parse(text);

    private static IEnumerable<int> ExpandRange(ReadOnlySpan<char> spec, int lineNo, ReadOnlySpan<char> line)
    {
        var percent = spec.IndexOf('%');
        if (percent >= 0)
        {
            spec = spec[..percent];
        }

        var indices = new List<int>();
        foreach (var r in spec.Split(','))
        {
            var part = spec[r].Trim();
            var dash = part.IndexOf('-');
            int lo, hi, step = 1;
            if (dash < 0)
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out lo))
                {
                    throw new SchedulerException($"squeue output line {lineNo}: bad array range '{Show(spec)}': '{Show(line)}'");
                }

                hi = lo;
            }
            else
            {
                var upper = part[(dash + 1)..];
                var colon = upper.IndexOf(':');
                if (colon >= 0)
                {
                    if (!int.TryParse(upper[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step <= 0)
                    {
                        throw new SchedulerException($"squeue output line {lineNo}: bad array step in '{Show(spec)}'");
                    }

                    upper = upper[..colon];
                }

                if (!int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out lo)
                    || !int.TryParse(upper, NumberStyles.None, CultureInfo.InvariantCulture, out hi) || hi < lo)
                {
                    throw new SchedulerException($"squeue output line {lineNo}: bad array range '{Show(spec)}': '{Show(line)}'");
                }
            }

            if ((long)indices.Count + ((long)hi - lo) / step + 1 > MaxArrayExpansion)
            {
                throw new SchedulerException($"squeue output line {lineNo}: array range '{Show(spec)}' has more than {MaxArrayExpansion} elements");
            }

            for (long i = lo; i <= hi; i += step)
            {
                indices.Add((int)i);
            }
        }

        return indices;
    }

    private static void CheckText(string output, string command)
    {
        // A NUL never occurs in squeue/sacct text; its presence means binary garbage, not a listing.
        if (output.Contains('\0'))
        {
            throw new SchedulerException($"{command} output contains binary data (NUL bytes); refusing to read it as a listing");
        }
    }

    /// <summary>The fields of one line into <paramref name="ranges"/>; returns how many there are (more than fit is counted, not stored).</summary>
    private static int Split(ReadOnlySpan<char> line, string delimiter, int expected, Range[] ranges)
    {
        var count = 0;
        var rest = 0;
        while (true)
        {
            var at = line[rest..].IndexOf(delimiter.AsSpan());
            if (at < 0)
            {
                // A line that ends with the separator has no empty field after it.
                if (!(rest == line.Length && count >= expected))
                {
                    if (count < ranges.Length)
                    {
                        ranges[count] = new Range(rest, line.Length);
                    }

                    count++;
                }

                return count;
            }

            if (count < ranges.Length)
            {
                ranges[count] = new Range(rest, rest + at);
            }

            count++;
            rest += at + delimiter.Length;
        }
    }

    private static void RequireDigits(ReadOnlySpan<char> id, int lineNo, ReadOnlySpan<char> line)
    {
        if (IsDigits(id))
        {
            return;
        }

        // Heterogeneous job components print as 123+0.
        var plus = id.IndexOf('+');
        if (plus > 0 && IsDigits(id[..plus]) && IsDigits(id[(plus + 1)..]))
        {
            return;
        }

        throw new SchedulerException($"squeue output line {lineNo}: '{Show(id)}' is not a Slurm job id: '{Show(line)}'");
    }

    private static bool IsDigits(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>A line for an error message: bounded and with control characters made visible.</summary>
    internal static string Show(ReadOnlySpan<char> text)
    {
        var cut = text.Length > 200 ? text[..200] : text;
        var chars = new char[cut.Length];
        for (var i = 0; i < cut.Length; i++)
        {
            chars[i] = cut[i] == '\u001F' ? '|' : char.IsControl(cut[i]) ? '?' : cut[i];
        }

        return new string(chars) + (text.Length > 200 ? "..." : "");
    }

    /// <summary>What one squeue line says of its job (or of every element of its pending range).</summary>
    private readonly record struct SqueueRow(string Name, PilotState State, string RawState, string? PendingReason, PendingKind Kind, DateTimeOffset? Submit, DateTimeOffset? Start, TimeSpan? Limit, bool Foreign)
    {
        public Pilot Pilot(string id, int? index, string? arrayJobId) =>
            new(id, Name, State, RawState, PendingReason, Kind, Submit, Start, index, arrayJobId, Limit, Foreign);
    }

    /// <summary>
    /// Reads squeue lines' fields with caches across the listing: names, states, reasons, limits and
    /// times repeat on nearly every line, so each distinct value is parsed (and allocated) once.
    /// </summary>
    private sealed class SqueueRows(TimeZoneInfo zone)
    {
        private readonly TimeCache _times = new(zone);
        private readonly Dictionary<(string, string?), (PilotState, PendingKind)> _classified = [];
        private readonly Dictionary<string, TimeSpan?> _limits = new(StringComparer.Ordinal);

        public StringPool Strings { get; } = new();

        public SqueueRow Read(string rawState, string? reasonText, ReadOnlySpan<char> name, ReadOnlySpan<char> submit, ReadOnlySpan<char> start, ReadOnlySpan<char> limit, bool foreign)
        {
            var (state, kind) = Classify(rawState, reasonText);
            var waiting = state is PilotState.Queued or PilotState.Held;
            TimeSpan? timeLimit = null;
            if (!limit.IsEmpty)
            {
                var limitText = Strings.Get(limit);
                if (!_limits.TryGetValue(limitText, out timeLimit))
                {
                    timeLimit = ParseTimeLimit(limitText);
                    _limits[limitText] = timeLimit;
                }
            }

            return new SqueueRow(
                Strings.Get(name), state, rawState, waiting ? reasonText ?? "None" : null, kind,
                _times.Parse(submit), waiting ? null : _times.Parse(start), timeLimit, foreign);
        }

        private (PilotState, PendingKind) Classify(string rawState, string? reasonText)
        {
            var key = (rawState, reasonText);
            if (_classified.TryGetValue(key, out var c))
            {
                return c;
            }

            var state = rawState.Length == 0 ? PilotState.Unknown : SlurmStates.Map(rawState, reasonText);
            var kind = PendingKind.None;
            if (state is PilotState.Queued or PilotState.Held)
            {
                kind = state == PilotState.Held ? PendingKind.Held : SlurmStates.ClassifyReason(reasonText);
            }

            c = (state, kind);
            _classified[key] = c;
            return c;
        }
    }

    /// <summary>Parses yyyy-MM-ddTHH:mm:ss by hand and caches the zone offset per hour: 100,000 rows stay cheap.</summary>
    private sealed class TimeCache(TimeZoneInfo zone)
    {
        private long _hourKey = long.MinValue;
        private TimeSpan _offset;

        public DateTimeOffset? Parse(ReadOnlySpan<char> text)
        {
            var s = text.Trim();
            if (s.Length != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
            {
                return null;
            }

            if (!TwoOrFour(s[..4], out var year) || !TwoOrFour(s[5..7], out var month) || !TwoOrFour(s[8..10], out var day)
                || !TwoOrFour(s[11..13], out var hour) || !TwoOrFour(s[14..16], out var minute) || !TwoOrFour(s[17..19], out var second)
                || month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            {
                return null;
            }

            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
            var key = local.Ticks / TimeSpan.TicksPerHour;
            if (key != _hourKey)
            {
                _offset = zone.GetUtcOffset(local);
                _hourKey = key;
            }

            return new DateTimeOffset(local, _offset);
        }

        private static bool TwoOrFour(ReadOnlySpan<char> digits, out int value)
        {
            value = 0;
            foreach (var c in digits)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }

                value = value * 10 + (c - '0');
            }

            return true;
        }
    }
}
