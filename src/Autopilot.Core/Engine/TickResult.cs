using Autopilot.Domain;
using Autopilot.Policy;

namespace Autopilot.Engine;

/// <summary>What one tick did (or, dry, would do) for one pool. <see cref="Pilots"/> holds every pilot listed (finished ones only when asked for).</summary>
/// <param name="Error">Why the pool did nothing or failed this tick; null when it went well.</param>
/// <param name="PausedBy">Why its submissions are paused (<c>crash_loop</c>, <c>budget</c>, <c>operator</c>), null when they are not.</param>
/// <param name="SubmitFailed">A submission was tried this tick and failed.</param>
public sealed record PoolTickResult(
    string Pool,
    string JobName,
    Demand? Demand,
    IReadOnlyList<Pilot>? Pilots,
    Plan? Plan,
    IReadOnlyList<string> Submitted,
    IReadOnlyList<string> Cancelled,
    string? Error,
    string Summary,
    string? PausedBy = null,
    bool SubmitFailed = false)
{
    public bool Ok => Error is null;

    /// <summary>Where the pool's pilots run: its Slurm cluster and/or ssh host; null for this machine.</summary>
    public string? Cluster { get; init; }
}

/// <summary>A whole tick over every selected pool.</summary>
/// <param name="LockBusy">Another tick held the lock: nothing was done.</param>
public sealed record TickReport(DateTimeOffset Time, IReadOnlyList<PoolTickResult> Pools, bool LockBusy, bool DryRun)
{
    public const int ExitOk = 0;
    public const int ExitPoolFailed = 1;
    public const int ExitPoolPaused = 3;

    public bool Ok => Pools.All(p => p.Ok);

    /// <summary>A pool's submissions are paused by a rule (crash loop, budget), not by an operator: a person must look.</summary>
    public bool SelfPaused => Pools.Any(p => Autopilot.State.EventKinds.IsSelfPause(p.PausedBy));

    /// <summary>
    /// 0 all well (or another tick running); 1 a pool could not be read or acted on; 3 no pool failed
    /// but one is paused by the crash-loop or the budget rule (docs/operations.md, "Exit codes").
    /// </summary>
    public int ExitCode => LockBusy ? ExitOk : !Ok ? ExitPoolFailed : SelfPaused ? ExitPoolPaused : ExitOk;

    /// <summary>For `plan` and `jobs`, which only read: 0, or 1 when a pool could not be read.</summary>
    public int ReadExitCode => LockBusy || Ok ? ExitOk : ExitPoolFailed;
}

/// <summary>How to run a tick.</summary>
/// <param name="DryRun">Decide and explain, change nothing (no submission, no cancellation, no memory written).</param>
/// <param name="Pool">Only this pool (null: all enabled pools).</param>
/// <param name="TakeLock">Hold the tick lock for the run (plan and jobs do not).</param>
/// <param name="IncludeFinished">Also list finished pilots the scheduler still knows (for `jobs --all`); the policy never sees them.</param>
public sealed record TickRequest(bool DryRun = false, string? Pool = null, bool TakeLock = true, bool IncludeFinished = false);
