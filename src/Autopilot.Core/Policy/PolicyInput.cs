using Autopilot.Configuration;
using Autopilot.Domain;

namespace Autopilot.Policy;

/// <summary>Everything the policy decides from: plain data, no I/O, no clock.</summary>
/// <param name="Demand">Null when the demand could not be read: the policy then does nothing.</param>
/// <param name="Pilots">Null when the pilot list could not be read: the policy then does nothing.</param>
/// <param name="GlobalRoom">Pilots this pool may still add under the global max_pilots (null: no global cap).</param>
/// <param name="Outcomes">Pilots that ended since the last tick (from accounting), fed to the crash-loop detector; null: none known.</param>
/// <param name="Budget">The pool's budget and what is spent of it (null: no budget); see <see cref="BudgetPacing"/>.</param>
public sealed record PolicyInput(
    string Pool,
    Demand? Demand,
    IReadOnlyList<Pilot>? Pilots,
    LimitOptions Limits,
    PolicyOptions Policy,
    SchedulerOptions Scheduler,
    PoolMemory Memory,
    DateTimeOffset Now,
    int? GlobalRoom = null,
    IReadOnlyList<PilotOutcome>? Outcomes = null,
    BudgetState? Budget = null);
