using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Autopilot.Domain;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.GridEngine;

/// <summary>What <c>qsub</c> printed: the job id and, for an array, its task ids.</summary>
public sealed record GridEngineSubmission(string JobId, IReadOnlyList<int> Tasks)
{
    public bool IsArray => Tasks.Count > 0;
}

/// <summary>One record of <c>qacct -j</c>.</summary>
/// <param name="Failed">The <c>failed</c> code (0: the job ran and its exit status is meaningful).</param>
/// <param name="FailedText">The text after the code, e.g. "qmaster enforced h_rt, h_cpu, or h_vmem limit".</param>
public sealed record GridEngineAccounting(
    string JobNumber,
    int? TaskId,
    string JobName,
    int Failed,
    string FailedText,
    int? ExitStatus,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string? DeletedBy = null)
{
    public string Id => TaskId is { } t ? $"{JobNumber}.{t}" : JobNumber;
}

/// <summary>One job of <c>qstat -j &lt;ids&gt; -xml</c>.</summary>
/// <param name="TaskStatus">Task number → raw <c>JAT_status</c> (128 = running) for tasks that have started.</param>
public sealed record GridEngineJobDetail(
    string JobNumber,
    string? Name,
    string? Owner,
    string? Project,
    TimeSpan? HardRuntime,
    IReadOnlyDictionary<int, int> TaskStatus,
    IReadOnlyDictionary<string, string>? Context = null);

/// <summary>The answer of <c>qstat -j &lt;ids&gt; -xml</c>: jobs found and ids the qmaster does not know.</summary>
public sealed record GridEngineDetailReport(IReadOnlyList<GridEngineJobDetail> Jobs, IReadOnlyList<string> UnknownJobIds);

/// <summary>What <c>qdel</c> said: ids that were already gone, and lines that are real problems.</summary>
public sealed record GridEngineQdelReport(IReadOnlyList<string> AlreadyGone, IReadOnlyList<string> Problems);

/// <summary>
/// Pure parsers for Grid Engine (SGE 6.x, Son of Grid Engine 8.x, Univa/Altair GE, Open Cluster
/// Scheduler) command output. Every function takes text and returns records or throws
/// <see cref="FormatException"/> with what was wrong; the adapter adds the command.
/// </summary>
public static partial class GridEngineParser
{
    /// <summary>A pending array range is expanded into elements; beyond this many the listing is refused.</summary>
    public const int MaxElements = 2_000_000;

    // ------------------------------------------------------------------ qstat -xml [-r]

    /// <summary>
    /// Parses <c>qstat -xml [-r] [-u user]</c>. Running array tasks come one per <c>job_list</c>;
    /// pending tasks come as one <c>job_list</c> whose <c>tasks</c> is a list of ranges
    /// (<c>1-4:1</c>, <c>8,10</c>, <c>1-10:2</c>), expanded here into one pilot per element with id
    /// <c>N.i</c>. The output is scanned, not loaded into a DOM: it is flat, machine-written, large
    /// (100,000 jobs must parse in well under 100 ms) and a few forks print odd bytes in the header.
    /// </summary>
    /// <param name="jobNames">Keep only these names (exact); null keeps every job.</param>
    /// <param name="zone">The time zone qstat printed its times in (its own host's local time).</param>
    public static IReadOnlyList<Pilot> ParseQstatXml(string xml, IReadOnlyCollection<string>? jobNames, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var text = xml.AsSpan();
        RejectEmptyOrBinary(text, "qstat -xml");
        var root = text.IndexOf("<job_info", StringComparison.Ordinal);
        if (root < 0)
        {
            throw new FormatException($"qstat -xml output has no <job_info> element; it starts with: {Excerpt(xml)}");
        }

        if (!text.TrimEnd().EndsWith("</job_info>", StringComparison.Ordinal))
        {
            throw new FormatException("qstat -xml output is truncated: it does not end with </job_info>");
        }

        var scan = new ScanContext(jobNames is null ? null : new HashSet<string>(jobNames, StringComparer.Ordinal), zone);
        var pilots = new SegmentedList<Pilot>();
        var pos = root;
        while (true)
        {
            var open = text[pos..].IndexOf("<job_list", StringComparison.Ordinal);
            if (open < 0)
            {
                break;
            }

            pos = ScanJob(text, pos + open, scan, pilots);
        }

        return pilots;
    }

