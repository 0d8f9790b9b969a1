using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.Domain;
using Autopilot.Schedulers.Pbs;

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
        zone ??= TimeZoneInfo.Local;
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("bjobs printed binary data, not JSON");
        }

        var start = LenientJsonReader.FindJsonStart(stdout);
        if (start < 0)
        {
            throw new FormatException(stdout.Trim().Length == 0 ? "bjobs printed nothing (expected JSON)" : $"bjobs printed no JSON object: '{PbsParsers.Clip(stdout.Trim())}'");
        }

        CheckPrefix(stdout[..start]);
        var reader = new LenientJsonReader(stdout, start, new StringPool());
        // One record's fields at a time: the array is reused.
        reader.ReadObjectStart();
        var jobs = new List<LsfJob>();
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
                var fields = new string?[Slot.Count];
                var cache = new ParseCache();
                while (reader.NextItem(ref firstItem))
                {
                    Array.Clear(fields);
                    reader.ReadObjectStart();
                    var firstField = true;
                    while (reader.NextMember(ref firstField, out var field))
                    {
                        var slot = Slot.Of(field);
                        if (slot < 0 || reader.Peek() is '{' or '[')
                        {
                            reader.SkipValue();
                            continue;
                        }

                        fields[slot] = reader.ReadScalar();
                    }

                    if (fields[Slot.Error] is not null)
                    {
                        continue;
                    }

                    jobs.Add(FromFields(fields, now, zone, reader.Pool, cache));
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

        return jobs;
    }

    /// <summary>
    /// Parses <c>bjobs -noheader -o "f1 f2 ... delimiter='|'"</c> output given the field list used.
    /// Field aliases <c>id</c> and <c>name</c> are understood.
    /// </summary>
    public static IReadOnlyList<LsfJob> ParseDelimited(string stdout, string fieldList, DateTimeOffset now, TimeZoneInfo? zone = null, char delimiter = '|')
    {
        ArgumentNullException.ThrowIfNull(stdout);
        zone ??= TimeZoneInfo.Local;
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("bjobs printed binary data");
        }

        var names = fieldList.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => !f.StartsWith("delimiter=", StringComparison.Ordinal))
            .Select(f => f.Split(':')[0].ToLowerInvariant() switch
            {
                "id" => "JOBID",
                "name" => "JOB_NAME",
                var other => other.ToUpperInvariant(),
            })
            .ToArray();
        var slots = names.Select(n => Slot.Of(n)).ToArray();
        var nameIndex = Array.IndexOf(names, "JOB_NAME");
        var jobs = new List<LsfJob>();
        var pool = new StringPool();
        var lineNo = 0;
        Span<Range> ranges = stackalloc Range[names.Length + 1];
        var fields = new string?[Slot.Count];
        var cache = new ParseCache();
        foreach (var raw in stdout.AsSpan().EnumerateLines())
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.IsWhiteSpace() || IsBanner(line))
            {
                continue;
            }

            Array.Clear(fields);
            var n = line.Split(ranges, delimiter);
            if (n == names.Length && line[ranges[n - 1]].Contains(delimiter))
            {
                n = names.Length + 1;
            }

            if (n == names.Length)
            {
                for (var i = 0; i < n; i++)
                {
                    if (slots[i] >= 0)
                    {
                        fields[slots[i]] = pool.Get(line[ranges[i]].Trim());
                    }
                }
            }
            else
            {
                // Only the job name could hold the delimiter: glue the surplus back into it.
                var parts = line.ToString().Split(delimiter);
                if (parts.Length > names.Length && nameIndex >= 0)
                {
                    var extra = parts.Length - names.Length;
                    var glued = string.Join(delimiter, parts[nameIndex..(nameIndex + extra + 1)]);
                    parts = [.. parts[..nameIndex], glued, .. parts[(nameIndex + extra + 1)..]];
                }
                else
                {
                    throw new FormatException($"line {lineNo}: {parts.Length} fields where {names.Length} were asked for: '{PbsParsers.Clip(line.ToString())}'");
                }

                for (var i = 0; i < names.Length; i++)
                {
                    if (slots[i] >= 0)
                    {
                        fields[slots[i]] = parts[i];
                    }
                }
            }

            jobs.Add(FromFields(fields, now, zone, pool, cache));
        }

        return jobs;
    }

    /// <summary>
    /// Parses the default bjobs table (<c>bjobs</c>, <c>bjobs -w</c>, <c>bjobs -a</c>, and <c>-W</c>): JOBID USER
    /// STAT QUEUE FROM_HOST EXEC_HOST JOB_NAME SUBMIT_TIME [...]. Names may contain spaces; without -w
    /// they are cut to 10 characters with a leading '*' (<see cref="LsfJob.NameTruncated"/>). Lines of
    /// extra execution hosts (indented) are skipped. For ids and states: the adapter itself never reads this form.
    /// </summary>
    public static IReadOnlyList<LsfJob> ParseTable(string stdout, DateTimeOffset now, TimeZoneInfo? zone = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        zone ??= TimeZoneInfo.Local;
        var jobs = new List<LsfJob>();
        string? header = null;
        var lineNo = 0;
        foreach (var raw in stdout.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || IsBanner(line))
            {
                continue;
            }

            if (line.StartsWith("JOBID", StringComparison.Ordinal))
            {
                header = line;
                continue;
            }

            if (header is null)
            {
                throw new FormatException($"line {lineNo}: expected the JOBID header but found '{PbsParsers.Clip(line)}'");
            }

            if (char.IsWhiteSpace(line[0]))
            {
                // Continuation: one more execution host of the job above.
                continue;
            }

            var m = TableRow().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"line {lineNo}: not a bjobs row: '{PbsParsers.Clip(line)}'");
            }

            var stat = m.Groups["stat"].Value;
            var rest = m.Groups["rest"];
            // EXEC_HOST is blank for a job that never started; then the name starts right after FROM_HOST.
            var execCol = header.IndexOf("EXEC_HOST", StringComparison.Ordinal);
            var hasExec = stat is not ("PEND" or "PSUSP") || (execCol >= 0 && rest.Index == execCol);
            var nameAndTime = rest.Value;
            if (hasExec)
            {
                var sp = nameAndTime.IndexOf(' ', StringComparison.Ordinal);
                nameAndTime = sp < 0 ? "" : nameAndTime[(sp + 1)..].TrimStart();
            }

            var tm = TrailingTime().Match(nameAndTime);
            if (!tm.Success)
            {
                throw new FormatException($"line {lineNo}: no SUBMIT_TIME after the job name: '{PbsParsers.Clip(line)}'");
            }

            var name = nameAndTime[..tm.Index].Trim();
            var jobId = m.Groups["id"].Value;
            var (baseName, index) = SplitArrayName(name);
            jobs.Add(new LsfJob(
                index is null ? jobId : $"{jobId}[{index}]",
                jobId,
                index,
                baseName,
                stat,
                m.Groups["queue"].Value,
                m.Groups["user"].Value,
                SubmitTime: ParseTime(tm.Groups["time"].Value, now, zone),
                NameTruncated: name.StartsWith('*')));
        }

        return jobs;
    }

    [GeneratedRegex(@"^(?<id>\d+)\s+(?<user>\S+)\s+(?<stat>[A-Z]+)\s+(?<queue>\S+)\s+(?<from>\S+)\s+(?<rest>\S.*)$")]
    private static partial Regex TableRow();

    // The submit time ends the default row; with -W more columns follow it.
    [GeneratedRegex(@"\s(?<time>[A-Z][a-z]{2}\s+\d{1,2}\s+\d{1,2}:\d{2}(:\d{2})?( [A-Z])?|\d{2}/\d{2}-\d{2}:\d{2}:\d{2})(\s.*)?$")]
    private static partial Regex TrailingTime();

    /// <summary><c>Job &lt;542935&gt; is submitted to queue &lt;short&gt;.</c> (or "to default queue") → 542935.</summary>
    public static string ParseSubmitId(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var m = SubmitLine().Match(stdout);
        return m.Success ? m.Groups[1].Value : throw new FormatException($"bsub printed no 'Job <N> is submitted' line: '{PbsParsers.Clip(stdout.Trim())}'");
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
                throw new FormatException($"unexpected text before the JSON: '{PbsParsers.Clip(line.Trim())}'");
            }
        }
    }

    /// <summary>The bjobs fields a pilot needs, by position in a record array.</summary>
    private static class Slot
    {
        public const int JobId = 0, JobIndex = 1, JobName = 2, Stat = 3, Queue = 4, User = 5, SubmitTime = 6, StartTime = 7,
            FinishTime = 8, RunTimeLimit = 9, TimeLeft = 10, PendReason = 11, ExitCode = 12, ExitReason = 13, Error = 14, Count = 15;

        public static int Of(ReadOnlySpan<char> field) => field switch
        {
            "JOBID" => JobId,
            "JOBINDEX" => JobIndex,
            "JOB_NAME" => JobName,
            "STAT" => Stat,
            "QUEUE" => Queue,
            "USER" => User,
            "SUBMIT_TIME" => SubmitTime,
            "START_TIME" => StartTime,
            "FINISH_TIME" => FinishTime,
            "RUNTIMELIMIT" => RunTimeLimit,
            "TIME_LEFT" => TimeLeft,
            "PEND_REASON" => PendReason,
            "EXIT_CODE" => ExitCode,
            "EXIT_REASON" => ExitReason,
            "ERROR" => Error,
            _ => -1,
        };
    }

    private static string? Field(string?[] f, int slot)
    {
        var v = f[slot];
        if (v is null)
        {
            return null;
        }

        var t = v.AsSpan().Trim();
        return t.Length == 0 || t is "-" ? null : t.Length == v.Length ? v : t.ToString();
    }

    /// <summary>
    /// Pooled values repeat by reference (a burst shares its submit time and run limit): the last
    /// text parsed for each field is remembered for the rest of one listing.
    /// </summary>
    private sealed class ParseCache
    {
        private readonly string?[] _timeText = new string?[3];
        private readonly DateTimeOffset?[] _time = new DateTimeOffset?[3];
        private readonly string?[] _durationText = new string?[2];
        private readonly TimeSpan?[] _duration = new TimeSpan?[2];

        public DateTimeOffset? Time(int which, string? text, DateTimeOffset now, TimeZoneInfo zone)
        {
            if (text is null)
            {
                return null;
            }

            if (!ReferenceEquals(text, _timeText[which]))
            {
                _time[which] = ParseTime(text, now, zone);
                _timeText[which] = text;
            }

            return _time[which];
        }

        public TimeSpan? Duration(int which, string? text)
        {
            if (text is null)
            {
                return null;
            }

            if (!ReferenceEquals(text, _durationText[which]))
            {
                _duration[which] = ParseDuration(text);
                _durationText[which] = text;
            }

            return _duration[which];
        }
    }

    private static LsfJob FromFields(string?[] f, DateTimeOffset now, TimeZoneInfo zone, StringPool? pool, ParseCache cache)
    {
        var jobId = Field(f, Slot.JobId) ?? throw new FormatException("a bjobs record without JOBID");
        var stat = Field(f, Slot.Stat) ?? throw new FormatException($"bjobs record {jobId} without STAT");
        var rawName = Field(f, Slot.JobName) ?? "";
        var (name, nameIndex) = SplitArrayName(rawName, pool);
        int? index = int.TryParse(Field(f, Slot.JobIndex), NumberStyles.None, CultureInfo.InvariantCulture, out var ji) && ji > 0 ? ji : nameIndex;
        var start = cache.Time(1, Field(f, Slot.StartTime), now, zone);
        var limit = cache.Duration(0, Field(f, Slot.RunTimeLimit));
        if (limit is null && start is not null && cache.Duration(1, Field(f, Slot.TimeLeft)) is { } left)
        {
            limit = now - start.Value + left;
        }

        return new LsfJob(
            index is null ? jobId : string.Create(CultureInfo.InvariantCulture, $"{jobId}[{index.Value}]"),
            jobId,
            index,
            name,
            stat,
            Field(f, Slot.Queue),
            Field(f, Slot.User),
            cache.Time(0, Field(f, Slot.SubmitTime), now, zone),
            start,
            cache.Time(2, Field(f, Slot.FinishTime), now, zone),
            limit,
            Field(f, Slot.PendReason),
            int.TryParse(Field(f, Slot.ExitCode), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : null,
            Field(f, Slot.ExitReason),
            rawName.StartsWith('*'));
    }

    /// <summary><c>name[3]</c> → (name, 3).</summary>
    public static (string Name, int? Index) SplitArrayName(string name) => SplitArrayName(name, null);

    private static (string Name, int? Index) SplitArrayName(string name, StringPool? pool)
    {
        if (name.EndsWith(']'))
        {
            var open = name.LastIndexOf('[');
            if (open > 0 && int.TryParse(name.AsSpan(open + 1, name.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var i))
            {
                // Every element of an array carries the same base name.
                return (pool is null ? name[..open] : pool.Get(name.AsSpan(0, open)), i);
            }
        }

        return (name, null);
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
        if (!PbsTime.Word(t, ref p, out var mon) || !PbsTime.Number(t, ref p, out var day) || !PbsTime.Number(t, ref p, out var hh, ':') || !PbsTime.Number(t, ref p, out var mm))
        {
            return null;
        }

        var ss = 0;
        if (p < t.Length && t[p] == ':')
        {
            p++;
            if (!PbsTime.Number(t, ref p, out ss))
            {
                return null;
            }
        }

        var rest = t[p..].Trim();
        if (!(rest.IsEmpty || (rest.Length == 1 && char.IsAsciiLetterUpper(rest[0]))))
        {
            return null;
        }

        var month = PbsTime.MonthNumber(mon);
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

    private static TimeSpan? ParseDuration(ReadOnlySpan<char> text)
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
        var wanted = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        var pilots = new List<Pilot>();
        // A listing repeats a handful of (state, reason) pairs: each is read once.
        var mapped = new Dictionary<(string Stat, string? Reason), (PilotState, PendingKind, string?)>();
        foreach (var job in jobs)
        {
            if (!wanted.Contains(job.Name))
            {
                continue;
            }

            if (!mapped.TryGetValue((job.Stat, job.PendReason), out var map))
            {
                map = LsfStates.Map(job.Stat, job.PendReason);
                mapped[(job.Stat, job.PendReason)] = map;
            }

            var pilot = ToPilot(job, map);
            if (!includeFinished && pilot.State is PilotState.Finished)
            {
                continue;
            }

            pilots.Add(pilot);
        }

        return pilots;
    }

    public static Pilot ToPilot(LsfJob job) => ToPilot(job, LsfStates.Map(job.Stat, job.PendReason));

    private static Pilot ToPilot(LsfJob job, (PilotState State, PendingKind Kind, string? Reason) map)
    {
        var (state, kind, reason) = map;
        return new Pilot(job.Id, job.Name, state, job.Stat, reason, kind, job.SubmitTime, job.StartTime, job.Index, job.Index is null ? null : job.JobId, job.TimeLimit);
    }

    public static IReadOnlyList<PilotOutcome> ToOutcomes(IEnumerable<LsfJob> jobs, IReadOnlyCollection<string> names, DateTimeOffset since)
    {
        var wanted = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        return jobs
            .Where(j => wanted.Contains(j.Name) && j.Stat is "DONE" or "EXIT" && (j.FinishTime is null || j.FinishTime >= since))
            .Select(j => new PilotOutcome(j.Id, j.Name, LsfStates.End(j.Stat, j.ExitCode, j.ExitReason), j.ExitCode ?? (j.Stat == "DONE" ? 0 : null), j.StartTime, j.FinishTime, j.Stat))
            .ToList();
    }
}
