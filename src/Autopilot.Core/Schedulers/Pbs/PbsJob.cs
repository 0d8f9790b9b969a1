using System.Globalization;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Pbs;

/// <summary>Which PBS family is answering: PBS Professional/OpenPBS or Torque.</summary>
public enum PbsFlavor
{
    PbsPro,
    Torque,
}

/// <summary>One job as any PBS listing format shows it, before it becomes a <see cref="Domain.Pilot"/>.</summary>
/// <param name="Id">As printed: <c>1234.server</c>, <c>1234</c> (Torque), <c>123[].server</c> (array parent), <c>123[7].server</c>.</param>
/// <param name="Owner">Job_Owner (<c>user@host</c>); null where the format does not show it.</param>
/// <param name="ExitStatus">PBS Exit_status / Torque exit_status, when the job has ended.</param>
/// <param name="EndTime">obittime (PBS) or comp_time (Torque).</param>
public sealed record PbsJob(
    string Id,
    string Name,
    string State,
    string? Owner = null,
    string? Queue = null,
    string? Comment = null,
    string? HoldTypes = null,
    DateTimeOffset? QueueTime = null,
    DateTimeOffset? StartTime = null,
    DateTimeOffset? EndTime = null,
    TimeSpan? Walltime = null,
    int? ExitStatus = null)
{
    /// <summary>An array's parent (<c>123[]</c>): a container, not a pilot itself.</summary>
    public bool IsArrayParent => PbsJobIds.IsArrayParent(Id);

    /// <summary>The subjob index of <c>123[7].server</c>; null for other ids.</summary>
    public int? ArrayIndex => PbsJobIds.ArrayIndex(Id);

    /// <summary>The parent id <c>123[].server</c> of subjob <c>123[7].server</c>.</summary>
    public string? ArrayParentId => _parent ??= PbsJobIds.ArrayParentId(Id);

    private string? _parent;

    /// <summary>The user part of <see cref="Owner"/>.</summary>
    public string? OwnerUser => Owner is null ? null : Owner.Split('@', 2)[0];

    /// <summary>True when <see cref="Owner"/>'s user part is <paramref name="user"/>, or the format shows no owner.</summary>
    internal bool IsOwnedBy(string user) => PbsJobIds.IsOwnedBy(Owner, user);
}

/// <summary>What a PBS job id and owner say, shared by <see cref="PbsJob"/> and the parsers' direct path.</summary>
internal static class PbsJobIds
{
    public static bool IsArrayParent(string id) => id.Contains("[]", StringComparison.Ordinal);

    public static int? ArrayIndex(string id)
    {
        var open = id.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : id.IndexOf(']', open);
        return close > open + 1 && int.TryParse(id.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
    }

    public static string? ArrayParentId(string id, string? previous = null)
    {
        var open = id.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : id.IndexOf(']', open);
        if (close <= open + 1)
        {
            return null;
        }

        // Subjobs of one array are listed together: the previous parent is reused when it is this one.
        if (previous is not null && previous.Length == id.Length - (close - open - 1)
            && previous.AsSpan(0, open + 1).SequenceEqual(id.AsSpan(0, open + 1))
            && previous.AsSpan(open + 1).SequenceEqual(id.AsSpan(close)))
        {
            return previous;
        }

        return string.Concat(id.AsSpan(0, open + 1), id.AsSpan(close));
    }

    /// <summary>True when the user part of <paramref name="owner"/> (<c>user@host</c>) is <paramref name="user"/>, or no owner is shown.</summary>
    public static bool IsOwnedBy(string? owner, string user)
    {
        if (owner is null)
        {
            return true;
        }

        var at = owner.IndexOf('@', StringComparison.Ordinal);
        return (at < 0 ? owner.AsSpan() : owner.AsSpan(0, at)).SequenceEqual(user);
    }
}

/// <summary>
/// Collects the attributes a pilot needs from any PBS format (JSON, <c>qstat -f</c> text, Torque XML).
/// One builder serves a whole listing (<see cref="Reset"/> between jobs): keys are matched to a slot
/// once, without allocating.
/// </summary>
internal sealed class PbsJobBuilder(TimeZoneInfo zone)
{
    public const int None = -1;
    private const int Name = 0, State = 1, Owner = 2, Queue = 3, Comment = 4, Hold = 5, QTime = 6, CTime = 7, STime = 8,
        EndTime = 9, Exit = 10, Walltime = 11, Count = 12;

