using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.Domain;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Lsf;

/// <summary>One LSF job or array element as bjobs shows it.</summary>
/// <param name="Id"><c>N</c>, or <c>N[i]</c> for an array element (the form bkill takes).</param>
/// <param name="JobId">The numeric job id <c>N</c> (shared by all elements of an array).</param>
/// <param name="Name">The job name without an element's <c>[i]</c> suffix.</param>
/// <param name="NameTruncated">The table format cut the name and put '*' in front: it cannot be matched exactly.</param>
public sealed record LsfJob(
    string Id,
    string JobId,
    int? Index,
    string Name,
    string Stat,
    string? Queue = null,
    string? User = null,
    DateTimeOffset? SubmitTime = null,
    DateTimeOffset? StartTime = null,
    DateTimeOffset? FinishTime = null,
    TimeSpan? TimeLimit = null,
    string? PendReason = null,
    int? ExitCode = null,
    string? ExitReason = null,
    bool NameTruncated = false);

/// <summary>Pure parsers for LSF's bsub, bjobs and bkill output.</summary>
public static partial class LsfParsers
{
    /// <summary>The -o field list of the listing (JSON and delimited forms use the same fields).</summary>
    public const string ListFields = "jobid jobindex job_name stat queue submit_time start_time time_left runtimelimit pend_reason";

    /// <summary>The -o field list for outcomes (bjobs -a).</summary>
    public const string OutcomeFields = "jobid jobindex job_name stat queue submit_time start_time finish_time exit_code exit_reason";

    /// <summary>
    /// Parses <c>bjobs -o "..." -json</c>: <c>{"COMMAND":"bjobs","JOBS":N,"RECORDS":[{...}]}</c>. Lines before
    /// the JSON (the "LSF is processing your request" banner) are skipped; records carrying an ERROR
    /// (a job id that is not found) are dropped.
    /// </summary>
    public static IReadOnlyList<LsfJob> ParseJson(string stdout, DateTimeOffset now, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var jobs = new JobList();
        ReadJson(stdout, new LsfRecord(stdout, now, zone ?? TimeZoneInfo.Local), jobs);
        return jobs.Jobs;
    }

    /// <summary>
    /// <see cref="ParseJson"/> then <see cref="ToPilots"/> in one pass, without a job record per job:
    /// the listing of every tick. Fails exactly where <see cref="ParseJson"/> fails.
    /// </summary>
    public static IReadOnlyList<Pilot> PilotsFromJson(string stdout, IReadOnlyCollection<string> names, bool includeFinished, DateTimeOffset now, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(names);
        var pilots = new LsfPilotCollector(names, includeFinished);
        ReadJson(stdout, new LsfRecord(stdout, now, zone ?? TimeZoneInfo.Local), pilots);
        return pilots.Pilots;
    }

    private static void ReadJson(string stdout, LsfRecord record, ILsfJobSink sink)
    {
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("bjobs printed binary data, not JSON");
        }

        var start = LenientJsonReader.FindJsonStart(stdout);
        if (start < 0)
        {
            throw new FormatException(stdout.Trim().Length == 0 ? "bjobs printed nothing (expected JSON)" : $"bjobs printed no JSON object: '{ErrorText.Clip(stdout.Trim())}'");
        }

