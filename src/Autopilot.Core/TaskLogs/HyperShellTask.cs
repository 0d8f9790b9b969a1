using System.Globalization;

namespace Autopilot.TaskLogs;

/// <summary>A task's state as <c>autopilot logs</c> reports it, derived from HyperShell's nullable columns.</summary>
public enum TaskLogState
{
    /// <summary>Never handed out: schedule_time NULL.</summary>
    Pending,

    /// <summary>Scheduled (handed to a client or pre-marked), not finished.</summary>
    InFlight,

    Succeeded,
    Failed,

    /// <summary>exit_status -1.</summary>
    Cancelled,
}

/// <summary>One row of HyperShell's task table, as far as the logs command needs it.</summary>
public sealed record HyperShellTask(
    string Id,
    string Args,
    string? Command,
    DateTimeOffset SubmitTime,
    DateTimeOffset? ScheduleTime,
    DateTimeOffset? StartTime,
    DateTimeOffset? CompletionTime,
    int? ExitStatus,
    int Attempt,
    string? ClientHost,
    string? Outpath,
    string? Errpath,
    long? Waited,
    long? Duration)
{
    public TaskLogState State => StateOf(ScheduleTime, CompletionTime, ExitStatus);

    /// <summary>The time the task was last heard of: completion, else start, else submission.</summary>
    public DateTimeOffset LastTime => CompletionTime ?? StartTime ?? SubmitTime;

    /// <summary>The command as run, else the submitted args.</summary>
    public string CommandLine => string.IsNullOrEmpty(Command) ? Args : Command;

    public bool Finished => State is TaskLogState.Succeeded or TaskLogState.Failed or TaskLogState.Cancelled;

    public static TaskLogState StateOf(DateTimeOffset? scheduled, DateTimeOffset? completed, int? exitStatus)
    {
        if (exitStatus == -1)
        {
            return TaskLogState.Cancelled;
        }

        if (completed is not null)
        {
            return exitStatus == 0 ? TaskLogState.Succeeded : TaskLogState.Failed;
        }

        if (exitStatus is not null)
        {
            // Finished without a completion time: not HyperShell's own shape, but never "running".
            return exitStatus == 0 ? TaskLogState.Succeeded : TaskLogState.Failed;
        }

        return scheduled is null ? TaskLogState.Pending : TaskLogState.InFlight;
    }

    /// <summary>snake_case name used in text and JSON: pending, in_flight, succeeded, failed, cancelled.</summary>
    public static string Name(TaskLogState state) => state switch
    {
        TaskLogState.InFlight => "in_flight",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Parses a timestamp as the database holds it. HyperShell writes <c>datetime.now().astimezone()</c>;
    /// PostgreSQL keeps the instant (timestamptz), but SQLAlchemy's SQLite DATETIME text
    /// ("yyyy-MM-dd HH:mm:ss[.ffffff]") drops the offset and keeps the writer's local clock time.
    /// A time without an offset is therefore read in <paramref name="naiveZone"/> (the local zone
    /// for SQLite: the server and the clients write in theirs). Null when empty.
    /// </summary>
    /// <exception cref="FormatException">Not a timestamp.</exception>
    public static DateTimeOffset? ParseTime(object? value, TimeZoneInfo naiveZone)
    {
        ArgumentNullException.ThrowIfNull(naiveZone);
        switch (value)
        {
            case null or DBNull:
                return null;
            case DateTimeOffset dto:
                return dto.ToUniversalTime();
            case DateTime dt:
                return InZone(dt, naiveZone);
            case string s when s.Length == 0:
                return null;
            case string s:
                // RoundtripKind: no offset -> Unspecified (a wall-clock time), "Z" -> Utc, an offset -> Local.
                if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
                {
                    return InZone(parsed, naiveZone);
                }

                throw new FormatException($"'{s}' is not a timestamp");
            default:
                throw new FormatException($"unexpected timestamp value of type {value.GetType().Name}");
        }
    }

    private static DateTimeOffset InZone(DateTime time, TimeZoneInfo zone) => time.Kind == DateTimeKind.Unspecified
        ? new DateTimeOffset(time, zone.GetUtcOffset(time)).ToUniversalTime()
        : new DateTimeOffset(time).ToUniversalTime();
}
