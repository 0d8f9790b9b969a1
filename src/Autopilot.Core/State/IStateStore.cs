using Autopilot.Policy;

namespace Autopilot.State;

/// <summary>What happened to a pool, for `events`, `status` and the audit trail.</summary>
public enum EventKind
{
    Submitted,
    Cancelled,
    SubmitFailed,
    CancelFailed,
    PoolFailed,
    Paused,
    Resumed,
    Draining,
    CrashLoop,
    ManualSubmit,
    ManualCancel,
    LockReset,
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
    int ConsecutiveFailures);

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