        CheckPrefix(stdout[..start]);
        var reader = new LenientJsonReader(stdout, start);
        reader.ReadObjectStart();
        long? declared = null;
        var sawRecords = false;
        var first = true;
        while (reader.NextMember(ref first, out var key))
        {
            if (key is "RECORDS")
            {
                sawRecords = true;
                reader.ReadArrayStart();
                var firstItem = true;
                while (reader.NextItem(ref firstItem))
                {
                    ReadRecord(reader, stdout, record);
                    if (record.IsPresent(LsfSlot.Error))
                    {
                        continue;
                    }

                    sink.Add(record);
                }
            }
            else if (key is "JOBS")
            {
                declared = long.TryParse(reader.ReadScalar(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
            }
            else
            {
                reader.SkipValue();
            }
        }

        if (!sawRecords && declared is not 0)
        {
            throw new FormatException("bjobs JSON has no RECORDS");
        }
    }

    // One call per record, not a loop inside ReadJson: a method called once per listing runs its hot
    // loop as on-stack-replacement code, which the JIT optimises less than a method called often.
    private static void ReadRecord(LenientJsonReader reader, string text, LsfRecord record)
    {
        record.Clear();
        reader.ReadObjectStart();
        var firstField = true;
        while (reader.NextMember(ref firstField, out var field))
        {
            var slot = LsfSlot.Of(field);
            if (slot < 0 || reader.Peek() is '{' or '[')
            {
                reader.SkipValue();
                continue;
            }

            ReadScalar(reader, text, record, slot);
        }
    }

    /// <summary>
    /// Takes the scalar at the reader (which has peeked past the blanks before it) as a range of the
    /// text: skipping it checks it exactly as reading it would, without making a string. Only a
    /// value with an escape is read again, as a string.
    /// </summary>
    private static void ReadScalar(LenientJsonReader reader, string text, LsfRecord record, int slot)
    {
        var start = reader.Position;
        reader.SkipValue();
        var end = reader.Position;
        if (text[start] == '"')
        {
            if (text.AsSpan(start + 1, end - start - 2).Contains('\\'))
            {
                record.SetString(slot, new LenientJsonReader(text, start).ReadScalar());
            }
            else
            {
                record.Set(slot, start + 1, end - start - 2);
            }
        }
        else if (text.AsSpan(start, end - start).Trim() is "null")
        {
            record.SetString(slot, null);
        }
        else
        {
            record.Set(slot, start, end - start);
        }
    }

    /// <summary>
    /// Parses <c>bjobs -noheader -o "f1 f2 ... delimiter='|'"</c> output given the field list used.
    /// Field aliases <c>id</c> and <c>name</c> are understood.
    /// </summary>
    public static IReadOnlyList<LsfJob> ParseDelimited(string stdout, string fieldList, DateTimeOffset now, TimeZoneInfo? zone = null, char delimiter = '|')
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var jobs = new JobList();
        ReadDelimited(stdout, fieldList, delimiter, new LsfRecord(stdout, now, zone ?? TimeZoneInfo.Local), jobs);
        return jobs.Jobs;
    }

