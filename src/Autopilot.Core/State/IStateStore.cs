using Autopilot.Policy;

namespace Autopilot.State;

/// <summary>
/// What happened to a pool, for `events`, `status`, alerts and the audit trail. Every change in
/// what a pool does is one of these (docs/operations.md, "Events"); the JSON name is the member
/// name in lower case (<see cref="EventKinds.Name"/>).
/// </summary>
public enum EventKind
{
    Submitted,
    Cancelled,
    SubmitFailed,
    CancelFailed,

    /// <summary>Written before issue 17 when demand or pilots could not be read; now split into <see cref="DemandUnreadable"/> and <see cref="PilotsUnreadable"/>.</summary>
    PoolFailed,
    Paused,
    Resumed,
    Draining,
    CrashLoop,
    ManualSubmit,
    ManualCancel,
    LockReset,
    BackoffStarted,
    BackoffEnded,
    DemandUnreadable,
    PilotsUnreadable,
    OutcomesUnreadable,
    ConfigReloaded,
    ConfigRejected,

    /// <summary>A pool that failed, or that the crash-loop rule paused, ticks normally again.</summary>
    Recovered,
}

/// <summary>Names of event kinds and of pause reasons as outputs, metrics and alerts show them.</summary>
public static class EventKinds
{
    /// <summary>The pause reason label of the crash-loop rule (metrics, `tick` exit code 3).</summary>
    public const string CrashLoopPause = "crash_loop";

    /// <summary>The pause reason label of `autopilot pause`.</summary>
    public const string OperatorPause = "operator";

    /// <summary>The pause reason label of the budget rule: the pool is over its budget for the period (metrics, `tick` exit code 3).</summary>
    public const string BudgetPause = "budget";

    /// <summary>Paused by a rule, not by a person: a person must look (exit code 3, one line under -q per transition).</summary>
    public static bool IsSelfPause(string? pausedBy) => pausedBy is CrashLoopPause or BudgetPause;

    public static string Name(EventKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The kind for a name from <see cref="Name"/> (case-insensitive); false for an unknown one.</summary>
    public static bool TryParse(string name, out EventKind kind)
    {
        // Letters only: Enum.TryParse also takes numbers and comma lists ("submitted,cancelled").
        kind = default;
        return name.Length > 0 && name.All(char.IsAsciiLetter) && Enum.TryParse(name, ignoreCase: true, out kind);
    }
}

/// <summary>One recorded event.</summary>
public sealed record PoolEvent(
    DateTimeOffset Time,
    string Pool,
    EventKind Kind,
    IReadOnlyList<string> JobIds,
    string Reason);

/// <summary>The last tick of one pool, for `status`.</summary>
/// <param name="Ok">False when the pool failed (demand or pilots unreadable, or a command failed).</param>
/// <param name="Summary">The one-line summary logged for that tick.</param>
/// <param name="PausedBy">Why submissions were paused after that tick (<see cref="EventKinds.CrashLoopPause"/>, <see cref="EventKinds.OperatorPause"/>), null when not: a change is a transition (issue 17).</param>
public sealed record PoolTickRecord(
    string Pool,
    DateTimeOffset Time,
    bool Ok,
    string Summary,
    string? Rule,
    long? Demand,
    int Queued,
    int Running,
    int Held,
    int ConsecutiveFailures,
    string? PausedBy = null);

/// <summary>
/// The persistent memory of the controller. Pilots are never stored here as the truth: they are
/// found by name in the scheduler each tick; this keeps only history and per-pool memory.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    Task<PoolMemory> LoadMemoryAsync(string pool, CancellationToken cancellationToken);

    Task SaveMemoryAsync(string pool, PoolMemory memory, CancellationToken cancellationToken);

    Task AppendEventAsync(PoolEvent poolEvent, CancellationToken cancellationToken);

    Task<IReadOnlyList<PoolEvent>> EventsAsync(DateTimeOffset since, string? pool, CancellationToken cancellationToken);

    Task SaveTickAsync(PoolTickRecord record, CancellationToken cancellationToken);

    Task<PoolTickRecord?> LastTickAsync(string pool, CancellationToken cancellationToken);
}