    private readonly string?[] _values = new string?[Count];

    // Pooled values repeat by reference (every job of a burst has the same qtime and walltime): the
    // last text parsed is remembered.
    private string? _lastTimeText;
    private DateTimeOffset? _lastTime;
    private string? _lastDurationText;
    private TimeSpan? _lastDuration;

    public string? Id { get; private set; }

    /// <summary>Starts the next job.</summary>
    public void Reset(string? id)
    {
        Id = id;
        Array.Clear(_values);
    }

    public void SetId(string id) => Id = id;

    /// <summary>The slot of a key this builder keeps, or <see cref="None"/> (the value can be skipped unread).</summary>
    public static int Slot(ReadOnlySpan<char> key) => key switch
    {
        "Job_Name" => Name,
        "job_state" => State,
        "Job_Owner" => Owner,
        "queue" => Queue,
        "comment" => Comment,
        "Hold_Types" => Hold,
        "qtime" => QTime,
        "ctime" => CTime,
        "stime" or "start_time" => STime,
        "obittime" or "comp_time" => EndTime,
        "Exit_status" or "exit_status" => Exit,
        "Resource_List.walltime" or "walltime" => Walltime,
        _ => None,
    };

    /// <summary>The slot of <c>Resource_List.walltime</c> inside a nested Resource_List.</summary>
    public const int WalltimeSlot = Walltime;

    /// <summary>True when the key is one this builder keeps (others can be skipped unread).</summary>
    public static bool Wants(ReadOnlySpan<char> key) => Slot(key) != None;

    public void Set(ReadOnlySpan<char> key, string? value) => Set(Slot(key), value);

    public void Set(int slot, string? value)
    {
        if (slot >= 0)
        {
            _values[slot] = value;
        }
    }

    private DateTimeOffset? Time(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!ReferenceEquals(text, _lastTimeText))
        {
            _lastTime = PbsTime.Parse(text, zone);
            _lastTimeText = text;
        }

        return _lastTime;
    }

    private TimeSpan? Duration(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!ReferenceEquals(text, _lastDurationText))
        {
            _lastDuration = PbsTime.ParseDuration(text);
            _lastDurationText = text;
        }

        return _lastDuration;
    }

    /// <summary>The job's id; a job without one is an error.</summary>
    public string RequireId() => Id ?? throw new FormatException("a job without an id");

    /// <summary>The job's state, trimmed; a job without one is an error.</summary>
    public string RequireState()
    {
        var state = _values[State];
        if (string.IsNullOrWhiteSpace(state))
        {
            throw new FormatException($"job {RequireId()} has no job_state");
        }

        return state.Trim();
    }

    public string JobName => _values[Name] ?? "";

    public string? JobOwner => _values[Owner];

    public string? JobComment => _values[Comment];

    public DateTimeOffset? QueueTime => Time(_values[QTime] ?? _values[CTime]);

    public DateTimeOffset? StartTime => Time(_values[STime]);

    public TimeSpan? RequestedWalltime => Duration(_values[Walltime]);

    public PbsJob Build()
    {
        var id = RequireId();
        var state = RequireState();
        return new PbsJob(
            id,
            JobName,
            state,
            JobOwner,
            _values[Queue],
            JobComment,
            _values[Hold],
            QueueTime,
            StartTime,
            Time(_values[EndTime]),
            RequestedWalltime,
            int.TryParse(_values[Exit], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e) ? e : null);
    }
}

/// <summary>Receives each job a PBS parser reads, as the builder holds it (valid until the next job starts).</summary>
internal interface IPbsJobSink
{
    void Add(PbsJobBuilder job);
}