    /// <summary>
    /// <see cref="ParseDelimited"/> then <see cref="ToPilots"/> in one pass, without a job record per job:
    /// the listing of every tick where bjobs has no -json. Fails exactly where <see cref="ParseDelimited"/> fails.
    /// </summary>
    public static IReadOnlyList<Pilot> PilotsFromDelimited(
        string stdout, string fieldList, IReadOnlyCollection<string> names, bool includeFinished, DateTimeOffset now, TimeZoneInfo? zone = null, char delimiter = '|')
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(names);
        var pilots = new LsfPilotCollector(names, includeFinished);
        ReadDelimited(stdout, fieldList, delimiter, new LsfRecord(stdout, now, zone ?? TimeZoneInfo.Local), pilots);
        return pilots.Pilots;
    }

    // The line ends MemoryExtensions.EnumerateLines knows; lines are cut by hand here to keep their offsets.
    private static readonly System.Buffers.SearchValues<char> LineEnds = System.Buffers.SearchValues.Create("\r\n\f\u0085\u2028\u2029");

    private static void ReadDelimited(string stdout, string fieldList, char delimiter, LsfRecord record, ILsfJobSink sink)
    {
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("bjobs printed binary data");
        }

        var layout = new DelimitedLayout(fieldList, delimiter);
        var lineNo = 0;
        var next = 0;
        var more = true;
        while (more)
        {
            var lineStart = next;
            var rel = stdout.AsSpan(lineStart).IndexOfAny(LineEnds);
            var lineEnd = rel < 0 ? stdout.Length : lineStart + rel;
            more = rel >= 0;
            next = lineEnd + (more && stdout[lineEnd] == '\r' && lineEnd + 1 < stdout.Length && stdout[lineEnd + 1] == '\n' ? 2 : 1);
            lineNo++;
            if (layout.Read(stdout, lineStart, lineEnd - lineStart, lineNo, record))
            {
                sink.Add(record);
            }
        }
    }

    /// <summary>The columns of a delimited listing, and the reading of one line of it.</summary>
    private sealed class DelimitedLayout
    {
        private readonly string[] _names;
        private readonly int[] _slots;
        private readonly int _nameIndex;
        private readonly char _delimiter;
        private readonly Range[] _ranges;

        public DelimitedLayout(string fieldList, char delimiter)
        {
            _names = fieldList.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(f => !f.StartsWith("delimiter=", StringComparison.Ordinal))
                .Select(f => f.Split(':')[0].ToLowerInvariant() switch
                {
                    "id" => "JOBID",
                    "name" => "JOB_NAME",
                    var other => other.ToUpperInvariant(),
                })
                .ToArray();
            _slots = _names.Select(n => LsfSlot.Of(n)).ToArray();
            _nameIndex = Array.IndexOf(_names, "JOB_NAME");
            _delimiter = delimiter;
            _ranges = new Range[_names.Length + 1];
        }

        /// <summary>
        /// Fills the record from <c>text[start..start+length]</c>; false for a blank or banner line. One call
        /// per line rather than a loop in the caller, which the JIT would optimise less (on-stack replacement).
        /// </summary>
        public bool Read(string text, int start, int length, int lineNo, LsfRecord record)
        {
            var line = text.AsSpan(start, length);
            if (line.IsWhiteSpace() || IsBanner(line))
            {
                return false;
            }

            record.Clear();
            var names = _names;
            var slots = _slots;
            var ranges = _ranges.AsSpan();
            var n = line.Split(ranges, _delimiter);
            if (n == names.Length && line[ranges[n - 1]].Contains(_delimiter))
            {
                n = names.Length + 1;
            }

            if (n == names.Length)
            {
                for (var i = 0; i < n; i++)
                {
                    if (slots[i] >= 0)
                    {
                        var (offset, fieldLength) = ranges[i].GetOffsetAndLength(line.Length);
                        record.Set(slots[i], start + offset, fieldLength);
                    }
                }

                return true;
            }

            // Only the job name could hold the delimiter: glue the surplus back into it.
            var parts = line.ToString().Split(_delimiter);
            if (parts.Length > names.Length && _nameIndex >= 0)
            {
                var extra = parts.Length - names.Length;
                var glued = string.Join(_delimiter, parts[_nameIndex..(_nameIndex + extra + 1)]);
                parts = [.. parts[.._nameIndex], glued, .. parts[(_nameIndex + extra + 1)..]];
            }
            else
            {
                throw new FormatException($"line {lineNo}: {parts.Length} fields where {names.Length} were asked for: '{ErrorText.Clip(line.ToString())}'");
            }

            for (var i = 0; i < names.Length; i++)
            {
                if (slots[i] >= 0)
                {
                    record.SetString(slots[i], parts[i]);
                }
            }

            return true;
        }
    }

    /// <summary><c>Job &lt;542935&gt; is submitted to queue &lt;short&gt;.</c> (or "to default queue") → 542935.</summary>
    public static string ParseSubmitId(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var m = SubmitLine().Match(stdout);
        return m.Success ? m.Groups[1].Value : throw new FormatException($"bsub printed no 'Job <N> is submitted' line: '{ErrorText.Clip(stdout.Trim())}'");
    }

    [GeneratedRegex(@"Job <(\d+)> is submitted to (?:default )?queue <[^>]*>")]
    private static partial Regex SubmitLine();

    /// <summary>bjobs found nothing to show: not a failure of the listing.</summary>
    public static bool IsNoJobs(string line) =>
        line.Contains("No unfinished job found", StringComparison.OrdinalIgnoreCase)
        || line.Contains("No job found", StringComparison.OrdinalIgnoreCase)
        || line.Contains("No matching job found", StringComparison.OrdinalIgnoreCase);

    /// <summary>A job that is gone: "Job &lt;N&gt; is not found", "Job has already finished", "No matching job found".</summary>
    public static bool IsGone(string line) =>
        NotFound().IsMatch(line)
        || line.Contains("Job has already finished", StringComparison.OrdinalIgnoreCase)
        || line.Contains("No matching job found", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"Job <[^>]+> is not found")]
    private static partial Regex NotFound();

    /// <summary>The "please wait" lines LSF prints while mbatchd is busy.</summary>
    public static bool IsBanner(string line) => IsBanner(line.AsSpan());

    private static bool IsBanner(ReadOnlySpan<char> line) => line.TrimStart().StartsWith("LSF is processing your request", StringComparison.Ordinal);

    private static void CheckPrefix(string prefix)
    {
        foreach (var line in prefix.Split('\n'))
        {
            if (line.Trim().Length > 0 && !IsBanner(line))
            {
                throw new FormatException($"unexpected text before the JSON: '{ErrorText.Clip(line.Trim())}'");
            }
        }
    }

    /// <summary>Builds the <see cref="LsfJob"/> of each record (for outcomes, tests and tools; the tick path needs none).</summary>
    private sealed class JobList : ILsfJobSink
    {
        public List<LsfJob> Jobs { get; } = [];

        public void Add(LsfRecord record)
        {
            var jobIdText = record.RequireJobId();
            var statText = record.RequireStat(jobIdText);
            var jobId = record.JobId(jobIdText);
            var rawName = record.Value(LsfSlot.JobName);
            var baseName = SplitArrayName(rawName, out var nameIndex);
            var index = record.Index(nameIndex);
            var start = record.Time(LsfSlot.StartTime);
            Jobs.Add(new LsfJob(
                LsfRecord.ElementId(jobId, index),
                jobId,
                index,
                record.Pooled(baseName) ?? "",
                record.Pooled(statText)!,
                record.String(LsfSlot.Queue),
                record.String(LsfSlot.User),
                record.Time(LsfSlot.SubmitTime),
                start,
                record.Time(LsfSlot.FinishTime),
                record.TimeLimit(start),
                record.String(LsfSlot.PendReason),
                record.ExitCode(),
                record.String(LsfSlot.ExitReason),
                rawName.StartsWith('*')));
        }
    }

    /// <summary><c>name[3]</c> → (name, 3).</summary>
    public static (string Name, int? Index) SplitArrayName(string name)
    {
        var baseName = SplitArrayName(name.AsSpan(), out var index);
        return (baseName.Length == name.Length ? name : baseName.ToString(), index);
    }

    /// <summary><c>name[3]</c> → name, with 3 as the index.</summary>
    internal static ReadOnlySpan<char> SplitArrayName(ReadOnlySpan<char> name, out int? index)
    {
        index = null;
        if (name.EndsWith(']'))
        {
            var open = name.LastIndexOf('[');
            if (open > 0 && int.TryParse(name[(open + 1)..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            {
                index = i;
                return name[..open];
            }
        }

        return name;
    }

    private static readonly string[] TimeFormats =
    [
        "MMM d HH:mm", "MMM d HH:mm:ss", "MMM d HH:mm yyyy", "MMM d HH:mm:ss yyyy", "MM/dd-HH:mm:ss", "yyyy/MM/dd-HH:mm:ss", "yyyy/MM/dd HH:mm:ss",
    ];

    /// <summary>
    /// LSF times: <c>Dec 28 19:56</c>, <c>Feb  2 01:53 L</c> (a trailing flag letter), <c>03/31-14:46:42</c>;
    /// without a year the most recent such date not after tomorrow is taken.
    /// </summary>
    public static DateTimeOffset? ParseTime(string? text, DateTimeOffset now, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "-")
        {
            return null;
        }

        if (TryParseShort(text.AsSpan().Trim(), now, zone) is { } quick)
        {
            return quick;
        }

        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        if (parts.Count > 1 && parts[^1].Length == 1 && char.IsAsciiLetterUpper(parts[^1][0]))
        {
            parts.RemoveAt(parts.Count - 1);
        }

        var normal = string.Join(' ', parts);
        if (!DateTime.TryParseExact(normal, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        var hasYear = normal.Contains('/', StringComparison.Ordinal) ? normal.Length > 14 : parts.Count == 4;
        var localNow = TimeZoneInfo.ConvertTime(now, zone);
        if (!hasYear)
        {
            try
            {
                local = new DateTime(localNow.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second);
            }
            catch (ArgumentOutOfRangeException)
            {
                // Feb 29 in a non-leap year: it was last year.
                local = new DateTime(localNow.Year - 1, local.Month, 28, local.Hour, local.Minute, local.Second);
            }

            if (local > localNow.DateTime.AddDays(1))
            {
                local = local.AddYears(-1);
            }
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>The common <c>Mmm d HH:MM[:SS][ X]</c> form without allocating.</summary>
    private static DateTimeOffset? TryParseShort(ReadOnlySpan<char> t, DateTimeOffset now, TimeZoneInfo zone)
    {
        var p = 0;
        if (!TimeTokens.Word(t, ref p, out var mon) || !TimeTokens.Number(t, ref p, out var day) || !TimeTokens.Number(t, ref p, out var hh, ':') || !TimeTokens.Number(t, ref p, out var mm))
        {
            return null;
        }

        var ss = 0;
        if (p < t.Length && t[p] == ':')
        {
            p++;
            if (!TimeTokens.Number(t, ref p, out ss))
            {
                return null;
            }
        }

        var rest = t[p..].Trim();
        if (!(rest.IsEmpty || (rest.Length == 1 && char.IsAsciiLetterUpper(rest[0]))))
        {
            return null;
        }

        var month = TimeTokens.MonthNumber(mon);
        if (month == 0 || day is < 1 or > 31 || hh > 23 || mm > 59 || ss > 59)
        {
            return null;
        }

        var localNow = zone == TimeZoneInfo.Utc ? now.UtcDateTime : TimeZoneInfo.ConvertTime(now, zone).DateTime;
        var year = localNow.Year;
        if (day > DateTime.DaysInMonth(year, month))
        {
            year--;
            if (day > DateTime.DaysInMonth(year, month))
            {
                return null;
            }
        }

        var local = new DateTime(year, month, day, hh, mm, ss, DateTimeKind.Unspecified);
        if (local > localNow.AddDays(1))
        {
            local = local.AddYears(-1);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary><c>HH:MM:SS</c>, <c>HH:MM</c> (with an optional trailing flag letter), or minutes as <c>600.0 min</c>.</summary>
    public static TimeSpan? ParseDuration(string? text) => text is null ? null : ParseDuration(text.AsSpan());

    internal static TimeSpan? ParseDuration(ReadOnlySpan<char> text)
    {
        var t = text.Trim();
        if (t.IsEmpty)
        {
            return null;
        }

        if (t.EndsWith(" min", StringComparison.Ordinal))
        {
            return double.TryParse(t[..^4], NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) ? TimeSpan.FromMinutes(minutes) : null;
        }

        var sp = t.IndexOf(' ');
        if (sp > 0)
        {
            t = t[..sp];
        }

        Span<Range> parts = stackalloc Range[4];
        var n = t.Split(parts, ':');
        if (n is < 2 or > 3)
        {
            return null;
        }

        Span<int> v = stackalloc int[3];
        for (var i = 0; i < n; i++)
        {
            if (!int.TryParse(t[parts[i]], NumberStyles.None, CultureInfo.InvariantCulture, out v[i]))
            {
                return null;
            }
        }

        return n == 3 ? new TimeSpan(v[0], v[1], v[2]) : new TimeSpan(v[0], v[1], 0);
    }

    /// <summary>Jobs named as asked become pilots; finished ones only when asked for.</summary>
    public static IReadOnlyList<Pilot> ToPilots(IEnumerable<LsfJob> jobs, IReadOnlyCollection<string> names, bool includeFinished = false)
    {
        var pilots = new LsfPilotCollector(names, includeFinished);
        foreach (var job in jobs)
        {
            pilots.Add(job);
        }

        return pilots.Pilots;
    }

    public static Pilot ToPilot(LsfJob job) => LsfPilotCollector.Create(job, LsfStates.Map(job.Stat, job.PendReason));

    public static IReadOnlyList<PilotOutcome> ToOutcomes(IEnumerable<LsfJob> jobs, IReadOnlyCollection<string> names, DateTimeOffset since)
    {
        var wanted = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        return jobs
            .Where(j => wanted.Contains(j.Name) && j.Stat is "DONE" or "EXIT" && (j.FinishTime is null || j.FinishTime >= since))
            .Select(j => new PilotOutcome(j.Id, j.Name, LsfStates.End(j.Stat, j.ExitCode, j.ExitReason), j.ExitCode ?? (j.Stat == "DONE" ? 0 : null), j.StartTime, j.FinishTime, j.Stat))
            .ToList();
    }
}
