using Autopilot.Configuration;
using Autopilot.Domain;

namespace Autopilot.Policy;

/// <summary>
/// What a pool remembers between ticks (persisted by the state store). Pilots themselves are
/// never remembered: they are found by name in the scheduler every tick.
/// </summary>
public sealed record PoolMemory
{
    public static readonly PoolMemory Empty = new();

    /// <summary>Last tick at which demand was above zero.</summary>
    public DateTimeOffset? LastDemandAt { get; init; }

    /// <summary>Since when supply has exceeded what demand needs (scale-in hysteresis).</summary>
    public DateTimeOffset? SurplusSince { get; init; }

    /// <summary>Submissions that failed in a row (drives backoff).</summary>
    public int ConsecutiveSubmitFailures { get; init; }

    /// <summary>No submission before this time (backoff).</summary>
    public DateTimeOffset? SubmitNotBefore { get; init; }

    /// <summary>Pilots that ended failing in a row (see CrashLoop.Classify; drives the crash-loop pause).</summary>
    public int ConsecutivePilotFailures { get; init; }

    /// <summary>Why submissions are paused (operator pause or crash loop); null when not paused.</summary>
    public string? PausedReason { get; init; }

    /// <summary>Operator asked to drain: cancel queued pilots, submit nothing.</summary>
    public bool Draining { get; init; }

    /// <summary>
    /// Why the crash-loop detector paused submissions; null when it did not. Unlike an operator
    /// pause (<see cref="PausedReason"/>), surplus queued pilots are still cancelled. Cleared by resume.
    /// </summary>
    public string? CrashLoopReason { get; init; }

    /// <summary>
    /// First tick at which demand was seen at zero (cleared when demand returns). Starts the
    /// scale-to-zero cooldown when <see cref="LastDemandAt"/> was never set.
    /// </summary>
    public DateTimeOffset? ZeroDemandSince { get; init; }

    /// <summary>
    /// Ids of the pool's active pilots at the end of the last tick (including those it submitted).
    /// A pilot that has left the listing since has ended: its outcome is looked up once in accounting.
    /// </summary>
    public IReadOnlyList<string> SeenPilots { get; init; } = [];

    /// <summary>Pilots that ended but that accounting did not show yet, with when they were first missed.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> AwaitingOutcome { get; init; } = new Dictionary<string, DateTimeOffset>();
}