    /// <summary>Per-listing caches: the name set looked up by span, and the few distinct state codes and times.</summary>
    private sealed class ScanContext(HashSet<string>? names, TimeZoneInfo zone)
    {
        public readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? Names = names?.GetAlternateLookup<ReadOnlySpan<char>>();
        public readonly TimeZoneInfo Zone = zone;
        public readonly Dictionary<string, (string Raw, PilotState State, PendingKind Kind, string? Reason)> States = new(StringComparer.Ordinal);
        public readonly Dictionary<string, DateTimeOffset?> Times = new(StringComparer.Ordinal);
    }

    /// <summary>The fields of one job_list, as slices of the output (nothing allocated until the name matches).</summary>
    private ref struct JobFields
    {
        public ReadOnlySpan<char> Number;
        public ReadOnlySpan<char> Name;
        public ReadOnlySpan<char> FullName;
        public ReadOnlySpan<char> State;
        public ReadOnlySpan<char> Start;
        public ReadOnlySpan<char> Submit;
        public ReadOnlySpan<char> Tasks;
        public ReadOnlySpan<char> HardRuntime;
        public bool HasName;
        public bool HasState;
    }

    /// <summary>
    /// Reads one <c>&lt;job_list&gt;</c>: bounds it by its end tag, then looks each wanted tag up
    /// from where the previous one was found (Grid Engine writes them in a fixed order, so that is
    /// one pass), falling back to the part before when a fork orders them differently. Returns
    /// the offset after the end tag.
    /// </summary>
    private static int ScanJob(ReadOnlySpan<char> text, int open, ScanContext scan, SegmentedList<Pilot> pilots)
    {
        // One scan finds the end tag, or a second start tag first when a job_list lost its end
        // (then its fields could not be told from the next job's).
        var close = -1;
        for (var from = open + 9; ;)
        {
            var hit = text[from..].IndexOf("job_list", StringComparison.Ordinal);
            if (hit < 0)
            {
                throw Truncated(open);
            }

            hit += from;
            if (text[hit - 1] == '/' && text[hit - 2] == '<')
            {
                close = hit - 2 - open;
                break;
            }

            if (text[hit - 1] == '<')
            {
                throw Truncated(open);
            }

            from = hit + 8;
        }

        var element = text.Slice(open, close);
        var job = default(JobFields);
        var cursor = 0;
        job.Number = Value(element, "<JB_job_number>", ref cursor, out _);
        job.Name = Value(element, "<JB_name>", ref cursor, out job.HasName);
        job.State = Value(element, "<state>", ref cursor, out job.HasState);
        // Running entries carry JAT_start_time, pending ones JB_submission_time: look for the one
        // the entry's section promises first, and for the other only if that is missing.
        var pending = element[..Math.Min(element.Length, 40)].IndexOf("\"pending\"", StringComparison.Ordinal) >= 0;
        bool hasTime;
        if (pending)
        {
            job.Submit = Value(element, "<JB_submission_time>", ref cursor, out hasTime);
            if (!hasTime)
            {
                job.Start = Value(element, "<JAT_start_time>", ref cursor, out _);
            }
        }
        else
        {
            job.Start = Value(element, "<JAT_start_time>", ref cursor, out hasTime);
            if (!hasTime)
            {
                job.Submit = Value(element, "<JB_submission_time>", ref cursor, out _);
            }
        }

        job.Tasks = Value(element, "<tasks>", ref cursor, out _);
        job.FullName = Value(element, "<full_job_name>", ref cursor, out var hasFull);
        job.HasName |= hasFull;
        job.HardRuntime = Value(element, "<hard_request name=\"h_rt\"", ref cursor, out _);
        AddJob(ref job, open, scan, pilots);
        return open + close + "</job_list>".Length;
    }

