using System.Globalization;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Lsf;

/// <summary>Takes the records of one bjobs listing, one at a time, as a parser reads them.</summary>
internal interface ILsfJobSink
{
    /// <summary>The record is refilled for the next job: keep only what is made from it, never the record.</summary>
    void Add(LsfRecord record);
}

/// <summary>The bjobs fields the adapter reads, by position in an <see cref="LsfRecord"/>.</summary>
internal static class LsfSlot
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

/// <summary>
/// The current record of one bjobs listing. Its fields are ranges of the output, so a sink pays for a
/// string only where it keeps one (a job that is not ours by name costs none); the rare value that had
/// to be rewritten (a JSON escape, a delimited name glued back together) is held as a string. Values
/// repeat down a listing (names, states, queues, reasons, times): they come from one <see cref="StringPool"/>,
/// so a repeated text is one string and its parsed time or duration is reused by reference.
/// </summary>
internal sealed class LsfRecord
{
    private readonly string _text;
    private readonly DateTimeOffset _now;
    private readonly TimeZoneInfo _zone;
    private readonly int[] _start = new int[LsfSlot.Count];
    private readonly int[] _length = new int[LsfSlot.Count];
    private readonly string?[] _rewritten = new string?[LsfSlot.Count];
    private readonly StringPool _pool = new();
    private string? _lastJobId;
    private readonly string?[] _parsedText = new string?[LsfSlot.Count];
    private readonly DateTimeOffset?[] _time = new DateTimeOffset?[LsfSlot.Count];
    private readonly TimeSpan?[] _duration = new TimeSpan?[LsfSlot.Count];
    private bool _anyRewritten;

    /// <param name="text">The whole output the ranges point into.</param>
    /// <param name="now">For the year of LSF's year-less times and for limits given as time left.</param>
    public LsfRecord(string text, DateTimeOffset now, TimeZoneInfo zone)
    {
        _text = text;
        _now = now;
        _zone = zone;
        Clear();
    }

    /// <summary>Empties every field for the next record.</summary>
    public void Clear()
    {
        _length.AsSpan().Fill(-1);
        if (_anyRewritten)
        {
            Array.Clear(_rewritten);
            _anyRewritten = false;
        }
    }

    /// <summary>The field is <c>text[start..start+length]</c> (blanks around it are ignored when read).</summary>
    public void Set(int slot, int start, int length)
    {
        _start[slot] = start;
        _length[slot] = length;
        _rewritten[slot] = null;
    }

    /// <summary>The field is a string that is not in the text; null is JSON null (as if the field were absent).</summary>
    public void SetString(int slot, string? value)
    {
        _rewritten[slot] = value;
        _length[slot] = value is null ? -1 : value.Length;
        _anyRewritten |= value is not null;
    }

    /// <summary>The field was given and not null, even if blank.</summary>
    public bool IsPresent(int slot) => _length[slot] >= 0;

    /// <summary>The field without surrounding blanks; empty when absent, null, blank or "-" (bjobs' "no value").</summary>
    public ReadOnlySpan<char> Value(int slot)
    {
        var length = _length[slot];
        if (length < 0)
        {
            return default;
        }

        var v = (_rewritten[slot] is { } s ? s.AsSpan() : _text.AsSpan(_start[slot], length)).Trim();
        return v is "-" ? default : v;
    }

    /// <summary>The job id; every record needs one.</summary>
    public ReadOnlySpan<char> RequireJobId()
    {
        var id = Value(LsfSlot.JobId);
        return id.IsEmpty ? throw new FormatException("a bjobs record without JOBID") : id;
    }

    /// <summary>The state; every record needs one.</summary>
    public ReadOnlySpan<char> RequireStat(ReadOnlySpan<char> jobId)
    {
        var stat = Value(LsfSlot.Stat);
        return stat.IsEmpty ? throw new FormatException($"bjobs record {jobId} without STAT") : stat;
    }

    public string? String(int slot) => Pooled(Value(slot));

    /// <summary>The listing's one string for a value (or a part of one, as a name without its [i]); null for none.</summary>
    public string? Pooled(ReadOnlySpan<char> value) => value.IsEmpty ? null : _pool.Get(value);

    /// <summary>
    /// The job id as a string: shared by the elements of an array, which follow each other, and
    /// otherwise unique, so it skips the pool (a pool full of ids only costs lookups).
    /// </summary>
    public string JobId(ReadOnlySpan<char> jobId)
    {
        if (_lastJobId is { } last && jobId.SequenceEqual(last))
        {
            return last;
        }

        return _lastJobId = jobId.ToString();
    }

    /// <summary>
    /// JOBINDEX when above 0 (bjobs prints 0 for a plain job), else the index from the name's [i].
    /// </summary>
    public int? Index(int? nameIndex) =>
        int.TryParse(Value(LsfSlot.JobIndex), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i > 0 ? i : nameIndex;

    public int? ExitCode() =>
        int.TryParse(Value(LsfSlot.ExitCode), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : null;

    public DateTimeOffset? Time(int slot)
    {
        var text = Value(slot);
        if (text.IsEmpty)
        {
            return null;
        }

        if (_parsedText[slot] is { } last && text.SequenceEqual(last))
        {
            return _time[slot];
        }

        var s = text.ToString();
        _parsedText[slot] = s;
        return _time[slot] = LsfParsers.ParseTime(s, _now, _zone);
    }

    /// <summary>RUNTIMELIMIT, or for a started job without one, what TIME_LEFT implies.</summary>
    public TimeSpan? TimeLimit(DateTimeOffset? start)
    {
        var limit = Duration(LsfSlot.RunTimeLimit);
        if (limit is null && start is not null && Duration(LsfSlot.TimeLeft) is { } left)
        {
            limit = _now - start.Value + left;
        }

        return limit;
    }

    /// <summary><c>N</c>, or <c>N[i]</c> for an array element.</summary>
    public static string ElementId(string jobId, int? index)
    {
        if (index is not { } i)
        {
            return jobId;
        }

        if (i < 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{jobId}[{i}]");
        }

        // Made once per array element: sized up front, cheaper than through a format handler.
        var digits = 1;
        for (var v = i; v >= 10; v /= 10)
        {
            digits++;
        }

        return string.Create(jobId.Length + digits + 2, (jobId, i), static (span, s) =>
        {
            s.jobId.CopyTo(span);
            span[s.jobId.Length] = '[';
            s.i.TryFormat(span[(s.jobId.Length + 1)..^1], out _, default, CultureInfo.InvariantCulture);
            span[^1] = ']';
        });
    }

    private TimeSpan? Duration(int slot)
    {
        var text = Value(slot);
        if (text.IsEmpty)
        {
            return null;
        }

        if (_parsedText[slot] is not { } last || !text.SequenceEqual(last))
        {
            _parsedText[slot] = text.ToString();
            _duration[slot] = LsfParsers.ParseDuration(text);
        }

        return _duration[slot];
    }
}
