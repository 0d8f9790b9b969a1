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
    public string? ArrayParentId
    {
        get
        {
            var open = Id.IndexOf('[', StringComparison.Ordinal);
            var close = open < 0 ? -1 : Id.IndexOf(']', open);
            return close > open + 1 ? string.Concat(Id.AsSpan(0, open + 1), Id.AsSpan(close)) : null;
        }
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

        var t = text.Trim();
        if (t.Length is > 0 and <= 12 && t.All(char.IsAsciiDigit) && long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
        {
            return epoch == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(epoch);
        }

        // Collapse the double space of single-digit days ("Tue Oct  4 21:23:20 2022").
        var normal = string.Join(' ', t.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (DateTime.TryParseExact(normal, Formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return new DateTimeOffset(local, zone.GetUtcOffset(local));
        }

        return null;
    }

    /// <summary><c>HH:MM:SS</c>, <c>MM:SS</c>, plain seconds, or <c>DD:HH:MM:SS</c>.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Trim().Split(':');
        long total = 0;
        foreach (var part in parts)
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return null;
            }

            total = (total * 60) + n;
        }

        if (parts.Length == 4)
        {
            // DD:HH:MM:SS: the first multiplier was 60, not 24.
            var days = long.Parse(parts[0], CultureInfo.InvariantCulture);
            total = total - (days * 60 * 60 * 60) + (days * 24 * 3600);
        }

        return parts.Length > 4 ? null : TimeSpan.FromSeconds(total);
    }

    /// <summary>Walltime as PBS writes it: hours may exceed 24 (<c>100:00:00</c>).</summary>
    public static string FormatWalltime(TimeSpan t)
    {
        var seconds = (long)Math.Ceiling(t.TotalSeconds);
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}");
    }
}