/// <summary>Every job of a listing as a <see cref="PbsJob"/> (tests, outcomes, the public parsers).</summary>
internal sealed class PbsJobList : List<PbsJob>, IPbsJobSink
{
    void IPbsJobSink.Add(PbsJobBuilder job) => Add(job.Build());
}

/// <summary>PBS time stamps: <c>Wed Apr 14 23:34:17 2021</c> (local time) or epoch seconds (Torque XML).</summary>
internal static class PbsTime
{
    private static readonly string[] Formats = ["ddd MMM d HH:mm:ss yyyy", "ddd MMM dd HH:mm:ss yyyy"];

    public static DateTimeOffset? Parse(string? text, TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var t = text.AsSpan().Trim();
        if (t.Length <= 12 && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            return epoch == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(epoch);
        }

        if (TryParseCTime(t, out var fast))
        {
            return new DateTimeOffset(fast, zone.GetUtcOffset(fast));
        }

        // Collapse the double space of single-digit days ("Tue Oct  4 21:23:20 2022").
        var normal = string.Join(' ', t.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (DateTime.TryParseExact(normal, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return new DateTimeOffset(local, zone.GetUtcOffset(local));
        }

        return null;
    }

    /// <summary>The ctime(3) layout <c>Www Mmm d HH:MM:SS YYYY</c> without allocating (listings carry it per job).</summary>
    private static bool TryParseCTime(ReadOnlySpan<char> t, out DateTime value)
    {
        value = default;
        var p = 0;
        if (!TimeTokens.Word(t, ref p, out _) || !TimeTokens.Word(t, ref p, out var mon) || !TimeTokens.Number(t, ref p, out var day)
            || !TimeTokens.Number(t, ref p, out var hh, ':') || !TimeTokens.Number(t, ref p, out var mm, ':') || !TimeTokens.Number(t, ref p, out var ss) || !TimeTokens.Number(t, ref p, out var yyyy))
        {
            return false;
        }

        var month = TimeTokens.MonthNumber(mon);
        if (month == 0 || p != t.Length || day is < 1 or > 31 || hh > 23 || mm > 59 || ss > 60 || yyyy is < 1970 or > 9999 || day > DateTime.DaysInMonth(yyyy, month))
        {
            return false;
        }

        value = new DateTime(yyyy, month, day, hh, mm, Math.Min(ss, 59), DateTimeKind.Unspecified);
        return true;
    }

    /// <summary><c>HH:MM:SS</c>, <c>MM:SS</c>, plain seconds, or <c>DD:HH:MM:SS</c>.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var t = text.AsSpan().Trim();
        Span<long> parts = stackalloc long[4];
        var count = 0;
        long current = 0;
        var digits = 0;
        foreach (var c in t)
        {
            if (char.IsAsciiDigit(c))
            {
                current = (current * 10) + (c - '0');
                if (++digits > 12)
                {
                    return null;
                }
            }
            else if (c == ':' && digits > 0 && count < 3)
            {
                parts[count++] = current;
                current = 0;
                digits = 0;
            }
            else
            {
                return null;
            }
        }

        if (digits == 0)
        {
            return null;
        }

        parts[count++] = current;
        return count switch
        {
            1 => TimeSpan.FromSeconds(parts[0]),
            2 => TimeSpan.FromSeconds((parts[0] * 60) + parts[1]),
            3 => TimeSpan.FromSeconds((parts[0] * 3600) + (parts[1] * 60) + parts[2]),
            _ => TimeSpan.FromSeconds((parts[0] * 86400) + (parts[1] * 3600) + (parts[2] * 60) + parts[3]),
        };
    }

    /// <summary>Walltime as PBS writes it: hours may exceed 24 (<c>100:00:00</c>).</summary>
    public static string FormatWalltime(TimeSpan t)
    {
        var seconds = (long)Math.Ceiling(t.TotalSeconds);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}");
    }
}