    /// <summary>The trimmed text after <paramref name="tag"/> (an opening tag, maybe without its '>') up to the next '&lt;'.</summary>
    private static ReadOnlySpan<char> Value(ReadOnlySpan<char> element, scoped ReadOnlySpan<char> tag, scoped ref int cursor, out bool found)
    {
        var at = element[cursor..].IndexOf(tag, StringComparison.Ordinal);
        if (at >= 0)
        {
            at += cursor;
        }
        else
        {
            at = element[..cursor].IndexOf(tag, StringComparison.Ordinal);
            if (at < 0)
            {
                found = false;
                return default;
            }
        }

        var start = at + tag.Length;
        if (tag[^1] != '>')
        {
            // An opening tag with attributes: the value starts after its '>'.
            var gt = element[start..].IndexOf('>');
            if (gt < 0)
            {
                found = false;
                return default;
            }

            start += gt + 1;
        }

        var length = element[start..].IndexOf('<');
        if (length < 0)
        {
            // The value runs into the end tag we cut off: <x>value</job_list> is not well formed.
            throw new FormatException($"<{tag[1..].ToString().TrimEnd('>')}> is never closed (truncated output?)");
        }

        cursor = start + length;
        found = true;
        return element.Slice(start, length).Trim();
    }

    private static FormatException Truncated(int offset) =>
        new($"qstat -xml output is truncated: <job_list> at offset {offset} is never closed");

    private static void AddJob(ref JobFields job, int offset, ScanContext scan, SegmentedList<Pilot> pilots)
    {
        if (!job.HasName)
        {
            throw new FormatException($"qstat -xml <job_list> at offset {offset} has no JB_name");
        }

        // -r adds full_job_name; prefer it where a fork shortens JB_name.
        var nameSpan = job.FullName.IsEmpty ? job.Name : job.FullName;
        string name;
        if (nameSpan.Contains('&'))
        {
            name = WebUtility.HtmlDecode(nameSpan.ToString());
            if (scan.Names is { } n1 && !n1.Contains(name))
            {
                return;
            }
        }
        else if (scan.Names is { } n2)
        {
            if (!n2.TryGetValue(nameSpan, out var known))
            {
                return;
            }

            name = known;
        }
        else
        {
            name = nameSpan.ToString();
        }

        if (job.Number.IsEmpty || job.Number.Length > 18 || job.Number.ContainsAnyExceptInRange('0', '9'))
        {
            throw new FormatException($"qstat -xml <job_list> at offset {offset} ('{name}') has no numeric JB_job_number");
        }

        var number = job.Number.ToString();
        if (!job.HasState)
        {
            throw new FormatException($"qstat -xml job {number} ('{name}') has no <state>");
        }

        var states = scan.States.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!states.TryGetValue(job.State, out var mapped))
        {
            var rawText = job.State.ToString();
            var (s, k, r) = MapState(rawText);
            mapped = (rawText, s, k, r);
            scan.States[rawText] = mapped;
        }

        var (raw, state, kind, reason) = mapped;
        var submit = CachedTime(job.Submit, scan);
        var start = CachedTime(job.Start, scan);
        var limit = job.HardRuntime.IsEmpty ? null : ParseDuration(job.HardRuntime);
        if (job.Tasks.IsEmpty)
        {
            pilots.Add(new Pilot(number, name, state, raw, reason, kind, submit, start, null, null, limit));
            return;
        }

