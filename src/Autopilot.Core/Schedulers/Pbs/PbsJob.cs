using System.Globalization;

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
    public bool IsArrayParent => Id.Contains("[]", StringComparison.Ordinal);

    /// <summary>The subjob index of <c>123[7].server</c>; null for other ids.</summary>
    public int? ArrayIndex
    {
        get
        {
            var open = Id.IndexOf('[', StringComparison.Ordinal);
            var close = open < 0 ? -1 : Id.IndexOf(']', open);
            return close > open + 1 && int.TryParse(Id.AsSpan(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
        }
    }

    /// <summary>The parent id <c>123[].server</c> of subjob <c>123[7].server</c>.</summary>
    public string? ArrayParentId => _parent ??= ComputeParent();

    private string? _parent;

    private string? ComputeParent()
    {
        var open = Id.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : Id.IndexOf(']', open);
        return close > open + 1 ? string.Concat(Id.AsSpan(0, open + 1), Id.AsSpan(close)) : null;
    }

    /// <summary>The user part of <see cref="Owner"/>.</summary>
    public string? OwnerUser => Owner is null ? null : Owner.Split('@', 2)[0];
}

/// <summary>Collects the attributes a pilot needs from any PBS format (JSON, <c>qstat -f</c> text, Torque XML).</summary>
internal sealed class PbsJobBuilder(string id, TimeZoneInfo zone)
{
    private string? _name;
    private string? _state;
    private string? _owner;
    private string? _queue;
    private string? _comment;
    private string? _hold;
    private string? _qtime;
    private string? _ctime;
    private string? _stime;
    private string? _endTime;
    private string? _walltime;
    private string? _exit;

    public string Id { get; } = id;

    /// <summary>True when the key is one this builder keeps (others can be skipped unread).</summary>
    public static bool Wants(ReadOnlySpan<char> key) =>
        key is "Job_Name" or "job_state" or "Job_Owner" or "queue" or "comment" or "Hold_Types" or "qtime" or "ctime"
            or "stime" or "start_time" or "obittime" or "comp_time" or "Exit_status" or "exit_status"
            or "Resource_List.walltime" or "walltime";

    public void Set(ReadOnlySpan<char> key, string? value)
    {
        switch (key)
        {
            case "Job_Name": _name = value; break;
            case "job_state": _state = value; break;
            case "Job_Owner": _owner = value; break;
            case "queue": _queue = value; break;
            case "comment": _comment = value; break;
            case "Hold_Types": _hold = value; break;
            case "qtime": _qtime = value; break;
            case "ctime": _ctime = value; break;
            case "stime":
            case "start_time": _stime = value; break;
            case "obittime":
            case "comp_time": _endTime = value; break;
            case "Exit_status":
            case "exit_status": _exit = value; break;
            case "Resource_List.walltime":
            case "walltime": _walltime = value; break;
        }
    }

    public PbsJob Build()
    {
        if (string.IsNullOrWhiteSpace(_state))
        {
            throw new FormatException($"job {Id} has no job_state");
        }

        return new PbsJob(
            Id,
            _name ?? "",
            _state.Trim(),
            _owner,
            _queue,
            _comment,
            _hold,
            PbsTime.Parse(_qtime ?? _ctime, zone),
            PbsTime.Parse(_stime, zone),
            PbsTime.Parse(_endTime, zone),
            PbsTime.ParseDuration(_walltime),
            int.TryParse(_exit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var e) ? e : null);
    }
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
        if (!Word(t, ref p, out _) || !Word(t, ref p, out var mon) || !Number(t, ref p, out var day)
            || !Number(t, ref p, out var hh, ':') || !Number(t, ref p, out var mm, ':') || !Number(t, ref p, out var ss) || !Number(t, ref p, out var yyyy))
        {
            return false;
        }

        var month = MonthNumber(mon);
        if (month == 0 || p != t.Length || day is < 1 or > 31 || hh > 23 || mm > 59 || ss > 60 || yyyy is < 1970 or > 9999 || day > DateTime.DaysInMonth(yyyy, month))
        {
            return false;
        }

        value = new DateTime(yyyy, month, day, hh, mm, Math.Min(ss, 59), DateTimeKind.Unspecified);
        return true;
    }

    internal static int MonthNumber(ReadOnlySpan<char> mon) => mon switch
    {
        "Jan" => 1, "Feb" => 2, "Mar" => 3, "Apr" => 4, "May" => 5, "Jun" => 6,
        "Jul" => 7, "Aug" => 8, "Sep" => 9, "Oct" => 10, "Nov" => 11, "Dec" => 12,
        _ => 0,
    };

    internal static bool Word(ReadOnlySpan<char> t, ref int p, out ReadOnlySpan<char> word)
    {
        while (p < t.Length && t[p] == ' ')
        {
            p++;
        }

        var start = p;
        while (p < t.Length && char.IsAsciiLetter(t[p]))
        {
            p++;
        }

        word = t[start..p];
        return p > start;
    }

    internal static bool Number(ReadOnlySpan<char> t, ref int p, out int n, char? terminator = null)
    {
        while (p < t.Length && t[p] == ' ')
        {
            p++;
        }

        n = 0;
        var start = p;
        while (p < t.Length && char.IsAsciiDigit(t[p]) && p - start < 5)
        {
            n = (n * 10) + (t[p] - '0');
            p++;
        }

        if (p == start)
        {
            return false;
        }

        if (terminator is { } c)
        {
            if (p >= t.Length || t[p] != c)
            {
                return false;
            }

            p++;
        }

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
