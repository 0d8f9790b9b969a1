namespace Autopilot.Policy;

/// <summary>The single rule that decided a pool's plan this tick.</summary>
public enum PlanRule
{
    /// <summary>Demand or pilots unknown: do nothing.</summary>
    Unknown,
    Steady,
    ScaleOut,
    ScaleIn,
    ScaleToZero,
    Paused,
    Draining,
    Backoff,
    BlockedByPendingReason,
    QueueFull,
    GlobalLimit,
    WalltimeTooShort,
    Cooldown,
    /// <summary>Queued pilots older than max_queue_age were cancelled (cancel_stale_queued).</summary>
    StaleQueued,
    /// <summary>The pool's budget for the period is spent: nothing is submitted, nothing cancelled.</summary>
    OverBudget,
    /// <summary>The budget pays for no more pilots than the pool has until the period ends.</summary>
    BudgetPaced,
}

/// <summary>A cancellation with its reason.</summary>
public sealed record Cancellation(string PilotId, string Reason);

/// <summary>One named figure the decision was made from ("demand" "40", "max_queued" "2").</summary>
public sealed record PlanFact(string Name, string Value);

/// <summary>What a tick should do for one pool, and why.</summary>
/// <param name="Desired">Pilots the pool should have (queued + running).</param>
/// <param name="Submit">Pilots to submit now.</param>
/// <param name="Cancel">Pilots to cancel now (never running ones).</param>
/// <param name="Rule">The rule that decided.</param>
/// <param name="Reason">One sentence a person reads: why this, not something else.</param>
/// <param name="Inputs">Every input: demand, queued, held, running, draining, pending reasons.</param>
/// <param name="Limits">Every limit in force.</param>
/// <param name="Notes">Warnings worth a line (stale queued pilots, blocked reasons).</param>
/// <param name="Memory">What to remember for the next tick.</param>
public sealed record Plan(
    string Pool,
    int Desired,
    int Submit,
    IReadOnlyList<Cancellation> Cancel,
    PlanRule Rule,
    string Reason,
    IReadOnlyList<PlanFact> Inputs,
    IReadOnlyList<PlanFact> Limits,
    IReadOnlyList<string> Notes,
    PoolMemory Memory)
{
    public bool ChangesAnything => Submit > 0 || Cancel.Count > 0;
}
