using Autopilot.Domain;

namespace Autopilot.Policy;

/// <summary>
/// The scaling policy: a pure, deterministic function from one pool's inputs to its plan.
/// No I/O, no clock (<see cref="PolicyInput.Now"/> is an input). Rules and knobs: docs/policy.md.
/// </summary>
public static class ScalingPolicy
{
    public static Plan Decide(PolicyInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var policy = input.Policy;
        var now = input.Now;

        var memory = input.Memory;
        var notes = new List<string>(input.Demand?.Notes ?? []);
        if (input.Outcomes is { Count: > 0 } outcomes)
        {
            memory = CrashLoop.Update(memory, outcomes, policy);
            if (memory.CrashLoopReason is not null && input.Memory.CrashLoopReason is null)
            {
                notes.Add($"Submissions paused by the crash-loop detector: {memory.CrashLoopReason}.");
            }
        }

        var limitFacts = LimitFacts(input, memory);
        limitFacts.AddRange(BudgetPacing.Facts(input.Budget, now));
        if (input.Budget is { Over: true } over)
        {
            notes.Add($"Over budget: {BudgetPacing.Explain(over, now)}.");
        }

        // Fail closed: without both demand and the pilot list, any action could be wrong.
        if (input.Demand is null || input.Pilots is null || input.Demand.Tasks < 0)
        {
            var what = input.Demand is null && input.Pilots is null ? "demand and pilots are unknown"
                : input.Demand is null ? "demand is unknown"
                : input.Pilots is null ? "pilots are unknown"
                : $"demand source reported a negative count ({input.Demand.Tasks})";
            var unknownFacts = new List<PlanFact>
            {
                new("demand", input.Demand?.ToString() ?? "unknown"),
                new("pilots", input.Pilots is null ? "unknown" : input.Pilots.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            };
            return new Plan(input.Pool, 0, 0, [], PlanRule.Unknown,
                $"Doing nothing this tick: {what}.", unknownFacts, limitFacts, notes, memory);
        }

        var s = Situation.Build(input, notes);
        var next = memory with
        {
            LastDemandAt = s.Demand > 0 ? now : memory.LastDemandAt,
            ZeroDemandSince = s.Demand > 0 ? null : memory.ZeroDemandSince ?? now,
            SurplusSince = s.Surplus > 0 ? memory.SurplusSince ?? now : null,
        };
        var quietSince = s.Demand > 0 ? (DateTimeOffset?)null : next.LastDemandAt ?? next.ZeroDemandSince;
        var inputFacts = InputFacts(input, s, next, quietSince);
        var decision = Choose(input, s, next, quietSince);
        return new Plan(input.Pool, s.Desired, decision.Submit, decision.Cancel, decision.Rule, decision.Reason,
            inputFacts, limitFacts, notes, next);
    }

    private sealed record Decision(PlanRule Rule, string Reason, int Submit, IReadOnlyList<Cancellation> Cancel)
    {
        public static Decision Nothing(PlanRule rule, string reason) => new(rule, reason, 0, []);
    }

    private static Decision Choose(PolicyInput input, Situation s, PoolMemory next, DateTimeOffset? quietSince)
    {
        var policy = input.Policy;
        var now = input.Now;
        var memory = next;
        var need = $"demand {s.DemandText} needs {PolicyText.Count(s.Desired, "pilot")}";
        var have = $"{s.UsefulQueued.Count} queued + {s.Running.Count} running";

        // Operator pause is a full stop: no submissions and no cancellations.
        if (memory.PausedReason is { } paused)
        {
            return Decision.Nothing(PlanRule.Paused,
                $"Pool paused by the operator ({paused}): no submissions or cancellations until `autopilot resume`.");
        }

        // Operator drain: winds the pool down; running pilots finish their work.
        if (memory.Draining)
        {
            var all = Newest(s.AllQueued.Concat(s.Held)).Select(p => new Cancellation(p.Id, "pool is draining (operator)")).ToList();
            return new Decision(PlanRule.Draining,
                all.Count > 0
                    ? $"Pool is draining (operator): cancelling {PolicyText.Count(all.Count, "queued or held pilot")}, submitting nothing; {PolicyText.Count(s.Running.Count + s.Draining.Count, "running pilot")} left to finish."
                    : $"Pool is draining (operator): nothing queued to cancel, submitting nothing; {PolicyText.Count(s.Running.Count + s.Draining.Count, "running pilot")} left to finish.",
                0, all);
        }

        var stale = s.StaleToCancel.Select(p => new Cancellation(p.Id,
            $"queued for {PolicyText.Duration(now - p.SubmitTime!.Value)}, longer than max_queue_age {PolicyText.Duration(policy.MaxQueueAge)}")).ToList();
        if (Quiet(input, s, stale, quietSince) is { } quiet)
        {
            return quiet;
        }

        if (s.Surplus > 0)
        {
            return ScaleIn(input, s, memory, stale, need, have);
        }

        var shortfall = s.Desired - s.Supply;
        if (shortfall <= 0)
        {
            if (stale.Count > 0)
            {
                return StaleDecision(stale, policy, "");
            }

            return Decision.Nothing(PlanRule.Steady, $"{need}; {have} cover it"
                + (s.Draining.Count > 0 ? $" ({s.Draining.Count} more draining before walltime)" : "") + ".");
        }

        var missing = $"{Capitalize(need)}, {have}" + (s.Draining.Count > 0 ? $" ({s.Draining.Count} draining before walltime, not counted)" : "")
            + $": {shortfall} missing";
        return ScaleOut(input, s, memory, stale, missing, shortfall);
    }

    /// <summary>No demand: scale to zero once it has lasted scale_to_zero_after, keep queued pilots until then; null when the demand is not zero or nothing applies.</summary>
    private static Decision? Quiet(PolicyInput input, Situation s, List<Cancellation> stale, DateTimeOffset? quietSince)
    {
        var (limits, policy, now) = (input.Limits, input.Policy, input.Now);
        if (s.Demand == 0 && quietSince is { } since)
        {
            var quiet = now - since;
            if (quiet >= limits.ScaleToZeroAfter)
            {
                // Scale to zero skips scale_in_after: the cooldown already proved the demand is gone.
                var surplusQueued = Newest(s.UsefulQueued).Take(Math.Max(0, s.Surplus)).ToList();
                var cancel = stale.Concat(surplusQueued.Select(p => new Cancellation(p.Id,
                    $"no demand for {PolicyText.Duration(quiet)} (scale_to_zero_after {PolicyText.Duration(limits.ScaleToZeroAfter)})"))).ToList();
                if (cancel.Count > 0)
                {
                    return new Decision(PlanRule.ScaleToZero,
                        $"No demand for {PolicyText.Duration(quiet)} (scale_to_zero_after {PolicyText.Duration(limits.ScaleToZeroAfter)}): cancelling {PolicyText.Count(cancel.Count, "queued pilot")}"
                        + (s.Desired > 0 ? $" beyond min_pilots {s.Desired}" : "")
                        + RunningTail(s) + ".",
                        0, cancel);
                }
            }
            else if (s.Surplus > 0 && s.UsefulQueued.Count > 0)
            {
                if (stale.Count > 0)
                {
                    return StaleDecision(stale, policy, "");
                }

                return Decision.Nothing(PlanRule.Cooldown,
                    $"No demand for {PolicyText.Duration(quiet)}: keeping {PolicyText.Count(s.UsefulQueued.Count, "queued pilot")} until scale_to_zero_after {PolicyText.Duration(limits.ScaleToZeroAfter)} ({PolicyText.Time(since + limits.ScaleToZeroAfter)}) in case it returns.");
            }
        }

        return null;
    }

    /// <summary>More supply than demand: cancel the newest queued pilots once the surplus has lasted scale_in_after; running ones exit by idle timeout.</summary>
    private static Decision ScaleIn(PolicyInput input, Situation s, PoolMemory memory, List<Cancellation> stale, string need, string have)
    {
        var (policy, now) = (input.Policy, input.Now);
        if (s.UsefulQueued.Count == 0)
        {
            if (stale.Count > 0)
            {
                return StaleDecision(stale, policy, "");
            }

            return Decision.Nothing(PlanRule.Steady,
                $"{need}; " + (s.Surplus == 1
                    ? "1 running pilot above that is never cancelled: it exits by its idle timeout."
                    : $"{s.Surplus} running pilots above that are never cancelled: they exit by their idle timeout."));
        }

        var surplusFor = now - (memory.SurplusSince ?? now);
        if (surplusFor < policy.ScaleInAfter)
        {
            if (stale.Count > 0)
            {
                return StaleDecision(stale, policy, "");
            }

            return Decision.Nothing(PlanRule.Cooldown,
                $"{Capitalize(need)} but {have} are there; scale-in waits until the surplus has lasted scale_in_after {PolicyText.Duration(policy.ScaleInAfter)} ({PolicyText.Time(memory.SurplusSince!.Value + policy.ScaleInAfter)}).");
        }

        var take = Math.Min(s.Surplus, s.UsefulQueued.Count);
        var cancel = stale.Concat(Newest(s.UsefulQueued).Take(take).Select(p => new Cancellation(p.Id,
            $"surplus: {need}, supply {s.Supply} for {PolicyText.Duration(surplusFor)}"))).ToList();
        return new Decision(PlanRule.ScaleIn,
            $"Scale in: {need}, {have} for {PolicyText.Duration(surplusFor)} (scale_in_after {PolicyText.Duration(policy.ScaleInAfter)}); cancelling {PolicyText.Count(take, "queued pilot")}, newest first"
            + (stale.Count > 0 ? $", and {PolicyText.Count(stale.Count, "stale queued pilot")}" : "")
            + (take < s.Surplus ? $"; {PolicyText.Count(s.Surplus - take, "running pilot")} above that exit by idle timeout" : "") + ".",
            0, cancel);
    }

    /// <summary>Less supply than demand: submit, unless a rule holds submissions or a limit leaves no room.</summary>
    private static Decision ScaleOut(PolicyInput input, Situation s, PoolMemory memory, List<Cancellation> stale, string missing, int shortfall)
    {
        var (policy, scheduler, now) = (input.Policy, input.Scheduler, input.Now);

        // One direction per plan: cancel stale pilots now, replace them next tick.
        if (stale.Count > 0)
        {
            return StaleDecision(stale, policy, "; replacements are considered next tick");
        }

        if (memory.CrashLoopReason is { } crash)
        {
            return Decision.Nothing(PlanRule.Paused, $"{missing}, but submissions are paused: {crash}.");
        }

        var useful = scheduler.Walltime - scheduler.DrainLead;
        if (scheduler.Walltime < policy.MinUsefulWalltime || useful < policy.MinUsefulWalltime || useful <= TimeSpan.Zero)
        {
            return Decision.Nothing(PlanRule.WalltimeTooShort,
                $"{missing}, but a pilot's walltime {PolicyText.Duration(scheduler.Walltime)} minus drain_lead {PolicyText.Duration(scheduler.DrainLead)} leaves {PolicyText.Duration(useful)}, less than min_useful_walltime {PolicyText.Duration(policy.MinUsefulWalltime)}: not submitting.");
        }

        if (s.Held.Count > 0 || s.Blocked.Count > 0)
        {
            return Decision.Nothing(PlanRule.BlockedByPendingReason,
                $"{missing}, but {BlockedText(s)}; more pilots cannot start, so none are submitted.");
        }

        if (memory.SubmitNotBefore is { } notBefore && now < notBefore)
        {
            return Decision.Nothing(PlanRule.Backoff,
                $"{missing}, but backing off after {PolicyText.Count(memory.ConsecutiveSubmitFailures, "failed submission")}: no submission until {PolicyText.Time(notBefore)} (in {PolicyText.Duration(notBefore - now)}).");
        }

        if (input.Budget is { Over: true } spent)
        {
            return Decision.Nothing(PlanRule.OverBudget, $"{missing}, but {BudgetPacing.Explain(spent, now)}.");
        }

        var bounds = new List<(string Name, long Room, PlanRule Rule)>
        {
            ($"max_queued {input.Limits.MaxQueued} with {s.QueuedCount} queued", (long)input.Limits.MaxQueued - s.QueuedCount, PlanRule.QueueFull),
            ($"global max_pilots (room {input.GlobalRoom})", input.GlobalRoom ?? long.MaxValue, PlanRule.GlobalLimit),
            ($"max_submit_per_tick {input.Limits.MaxSubmitPerTick}", input.Limits.MaxSubmitPerTick, PlanRule.QueueFull),
            ($"max_pilots {s.MaxPilots}", (long)s.MaxPilots - s.CountedTowardMax, PlanRule.QueueFull),
        };
        if (input.Budget is { } budget && BudgetPacing.AllowedPilots(budget, now) is { } allowed)
        {
            bounds.Add(($"the {BudgetPacing.Explain(budget, now)}", allowed - s.CountedTowardMax, PlanRule.BudgetPaced));
        }

        var fraction = policy.RampUpFraction;
        if (fraction is > 0 and < 1)
        {
            bounds.Add(($"ramp_up_fraction {PolicyText.Number(fraction)}", Math.Max(1, (long)Math.Ceiling(fraction * shortfall)), PlanRule.ScaleOut));
        }

        var submit = (int)Math.Max(0, Math.Min(shortfall, bounds.Min(b => b.Room)));
        if (submit == 0)
        {
            var bound = bounds.First(b => b.Room <= 0);
            return Decision.Nothing(bound.Rule, $"{missing}, but {bound.Name} leaves no room: not submitting.");
        }

        var binding = bounds.Where(b => b.Room == submit && submit < shortfall).Select(b => b.Name).ToList();
        var array = submit > 1 && scheduler.UseArrays ? " as one array" : "";
        return new Decision(PlanRule.ScaleOut,
            $"{missing}; submitting {submit}{array}"
            + (binding.Count > 0 ? $" (limited by {string.Join(", ", binding)})" : "") + ".",
            submit, []);
    }

    private static Decision StaleDecision(List<Cancellation> stale, Configuration.PolicyOptions policy, string tail) =>
        new(PlanRule.StaleQueued,
            $"Cancelling {PolicyText.Count(stale.Count, "pilot")} queued longer than max_queue_age {PolicyText.Duration(policy.MaxQueueAge)} (cancel_stale_queued){tail}.",
            0, stale);

    private static string RunningTail(Situation s) =>
        s.Running.Count + s.Draining.Count > 0
            ? $"; {PolicyText.Count(s.Running.Count + s.Draining.Count, "running pilot")} exit by idle timeout"
            : "";

    private static string BlockedText(Situation s) =>
        string.Join(", ", s.Held.Concat(s.Blocked)
            .GroupBy(Situation.ReasonLabel)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{PolicyText.Count(g.Count(), "pilot")} {(g.First().State == PilotState.Held || g.First().PendingKind == PendingKind.Held ? "held" : "pending")} for {g.Key}"));

    /// <summary>Newest first: latest submit time (unknown counts as newest), then highest id.</summary>
    private static IEnumerable<Pilot> Newest(IEnumerable<Pilot> pilots) =>
        pilots.OrderByDescending(p => p.SubmitTime ?? DateTimeOffset.MaxValue)
            .ThenByDescending(p => p.Id, PilotIdComparer.Instance);

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static List<PlanFact> InputFacts(PolicyInput input, Situation s, PoolMemory next, DateTimeOffset? quietSince)
    {
        var facts = new List<PlanFact> { new("demand", s.DemandText) };
        facts.AddRange(input.Demand!.Measures.Select(m => new PlanFact($"demand.{m.Name}", m.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        facts.Add(new("desired", s.Desired.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("supply", s.Supply.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("queued", s.UsefulQueued.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("held", s.Held.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("running", s.Running.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("draining", s.Draining.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("completing", s.Completing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("unknown_state", s.UnknownState.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("stale_queued", s.Stale.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var group in s.Held.Concat(s.Blocked).GroupBy(Situation.ReasonLabel).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            facts.Add(new($"blocked.{group.Key}", group.Count().ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        facts.Add(new("last_demand_at", next.LastDemandAt is { } last ? PolicyText.Time(last) : "never"));
        facts.Add(new("no_demand_for", quietSince is { } q ? PolicyText.Duration(input.Now - q) : "-"));
        facts.Add(new("surplus_since", next.SurplusSince is { } ss ? PolicyText.Time(ss) : "-"));
        facts.Add(new("submit_failures", next.ConsecutiveSubmitFailures.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        facts.Add(new("pilot_failures", next.ConsecutivePilotFailures.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (input.Outcomes is { Count: > 0 } outcomes)
        {
            facts.Add(new("ended_since_last_tick", string.Join(", ", outcomes.Select(o => $"{o.Id} {o.End}"))));
        }

        return facts;
    }

    private static List<PlanFact> LimitFacts(PolicyInput input, PoolMemory memory)
    {
        static string N(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var l = input.Limits;
        var p = input.Policy;
        var sch = input.Scheduler;
        return
        [
            new("min_pilots", N(l.MinPilots)),
            new("max_pilots", N(l.MaxPilots)),
            new("tasks_per_pilot", N(l.TasksPerPilot)),
            new("max_queued", N(l.MaxQueued)),
            new("max_submit_per_tick", N(l.MaxSubmitPerTick)),
            new("global_room", input.GlobalRoom is { } room ? N(room) : "none"),
            new("scale_to_zero_after", PolicyText.Duration(l.ScaleToZeroAfter)),
            new("scale_in_after", PolicyText.Duration(p.ScaleInAfter)),
            new("ramp_up_fraction", p.RampUpFraction is > 0 and < 1 ? PolicyText.Number(p.RampUpFraction) : "off"),
            new("backoff_until", memory.SubmitNotBefore is { } nb && input.Now < nb ? PolicyText.Time(nb) : "none"),
            new("backoff", string.Join(",", p.Backoff.Select(PolicyText.Duration))),
            new("paused", memory.PausedReason ?? "no"),
            new("crash_loop", memory.CrashLoopReason ?? "no"),
            new("crash_loop_threshold", p.CrashLoopThreshold > 0 ? N(p.CrashLoopThreshold) : "off"),
            new("min_pilot_runtime", PolicyText.Duration(p.MinPilotRuntime)),
            new("draining", memory.Draining ? "yes (operator)" : "no"),
            new("walltime", PolicyText.Duration(sch.Walltime)),
            new("drain_lead", PolicyText.Duration(sch.DrainLead)),
            new("min_useful_walltime", PolicyText.Duration(p.MinUsefulWalltime)),
            new("max_queue_age", p.MaxQueueAge > TimeSpan.Zero ? PolicyText.Duration(p.MaxQueueAge) : "off"),
            new("cancel_stale_queued", p.CancelStaleQueued ? "yes" : "no"),
            new("use_arrays", sch.UseArrays ? "yes" : "no"),
        ];
    }

    /// <summary>The pilots sorted into what the rules need, and the figures derived from them.</summary>
    private sealed class Situation
    {
        public required long Demand { get; init; }
        public required string DemandText { get; init; }
        public required int MaxPilots { get; init; }
        public required int Desired { get; init; }
        public List<Pilot> AllQueued { get; } = [];
        public List<Pilot> UsefulQueued { get; } = [];
        public List<Pilot> Blocked { get; } = [];
        public List<Pilot> Stale { get; } = [];
        public List<Pilot> StaleToCancel { get; } = [];
        public List<Pilot> Held { get; } = [];
        public List<Pilot> Running { get; } = [];
        public List<Pilot> Draining { get; } = [];
        public List<Pilot> Completing { get; } = [];
        public List<Pilot> UnknownState { get; } = [];

        /// <summary>Pilots that will serve demand: queued (not held, not being cancelled as stale), running not draining, and unclassified ones (counting them avoids over-submission).</summary>
        public int Supply => UsefulQueued.Count + Running.Count + UnknownState.Count;

        public int Surplus => Supply - Desired;

        /// <summary>What max_queued compares against: every pilot waiting in the queue, held ones included.</summary>
        public int QueuedCount => AllQueued.Count + Held.Count;

        /// <summary>What max_pilots compares against: draining and completing pilots are leaving and do not count.</summary>
        public int CountedTowardMax => AllQueued.Count + Held.Count + Running.Count + UnknownState.Count;

        public static string ReasonLabel(Pilot p) =>
            !string.IsNullOrWhiteSpace(p.PendingReason) ? p.PendingReason!
            : !string.IsNullOrWhiteSpace(p.RawState) ? p.RawState
            : p.PendingKind.ToString();

        public static Situation Build(PolicyInput input, List<string> notes)
        {
            var limits = input.Limits;
            var policy = input.Policy;
            var scheduler = input.Scheduler;
            var now = input.Now;
            var demand = input.Demand!.Tasks;
            var tasksPerPilot = Math.Max(1, limits.TasksPerPilot);
            var maxPilots = Math.Max(0, limits.MaxPilots);
            var minPilots = Math.Clamp(limits.MinPilots, 0, maxPilots);
            var needed = demand > 0 ? (demand - 1) / tasksPerPilot + 1 : 0;
            var s = new Situation
            {
                Demand = demand,
                DemandText = input.Demand.Saturated ? $"{demand}+" : $"{demand}",
                MaxPilots = maxPilots,
                Desired = (int)Math.Clamp(needed, minPilots, maxPilots),
            };

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pilot in input.Pilots!)
            {
                if (!seen.Add(pilot.Id))
                {
                    continue;
                }

                switch (pilot.State)
                {
                    case PilotState.Finished:
                        break;
                    case PilotState.Completing:
                        s.Completing.Add(pilot);
                        break;
                    case PilotState.Unknown:
                        s.UnknownState.Add(pilot);
                        notes.Add($"Pilot {pilot.Id} is in an unrecognised state '{pilot.RawState}': counted as supply, never cancelled.");
                        break;
                    case PilotState.Running:
                        s.AddRunning(pilot, scheduler, now, notes);
                        break;
                    case PilotState.Held:
                        s.Held.Add(pilot);
                        break;
                    case PilotState.Queued when pilot.PendingKind == PendingKind.Held:
                        s.Held.Add(pilot);
                        break;
                    case PilotState.Queued:
                        s.AddQueued(pilot, policy, now, notes);
                        break;
                }
            }

            foreach (var group in s.Held.Concat(s.Blocked).GroupBy(ReasonLabel).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                notes.Add($"{PolicyText.Count(group.Count(), "pilot")} waiting for {group.Key} ({string.Join(", ", group.Select(p => p.Id))}): more pilots cannot start.");
            }

            return s;
        }

        /// <summary>A running pilot drains once its time limit, less drain_lead, is reached.</summary>
        private void AddRunning(Pilot pilot, Configuration.SchedulerOptions scheduler, DateTimeOffset now, List<string> notes)
        {
            var limit = pilot.TimeLimit ?? scheduler.Walltime;
            if (limit <= scheduler.DrainLead)
            {
                notes.Add($"Pilot {pilot.Id} has a time limit of {PolicyText.Duration(limit)}, not longer than drain_lead {PolicyText.Duration(scheduler.DrainLead)}: it drains from its start.");
            }

            if (pilot.StartTime is { } start && start + limit - scheduler.DrainLead <= now)
            {
                Draining.Add(pilot);
            }
            else
            {
                Running.Add(pilot);
            }
        }

        /// <summary>A queued pilot is blocked (waiting for a limit, an unavailable resource or an error), stale, or useful supply.</summary>
        private void AddQueued(Pilot pilot, Configuration.PolicyOptions policy, DateTimeOffset now, List<string> notes)
        {
            AllQueued.Add(pilot);
            if (pilot.PendingKind is PendingKind.Limit or PendingKind.Unavailable or PendingKind.Error)
            {
                Blocked.Add(pilot);
            }

            var stale = policy.MaxQueueAge > TimeSpan.Zero && pilot.SubmitTime is { } submitted && now - submitted >= policy.MaxQueueAge;
            if (stale)
            {
                Stale.Add(pilot);
                notes.Add($"Pilot {pilot.Id} has been queued for {PolicyText.Duration(now - pilot.SubmitTime!.Value)}, longer than max_queue_age {PolicyText.Duration(policy.MaxQueueAge)}"
                    + (policy.CancelStaleQueued ? "." : " (not cancelled: cancel_stale_queued is off)."));
            }

            if (stale && policy.CancelStaleQueued)
            {
                StaleToCancel.Add(pilot);
            }
            else
            {
                UsefulQueued.Add(pilot);
            }
        }
    }
}
