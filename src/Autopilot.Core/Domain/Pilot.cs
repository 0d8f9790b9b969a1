namespace Autopilot.Domain;

/// <summary>Where a pilot job is in its scheduler's life cycle, reduced to what the policy needs.</summary>
public enum PilotState
{
    Queued,
    Held,
    Running,
    Completing,
    Finished,
    Unknown,
}

/// <summary>
/// Why a queued pilot waits, classified so the policy can tell "wait, it will start" from
/// "more pilots cannot help" (limits, a partition that is down, holds, errors).
/// </summary>
public enum PendingKind
{
    None,
    /// <summary>Waiting for resources or priority: normal, more pilots would wait too but may start.</summary>
    Resources,
    /// <summary>Waiting for a start time or a dependency the pilot asked for.</summary>
    BeginTime,
    /// <summary>A per-user, QOS or association limit: more pilots cannot start either.</summary>
    Limit,
    /// <summary>The partition/queue is down or nodes are reserved for maintenance.</summary>
    Unavailable,
    /// <summary>Held by a user or an administrator.</summary>
    Held,
    /// <summary>The scheduler put the job in an error state (Grid Engine Eqw, ...).</summary>
    Error,
    Other,
}

/// <summary>One pilot job as the scheduler reports it.</summary>
/// <param name="Id">The scheduler's id for this job or array element (e.g. <c>123</c>, <c>123_4</c>, <c>123[4].server</c>, <c>123.4</c>).</param>
/// <param name="Name">The job name; pilots are recognised by it, never remembered.</param>
/// <param name="RawState">The scheduler's own state code (PENDING, qw, PEND, ...).</param>
/// <param name="ArrayJobId">The array's parent id when this is an array element.</param>
/// <param name="TimeLimit">The walltime the job asked for, when the scheduler reports it.</param>
/// <param name="Foreign">
/// The job carries a pilot's name but not the marker only Autopilot sets (docs/operations.md, "What
/// identifies a pilot"): someone else's look-alike. Listed, never counted, never cancelled.
/// </param>
public sealed record Pilot(
    string Id,
    string Name,
    PilotState State,
    string RawState,
    string? PendingReason = null,
    PendingKind PendingKind = PendingKind.None,
    DateTimeOffset? SubmitTime = null,
    DateTimeOffset? StartTime = null,
    int? ArrayIndex = null,
    string? ArrayJobId = null,
    TimeSpan? TimeLimit = null,
    bool Foreign = false)
{
    public bool IsQueued => State is PilotState.Queued;
    public bool IsActive => State is PilotState.Queued or PilotState.Held or PilotState.Running or PilotState.Completing;
}

/// <summary>How a finished pilot ended, learned from the scheduler's accounting.</summary>
public enum PilotEnd
{
    Completed,
    Failed,
    Walltime,
    Preempted,
    NodeFailure,
    Cancelled,
    Unknown,
}

/// <summary>A finished pilot as accounting reports it.</summary>
public sealed record PilotOutcome(
    string Id,
    string Name,
    PilotEnd End,
    int? ExitCode,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string RawState);