        foreach (var task in ExpandTasks(job.Tasks.ToString(), MaxElements - pilots.Count))
        {
            pilots.Add(new Pilot($"{number}.{task}", name, state, raw, reason, kind, submit, start, task, number, limit));
        }
    }

    private static DateTimeOffset? CachedTime(ReadOnlySpan<char> value, ScanContext scan)
    {
        if (value.IsEmpty)
        {
            return null;
        }

        // Jobs of one burst share their submission second: parse each distinct time once.
        var times = scan.Times.GetAlternateLookup<ReadOnlySpan<char>>();
        if (times.TryGetValue(value, out var cached))
        {
            return cached;
        }

        if (scan.Times.Count > 4096)
        {
            scan.Times.Clear();
        }

        var text = value.ToString();
        var parsed = ParseQstatTime(text, scan.Zone);
        scan.Times[text] = parsed;
        return parsed;
    }

    /// <summary>
    /// Maps a Grid Engine state code (a string of letters, see qstat(1)) to the policy's states.
    /// d (deletion) wins, then E (error: queued but will not start until <c>qmod -cj</c>), then
    /// running-ish letters (r, t, R alone), then suspension (s, S, T: the job holds its slot and will
    /// resume, so it counts as Running, never as something to cancel or replace), then holds, then
    /// waiting. Letters outside qstat(1)'s alphabet (Univa's P, N, ...) give Unknown.
    /// </summary>
    public static (PilotState State, PendingKind Kind, string? Reason) MapState(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.Length == 0 || raw.Any(c => !"dEhrRsStTqwz".Contains(c)))
        {
            return (PilotState.Unknown, PendingKind.None, null);
        }

        if (raw.Contains('d'))
        {
            return (PilotState.Completing, PendingKind.None, null);
        }

        if (raw.Contains('E'))
        {
            return (PilotState.Queued, PendingKind.Error, $"error state ({raw}): the job failed to start; `qstat -j <id>` shows why, `qmod -cj <id>` clears it");
        }

        if (raw.Contains('z'))
        {
            return (PilotState.Finished, PendingKind.None, null);
        }

        var waiting = raw.Contains('q') || raw.Contains('w');
        if (!waiting && (raw.Contains('s') || raw.Contains('S') || raw.Contains('T')))
        {
            return (PilotState.Running, PendingKind.None, $"suspended ({raw})");
        }

        if (!waiting && (raw.Contains('r') || raw.Contains('t') || raw.Contains('R')))
        {
            return (PilotState.Running, PendingKind.None, null);
        }

        if (raw.Contains('h'))
        {
            return (PilotState.Held, PendingKind.Held, $"held ({raw})");
        }

        return waiting
            ? (PilotState.Queued, PendingKind.Resources, null)
            : (PilotState.Unknown, PendingKind.None, null);
    }

    /// <summary>
    /// Expands a task list as qstat prints it: comma-separated ranges <c>a</c>, <c>a-b</c> or
    /// <c>a-b:step</c>. Refuses more than <paramref name="limit"/> elements.
    /// </summary>
    public static IReadOnlyList<int> ExpandTasks(string spec, int limit = MaxElements)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var tasks = new List<int>();
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            var m = TaskRange().Match(part);
            if (!m.Success)
            {
                throw new FormatException($"array task list '{spec}' is not a list of a[-b[:step]] ranges");
            }

            var first = ParseInt(m.Groups[1].Value, spec);
            var last = m.Groups[2].Success ? ParseInt(m.Groups[2].Value, spec) : first;
            var step = m.Groups[3].Success ? ParseInt(m.Groups[3].Value, spec) : 1;
            if (last < first || step < 1)
            {
                throw new FormatException($"array task list '{spec}' has an empty range '{part}'");
            }

            if ((long)tasks.Count + ((long)last - first) / step + 1 > limit)
            {
                throw new FormatException($"array task list '{spec}' expands to more than {limit} elements");
            }

            for (long t = first; t <= last; t += step)
            {
                tasks.Add((int)t);
            }
        }

        return tasks;
    }

    // ------------------------------------------------------------------ qstat (text)

    // ------------------------------------------------------------------ qstat -j -xml

    /// <summary>
    /// Parses <c>qstat -j &lt;ids&gt; [-r] -xml</c>. Unknown ids come back as an
    /// <c>&lt;unknown_jobs&gt;</c> document, which some releases print with an empty element name
    /// (<c>&lt;&gt;</c>, not well-formed XML): the <c>ST_name</c> values are read either way.
    /// </summary>
    public static GridEngineDetailReport ParseJobDetailXml(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var text = xml.AsSpan();
        RejectEmptyOrBinary(text, "qstat -j -xml");
        if (text.IndexOf("<unknown_jobs", StringComparison.Ordinal) >= 0)
        {
            if (text.IndexOf("</unknown_jobs>", StringComparison.Ordinal) < 0)
            {
                throw new FormatException("qstat -j -xml output is truncated: <unknown_jobs> is never closed");
            }

            var ids = AllTags(text, "ST_name").ToList();
            if (ids.Count == 0 || !ids.All(IsDigits))
            {
                throw new FormatException($"qstat -j -xml <unknown_jobs> without numeric ids: {Excerpt(xml)}");
            }

            return new GridEngineDetailReport([], ids);
        }

        if (text.IndexOf("<detailed_job_info", StringComparison.Ordinal) < 0)
        {
            throw new FormatException($"qstat -j -xml output has no <detailed_job_info> element; it starts with: {Excerpt(xml)}");
        }

        if (!text.TrimEnd().EndsWith("</detailed_job_info>", StringComparison.Ordinal))
        {
            throw new FormatException("qstat -j -xml output is truncated: it does not end with </detailed_job_info>");
        }

        const string numberTag = "<JB_job_number>";
        var jobs = new List<GridEngineJobDetail>();
        var pos = text.IndexOf(numberTag, StringComparison.Ordinal);
        while (pos >= 0)
        {
            var next = text[(pos + numberTag.Length)..].IndexOf(numberTag, StringComparison.Ordinal);
            var end = next < 0 ? text.Length : pos + numberTag.Length + next;
            var block = text[pos..end];
            var number = Tag(block, "JB_job_number");
            if (number is null || !IsDigits(number))
            {
                throw new FormatException($"qstat -j -xml has a JB_job_number that is not a number at offset {pos}");
            }

            TimeSpan? hrt = null;
            var ce = block.IndexOf("<CE_name>h_rt</CE_name>", StringComparison.Ordinal);
            if (ce >= 0 && Tag(block[ce..], "CE_stringval") is { } v)
            {
                hrt = ParseDuration(v);
            }

            var status = new Dictionary<int, int>();
            var tasksBlock = Section(block, "JB_ja_tasks");
            var numbers = AllTags(tasksBlock, "JAT_task_number").ToList();
            var states = AllTags(tasksBlock, "JAT_status").ToList();
            for (var i = 0; i < numbers.Count; i++)
            {
                status[ParseInt(numbers[i], "JAT_task_number")] = i < states.Count ? ParseInt(states[i], "JAT_status") : 0;
            }

            // Only the job context (-ac), not the environment list, which uses the same VA_ tags.
            var context = new Dictionary<string, string>(StringComparer.Ordinal);
            var contextBlock = Section(block, "JB_context");
            var names = AllTags(contextBlock, "VA_variable").ToList();
            var values = AllTags(contextBlock, "VA_value").ToList();
            for (var i = 0; i < names.Count; i++)
            {
                context[names[i]] = i < values.Count ? values[i] : "";
            }

            jobs.Add(new GridEngineJobDetail(number, Tag(block, "JB_job_name"), Tag(block, "JB_owner"), Tag(block, "JB_project"), hrt, status, context));
            pos = next < 0 ? -1 : end;
        }

        return new GridEngineDetailReport(jobs, []);
    }

    /// <summary>From <c>&lt;tag&gt;</c> to its close (or the end of <paramref name="block"/>); empty when the tag is absent.</summary>
    private static ReadOnlySpan<char> Section(ReadOnlySpan<char> block, string tag)
    {
        var at = block.IndexOf("<" + tag + ">", StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        var end = block[at..].IndexOf("</" + tag + ">", StringComparison.Ordinal);
        return end < 0 ? block[at..] : block[at..(at + end)];
    }

    // ------------------------------------------------------------------ qsub

    /// <summary>
    /// Parses what <c>qsub</c> printed: <c>-terse</c> (<c>N</c> or <c>N.1-4:1</c>) or the verbose
    /// <c>Your job N ("name") has been submitted</c> / <c>Your job-array N.1-4:1 ("name") has been submitted</c>.
    /// Other lines (site banners, warnings) are skipped; no id at all is an error.
    /// </summary>
    public static GridEngineSubmission ParseSubmit(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        foreach (var line in stdout.Split('\n').Select(l => l.Trim()))
        {
            var m = TerseId().Match(line);
            if (!m.Success)
            {
                m = VerboseId().Match(line);
            }

            if (m.Success)
            {
                var id = m.Groups["id"].Value;
                var tasks = m.Groups["tasks"].Success ? ExpandTasks(m.Groups["tasks"].Value) : [];
                return new GridEngineSubmission(id, tasks);
            }
        }

        throw new FormatException($"qsub printed no job id: {Excerpt(stdout)}");
    }

    // ------------------------------------------------------------------ qdel

    /// <summary>
    /// Sorts qdel's messages (printed on stdout, exit 1 when any id failed): confirmations, ids
    /// already gone (<c>denied: job "N" does not exist</c>, <c>job "N" task "i" does not exist</c>,
    /// <c>job "N" task id range "3-5:2" comprises no tasks</c>, <c>Following jobs do not exist</c>) and
    /// everything else, which is a problem.
    /// </summary>
    public static GridEngineQdelReport ParseQdel(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var gone = new List<string>();
        var problems = new List<string>();
        var followingList = false;
        foreach (var line in output.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            Match m;
            if ((m = GoneTaskRange().Match(line)).Success)
            {
                gone.AddRange(ExpandTasks(m.Groups[2].Value, 100_000).Select(t => $"{m.Groups[1].Value}.{t}"));
                followingList = false;
            }
            else if ((m = GoneTask().Match(line)).Success)
            {
                gone.Add($"{m.Groups[1].Value}.{m.Groups[2].Value}");
                followingList = false;
            }
            else if ((m = GoneJob().Match(line)).Success)
            {
                gone.Add(m.Groups[1].Value);
                followingList = false;
            }
            else if (line.StartsWith("Following jobs do not exist", StringComparison.Ordinal))
            {
                followingList = true;
                var after = line[(line.IndexOf(':') + 1)..];
                gone.AddRange(after.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).Where(IsJobId));
            }
            else if (followingList && line.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries).All(IsJobId))
            {
                gone.AddRange(line.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries));
            }
            else if (Deleted().IsMatch(line))
            {
                followingList = false;
            }
            else
            {
                problems.Add(line);
                followingList = false;
            }
        }

        return new GridEngineQdelReport(gone, problems);
    }

    // ------------------------------------------------------------------ qacct

    /// <summary>
    /// Parses <c>qacct -j</c>: records separated by lines of '=', "key value" lines. Times are
    /// ctime-like (<c>Sat Nov 21 23:52:23 2026</c>, SGE) or <c>11/21/2026 23:52:23.123</c> (Univa),
    /// in the local time of the host that wrote them; <c>-/-</c> means never.
    /// </summary>
    public static IReadOnlyList<GridEngineAccounting> ParseQacct(string output, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Contains('\0'))
        {
            throw new FormatException("qacct output contains NUL bytes (binary data)");
        }

        var records = new List<GridEngineAccounting>();
        Dictionary<string, string>? fields = null;
        var recordLine = 0;
        var lineNo = 0;
        foreach (var rawLine in output.Split('\n'))
        {
            lineNo++;
            var line = rawLine.TrimEnd('\r');
            if (line.StartsWith("=====", StringComparison.Ordinal))
            {
                if (fields is not null)
                {
                    records.Add(ToAccounting(fields, recordLine, zone));
                }

                fields = new Dictionary<string, string>(StringComparer.Ordinal);
                recordLine = lineNo;
                continue;
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (fields is null)
            {
                // Totals from `qacct` without -j, or an error line: not a job record.
                throw new FormatException($"qacct line {lineNo} comes before any job record: {Excerpt(line)}");
            }

            var space = line.IndexOfAny([' ', '\t']);
            var key = space < 0 ? line : line[..space];
            fields[key] = space < 0 ? "" : line[space..].Trim();
        }

        if (fields is not null)
        {
            records.Add(ToAccounting(fields, recordLine, zone));
        }

        return records;
    }

    private static GridEngineAccounting ToAccounting(Dictionary<string, string> f, int line, TimeZoneInfo zone)
    {
        string Need(string key) => f.TryGetValue(key, out var v) && v.Length > 0
            ? v
            : throw new FormatException($"qacct record at line {line} has no '{key}' (truncated output?)");

        var number = Need("jobnumber");
        if (!IsDigits(number))
        {
            throw new FormatException($"qacct record at line {line}: jobnumber '{number}' is not a number");
        }

        var failedText = Need("failed");
        var fm = LeadingInt().Match(failedText);
        if (!fm.Success)
        {
            throw new FormatException($"qacct record {number}: failed '{failedText}' does not start with a code");
        }

        int? exit = f.TryGetValue("exit_status", out var es) && LeadingInt().Match(es) is { Success: true } em
            ? int.Parse(em.Value, CultureInfo.InvariantCulture)
            : null;
        int? task = f.TryGetValue("taskid", out var tid) && IsDigits(tid) ? int.Parse(tid, CultureInfo.InvariantCulture) : null;
        var deletedBy = f.TryGetValue("deleted_by", out var db) && db is not ("" or "NONE" or "-/-") ? db : null;
        return new GridEngineAccounting(
            number,
            task,
            f.GetValueOrDefault("jobname", ""),
            int.Parse(fm.Value, CultureInfo.InvariantCulture),
            failedText[fm.Length..].TrimStart(' ', ':').Trim(),
            exit,
            ParseQacctTime(f.GetValueOrDefault("start_time"), zone),
            ParseQacctTime(f.GetValueOrDefault("end_time"), zone),
            deletedBy);
    }

    /// <summary>
    /// How a pilot ended, from its accounting record. Grid Engine writes no "cancelled" state, so it
    /// is inferred (checked on SGE 8.1.9 here): <c>failed 0</c> means the script ran to its own exit
    /// (0: Completed, else Failed); <c>failed 37</c> is the qmaster enforcing h_rt (Walltime);
    /// <c>failed 100</c> ("assumedly after job") with exit 137/143/140 is a kill from outside (qdel,
    /// or its -notify warning): Cancelled, or Walltime when 138 (SIGUSR1 from an s_rt soft limit a site or
    /// extra_args set, not caught). Univa's <c>deleted_by</c> makes it Cancelled outright. Any other failed
    /// code (the job could not be started: output file, working directory, prolog...) is Failed.
    /// </summary>
    public static PilotOutcome ToOutcome(GridEngineAccounting a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var end = a switch
        {
            { DeletedBy: not null } => PilotEnd.Cancelled,
            { Failed: 0, ExitStatus: 0 } => PilotEnd.Completed,
            { Failed: 0 } => PilotEnd.Failed,
            { Failed: 37 } => PilotEnd.Walltime,
            { Failed: 100, ExitStatus: 137 or 143 or 140 } => PilotEnd.Cancelled,
            { Failed: 100, ExitStatus: 138 } => PilotEnd.Walltime,
            { Failed: 100, ExitStatus: 0 } => PilotEnd.Completed,
            _ => PilotEnd.Failed,
        };
        var raw = $"failed={a.Failed}{(a.FailedText.Length > 0 ? " (" + a.FailedText + ")" : "")} exit_status={a.ExitStatus?.ToString(CultureInfo.InvariantCulture) ?? "?"}";
        return new PilotOutcome(a.Id, a.JobName, end, a.ExitStatus, a.StartTime, a.EndTime, raw);
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Parses "600", "600.5", "HH:MM:SS", "MM:SS" or "D:HH:MM:SS" as Grid Engine writes time values.</summary>
    public static TimeSpan? ParseDuration(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty || value.Equals("INFINITY", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds is >= 0 and < 1e9 ? TimeSpan.FromSeconds(seconds) : null;
        }

        long total = 0;
        foreach (var part in value.ToString().Split(':'))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || total > int.MaxValue)
            {
                return null;
            }

            total = total * 60 + n;
        }

        return TimeSpan.FromSeconds(total);
    }

    /// <summary>The walltime as qsub wants it: HH:MM:SS with hours not wrapped at 24.</summary>
    public static string FormatDuration(TimeSpan value)
    {
        var total = (long)Math.Ceiling(value.TotalSeconds);
        return string.Create(CultureInfo.InvariantCulture, $"{total / 3600:00}:{total / 60 % 60:00}:{total % 60:00}");
    }

    private static DateTimeOffset? ParseQstatTime(string? value, TimeZoneInfo zone)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (IsDigits(value) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            // Univa prints epoch milliseconds in some fields, older releases seconds.
            return epoch > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : DateTimeOffset.FromUnixTimeSeconds(epoch);
        }

        if (value.Length == 19 && DateTime.TryParseExact(value, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var plain))
        {
            return Local(plain, zone);
        }

        if (HasOffset(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset))
        {
            return withOffset;
        }

        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) ? Local(local, zone) : null;
    }

    private static bool HasOffset(string value) => value.EndsWith('Z') || value.LastIndexOf('+') > 10 || value.LastIndexOf('-') > 10;

    private static readonly string[] QacctTimeFormats = ["ddd MMM d HH:mm:ss yyyy", "MM/dd/yyyy HH:mm:ss.fff", "MM/dd/yyyy HH:mm:ss"];

    private static DateTimeOffset? ParseQacctTime(string? value, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(value) || value == "-/-")
        {
            return null;
        }

        var normalized = Spaces().Replace(value.Trim(), " ");
        return DateTime.TryParseExact(normalized, QacctTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? Local(local, zone)
            : null;
    }

    private static DateTimeOffset Local(DateTime local, TimeZoneInfo zone)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // In a DST gap the wall time does not exist; take the standard offset rather than throw.
        return zone.IsInvalidTime(unspecified)
            ? new DateTimeOffset(unspecified, zone.BaseUtcOffset)
            : new DateTimeOffset(unspecified, zone.GetUtcOffset(unspecified));
    }

    private static string? Tag(ReadOnlySpan<char> element, string name)
    {
        var value = TagSpan(element, name, out var found);
        if (!found)
        {
            return null;
        }

        return value.Contains('&') ? WebUtility.HtmlDecode(value.ToString()) : value.ToString();
    }

    /// <summary>The trimmed text between &lt;name&gt; and &lt;/name&gt; (entities not decoded).</summary>
    private static ReadOnlySpan<char> TagSpan(ReadOnlySpan<char> element, string name, out bool found)
    {
        Span<char> open = stackalloc char[name.Length + 2];
        open[0] = '<';
        name.AsSpan().CopyTo(open[1..]);
        open[^1] = '>';
        var start = element.IndexOf(open, StringComparison.Ordinal);
        if (start < 0)
        {
            found = false;
            return default;
        }

        start += open.Length;
        Span<char> close = stackalloc char[name.Length + 3];
        close[0] = '<';
        close[1] = '/';
        name.AsSpan().CopyTo(close[2..]);
        close[^1] = '>';
        var len = element[start..].IndexOf(close, StringComparison.Ordinal);
        if (len < 0)
        {
            throw new FormatException($"<{name}> is never closed (truncated output?)");
        }

        found = true;
        return element.Slice(start, len).Trim();
    }

    private static IEnumerable<string> AllTags(ReadOnlySpan<char> text, string name)
    {
        var found = new List<string>();
        var open = $"<{name}>";
        var pos = 0;
        while (true)
        {
            var at = text[pos..].IndexOf(open, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            var value = Tag(text[(pos + at)..], name);
            if (value is not null)
            {
                found.Add(value);
            }

            pos += at + open.Length;
        }

        return found;
    }

    private static void RejectEmptyOrBinary(ReadOnlySpan<char> text, string command)
    {
        if (text.Trim().IsEmpty)
        {
            throw new FormatException($"{command} printed nothing (it always prints a document, even with no jobs)");
        }

        if (text.Contains('\0'))
        {
            throw new FormatException($"{command} output contains NUL bytes (binary data)");
        }
    }

    private static bool IsDigits(string s) => s.Length is > 0 and < 19 && s.All(char.IsAsciiDigit);

    private static bool IsJobId(string s) => JobId().IsMatch(s);

    private static int ParseInt(string s, string context) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"'{s}' in '{context}' is not a number Grid Engine would print");

    internal static string Excerpt(string text)
    {
        var t = text.Trim();
        t = new string(t.Take(200).Select(c => char.IsControl(c) && c != '\n' ? '?' : c).ToArray());
        return t.Length == 0 ? "(nothing)" : t;
    }

    [GeneratedRegex(@"^(\d+)(?:-(\d+)(?::(\d+))?)?$")]
    private static partial Regex TaskRange();

    [GeneratedRegex(@"^(?<id>\d+)(?:\.(?<tasks>\d+-\d+:\d+))?$")]
    private static partial Regex TerseId();

    [GeneratedRegex(@"^Your job(?:-array)? (?<id>\d+)(?:\.(?<tasks>\d+-\d+:\d+))? \(.*\) has been submitted")]
    private static partial Regex VerboseId();

    [GeneratedRegex(@"job ""?(\d+)""? task ""?(\d+)""? does not exist")]
    private static partial Regex GoneTask();

    [GeneratedRegex(@"job ""(\d+)"" task id range ""([^""]*)"" comprises no tasks")]
    private static partial Regex GoneTaskRange();

    [GeneratedRegex(@"job ""?(\d+)""? does not exist")]
    private static partial Regex GoneJob();

    [GeneratedRegex(@"has (?:deleted|registered) .*job|for deletion|has deleted job")]
    private static partial Regex Deleted();

    [GeneratedRegex(@"^\d+(?:\.\d+)?$")]
    private static partial Regex JobId();

    [GeneratedRegex(@"^-?\d+")]
    private static partial Regex LeadingInt();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
