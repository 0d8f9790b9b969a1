using Autopilot.Domain;
using Autopilot.Policy;

namespace Autopilot.Engine;

/// <summary>What one tick did (or, dry, would do) for one pool. <see cref="Pilots"/> holds every pilot listed (finished ones only when asked for).</summary>
/// <param name="Error">Why the pool did nothing or failed this tick; null when it went well.</param>
public sealed record PoolTickResult(
    string Pool,
    string JobName,
    Demand? Demand,
    IReadOnlyList<Pilot>? Pilots,
    Plan? Plan,
    IReadOnlyList<string> Submitted,
    IReadOnlyList<string> Cancelled,
    string? Error,
    string Summary)
{
    public bool Ok => Error is null;
}

/// <summary>A whole tick over every selected pool.</summary>
/// <param name="LockBusy">Another tick held the lock: nothing was done.</param>
public sealed record TickReport(DateTimeOffset Time, IReadOnlyList<PoolTickResult> Pools, bool LockBusy, bool DryRun)
{
    public bool Ok => Pools.All(p => p.Ok);

    /// <summary>0 ok (or another tick running), 1 a pool failed.</summary>
    public int ExitCode => LockBusy || Ok ? 0 : 1;
}

/// <summary>How to run a tick.</summary>
/// <param name="DryRun">Decide and explain, change nothing (no submission, no cancellation, no memory written).</param>
/// <param name="Pool">Only this pool (null: all enabled pools).</param>
/// <param name="TakeLock">Hold the tick lock for the run (plan and jobs do not).</param>
/// <param name="IncludeFinished">Also list finished pilots the scheduler still knows (for `jobs --all`); the policy never sees them.</param>
public sealed record TickRequest(bool DryRun = false, string? Pool = null, bool TakeLock = true, bool IncludeFinished = false);
