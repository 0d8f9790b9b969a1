using Autopilot.Domain;
using Autopilot.Policy;
using static Autopilot.Tests.Policy.PolicyDsl;

namespace Autopilot.Tests.Policy;

// Defaults unless a row says otherwise: min 0, max 10, tasks_per_pilot 1, max_queued 2,
// max_submit_per_tick 4, scale_to_zero_after 5m, scale_in_after 2m, walltime 1h, drain_lead 10m.
public sealed class ScalingPolicyTableTests
{
    [Theory]
    // ----- v1: desired, supply, submissions and their limits
    [InlineData("40 tasks at 10 per pilot, empty pool: max_queued caps the first tick", 40L, "", "tpp=10", 2, "", PlanRule.ScaleOut)]
    [InlineData("desired is clamped to max_pilots", 1000L, "", "tpp=10 max=3 max_queued=5", 3, "", PlanRule.ScaleOut)]
    [InlineData("at least one pilot while demand > 0", 1L, "", "tpp=100", 1, "", PlanRule.ScaleOut)]
    [InlineData("max_pilots 0 means no pilot even with demand", 5L, "", "max=0", 0, "", PlanRule.Steady)]
    [InlineData("min_pilots kept with zero demand", 0L, "", "min=2", 2, "", PlanRule.ScaleOut)]
    [InlineData("queued and running both count as supply", 40L, "q r r r", "tpp=10", 0, "", PlanRule.Steady)]
    [InlineData("submit limited by max_queued minus queued", 100L, "q r", "tpp=10", 1, "", PlanRule.ScaleOut)]
    [InlineData("queue full: nothing submitted", 100L, "q q", "tpp=10", 0, "", PlanRule.QueueFull)]
    [InlineData("max_queued 0 never submits", 100L, "", "tpp=10 max_queued=0", 0, "", PlanRule.QueueFull)]
    [InlineData("max_submit_per_tick caps a burst", 100L, "", "tpp=10 max_queued=10 max_submit=3", 3, "", PlanRule.ScaleOut)]
    [InlineData("max_submit_per_tick 0 never submits", 100L, "", "tpp=10 max_submit=0", 0, "", PlanRule.QueueFull)]
    [InlineData("shortfall smaller than every limit", 30L, "r", "tpp=10 max_queued=10", 2, "", PlanRule.ScaleOut)]
    [InlineData("saturated demand scales to max_pilots", 50L, "", "tpp=10 max=5 max_queued=9 max_submit=9 saturated", 5, "", PlanRule.ScaleOut)]
    // ----- v1: scale-in
    [InlineData("surplus queued cancelled newest first", 20L, "q9 q3 q5 r", "tpp=10 scale_in=0", 0, "p2 p3", PlanRule.ScaleIn)]
    [InlineData("same submit time: highest id first", 20L, "q5 q5 q5 r", "tpp=10 scale_in=0", 0, "p3 p2", PlanRule.ScaleIn)]
    [InlineData("running pilots are never cancelled", 10L, "r r r", "tpp=10 scale_in=0", 0, "", PlanRule.Steady)]
    [InlineData("only queued ones go; extra running stay", 10L, "r r q4", "tpp=10 scale_in=0", 0, "p3", PlanRule.ScaleIn)]
    // ----- v1: scale to zero
    [InlineData("no demand for scale_to_zero_after: every queued pilot cancelled", 0L, "q2 q1 r", "last_demand=-6", 0, "p2 p1", PlanRule.ScaleToZero)]
    [InlineData("no demand but cooldown not over", 0L, "q2 r", "last_demand=-3", 0, "", PlanRule.Cooldown)]
    [InlineData("first tick at zero demand starts the cooldown", 0L, "q2", "", 0, "", PlanRule.Cooldown)]
    [InlineData("cooldown counted from first zero when demand was never seen", 0L, "q2", "zero_since=-6", 0, "p1", PlanRule.ScaleToZero)]
    [InlineData("scale to zero keeps min_pilots", 0L, "q2 q1 r", "min=2 last_demand=-6", 0, "p2", PlanRule.ScaleToZero)]
    [InlineData("scale to zero skips scale_in_after", 0L, "q2", "last_demand=-6 scale_in=60", 0, "p1", PlanRule.ScaleToZero)]
    [InlineData("scale to zero with only running pilots: nothing to do", 0L, "r r", "last_demand=-60", 0, "", PlanRule.Steady)]
    // ----- fail closed
    [InlineData("demand unknown", null, "q", "", 0, "", PlanRule.Unknown)]
    [InlineData("pilots unknown", 10L, "?", "", 0, "", PlanRule.Unknown)]
    [InlineData("negative demand is unknown", -1L, "q", "", 0, "", PlanRule.Unknown)]
    // ----- backoff
    [InlineData("backoff: no submission before SubmitNotBefore", 10L, "", "backoff_until=+4 failures=2", 0, "", PlanRule.Backoff)]
    [InlineData("backoff over: submissions resume", 10L, "", "backoff_until=-1 failures=2", 2, "", PlanRule.ScaleOut)]
    [InlineData("backoff still cancels surplus", 10L, "q3 q2 r", "tpp=10 scale_in=0 backoff_until=+4 failures=1", 0, "p2 p1", PlanRule.ScaleIn)]
    // ----- pauses and operator states
    [InlineData("crash-loop pause stops submissions", 10L, "", "crash=boom", 0, "", PlanRule.Paused)]
    [InlineData("crash-loop pause still cancels surplus", 10L, "q3 q2 r", "tpp=10 scale_in=0 crash=boom", 0, "p2 p1", PlanRule.ScaleIn)]
    [InlineData("operator pause stops submissions", 10L, "", "paused=maintenance", 0, "", PlanRule.Paused)]
    [InlineData("operator pause stops cancellations too", 0L, "q1", "paused=maintenance last_demand=-60", 0, "", PlanRule.Paused)]
    [InlineData("operator drain cancels queued and held, not running", 10L, "q1 h3 r", "draining", 0, "p1 p2", PlanRule.Draining)]
    [InlineData("operator pause wins over drain", 10L, "q1", "draining paused=freeze", 0, "", PlanRule.Paused)]
    // ----- pending reasons
    [InlineData("QOS limit blocks submissions", 10L, "q!QOSMaxJobsPerUserLimit", "", 0, "", PlanRule.BlockedByPendingReason)]
    [InlineData("association limit blocks submissions", 10L, "q!AssocGrpCpuLimit", "", 0, "", PlanRule.BlockedByPendingReason)]
    [InlineData("partition down blocks submissions", 10L, "q!PartitionDown r", "", 0, "", PlanRule.BlockedByPendingReason)]
    [InlineData("user hold (queued, reason) blocks submissions", 10L, "q!JobHeldUser", "", 0, "", PlanRule.BlockedByPendingReason)]
    [InlineData("held state blocks submissions", 10L, "h", "", 0, "", PlanRule.BlockedByPendingReason)]
    [InlineData("error state blocks submissions", 10L, "q!Eqw", "", 0, "", PlanRule.BlockedByPendingReason)]
    [InlineData("waiting for resources is normal", 10L, "q!Resources", "", 1, "", PlanRule.ScaleOut)]
    [InlineData("waiting for priority is normal", 10L, "q!Priority", "", 1, "", PlanRule.ScaleOut)]
    [InlineData("held pilots are not cancelled by scale to zero", 0L, "h q1", "last_demand=-60", 0, "p2", PlanRule.ScaleToZero)]
    [InlineData("held pilots are not supply nor cancelled by scale-in", 10L, "h r r", "tpp=10 scale_in=0", 0, "", PlanRule.Steady)]
    [InlineData("blocked pilots may be cancelled as surplus", 10L, "q!QOSMaxJobsPerUserLimit r", "tpp=10 scale_in=0", 0, "p1", PlanRule.ScaleIn)]
    // ----- stale queued pilots
    [InlineData("stale pilot reported, still supply", 10L, "q200", "max_queue_age=120", 1, "", PlanRule.ScaleOut)]
    [InlineData("stale pilot cancelled; replacement next tick", 10L, "q200", "max_queue_age=120 cancel_stale", 0, "p1", PlanRule.StaleQueued)]
    [InlineData("stale pilot cancelled in a steady pool", 2L, "q200 r", "max_queue_age=120 cancel_stale", 0, "p1", PlanRule.StaleQueued)]
    [InlineData("younger than max_queue_age: untouched", 2L, "q100 r", "max_queue_age=120 cancel_stale", 0, "", PlanRule.Steady)]
    // ----- damping
    [InlineData("ramp-up submits a fraction of the shortfall", 90L, "", "tpp=10 max_queued=20 max_submit=20 ramp=0.33", 3, "", PlanRule.ScaleOut)]
    [InlineData("ramp-up submits at least one", 1L, "", "ramp=0.1", 1, "", PlanRule.ScaleOut)]
    [InlineData("ramp-up 1 is off", 90L, "", "tpp=10 max_queued=20 max_submit=20 ramp=1", 9, "", PlanRule.ScaleOut)]
    [InlineData("scale-in waits for scale_in_after (surplus just seen)", 10L, "q1 q1 r", "tpp=10", 0, "", PlanRule.Cooldown)]
    [InlineData("scale-in waits for scale_in_after (surplus 1m old)", 10L, "q1 q1 r", "tpp=10 surplus_since=-1", 0, "", PlanRule.Cooldown)]
    [InlineData("scale-in after scale_in_after", 10L, "q1 q2 r", "tpp=10 surplus_since=-3", 0, "p1 p2", PlanRule.ScaleIn)]
    // ----- several pools
    [InlineData("global room caps submissions", 100L, "", "tpp=10 global_room=1", 1, "", PlanRule.ScaleOut)]
    [InlineData("no global room: nothing submitted", 100L, "", "tpp=10 global_room=0", 0, "", PlanRule.GlobalLimit)]
    // ----- walltime
    [InlineData("a draining pilot is replaced while demand persists", 10L, "r55/60", "tpp=10", 1, "", PlanRule.ScaleOut)]
    [InlineData("drain uses the pool walltime without a time limit", 10L, "r55", "tpp=10 walltime=60", 1, "", PlanRule.ScaleOut)]
    [InlineData("a pilot before its drain lead is supply", 10L, "r40/60", "tpp=10", 0, "", PlanRule.Steady)]
    [InlineData("a draining pilot is not replaced without demand", 0L, "r55/60", "last_demand=-1", 0, "", PlanRule.Steady)]
    [InlineData("walltime below min_useful_walltime", 10L, "", "walltime=4", 0, "", PlanRule.WalltimeTooShort)]
    [InlineData("walltime minus drain lead below min_useful_walltime", 10L, "", "walltime=12 drain_lead=10", 0, "", PlanRule.WalltimeTooShort)]
    // ----- other states
    [InlineData("completing pilots are not supply", 10L, "c", "tpp=10", 1, "", PlanRule.ScaleOut)]
    [InlineData("completing pilots are never cancelled", 0L, "c", "last_demand=-60", 0, "", PlanRule.Steady)]
    [InlineData("unrecognised state counts as supply", 10L, "u", "tpp=10", 0, "", PlanRule.Steady)]
    [InlineData("finished pilots are ignored", 10L, "f f", "tpp=10", 1, "", PlanRule.ScaleOut)]
    public void Rule(string because, long? demand, string pilots, string options, int submit, string cancel, PlanRule rule)
    {
        var input = Input(demand, pilots, options);
        var plan = ScalingPolicy.Decide(input);
        var context = $"{because}\n{Describe(input)}{Describe(plan)}";
        Assert.True(rule == plan.Rule, $"rule {plan.Rule}, expected {rule}: {context}");
        Assert.True(submit == plan.Submit, $"submit {plan.Submit}, expected {submit}: {context}");
        Assert.True(cancel == string.Join(" ", plan.Cancel.Select(c => c.PilotId)), $"cancel wrong: {context}");
        Assert.False(string.IsNullOrWhiteSpace(plan.Reason));
    }

    [Theory]
    [InlineData("QOS limit named with its count", 10L, "q!QOSMaxJobsPerUserLimit q!QOSMaxJobsPerUserLimit", "", "2 pilots pending for QOSMaxJobsPerUserLimit")]
    [InlineData("partition down named", 10L, "q!PartitionDown", "", "1 pilot pending for PartitionDown")]
    [InlineData("user hold named", 10L, "q!JobHeldUser", "", "1 pilot held for JobHeldUser")]
    [InlineData("backoff names until when", 10L, "", "backoff_until=+4 failures=2", "until 2025-06-01T12:04:00Z")]
    [InlineData("burst submitted as one array", 40L, "", "tpp=10 max_queued=4", "submitting 4 as one array")]
    [InlineData("binding limit named", 40L, "", "tpp=10", "limited by max_queued 2")]
    [InlineData("crash-loop reason shown", 10L, "", "crash=3-failures", "3-failures")]
    [InlineData("operator pause reason shown", 10L, "", "paused=maintenance", "maintenance")]
    [InlineData("walltime figures shown", 10L, "", "walltime=4", "walltime 4m")]
    [InlineData("draining pilots said not to count", 10L, "r55/60", "tpp=10", "1 draining before walltime, not counted")]
    [InlineData("cooldown says until when", 0L, "q1", "last_demand=-3", "(2025-06-01T12:02:00Z)")]
    [InlineData("scale-in cooldown says until when", 10L, "q1 q1 r", "tpp=10 surplus_since=-1", "(2025-06-01T12:01:00Z)")]
    [InlineData("running surplus explained", 10L, "r r", "tpp=10", "exits by its idle timeout")]
    public void Reason_names_what_decided(string because, long? demand, string pilots, string options, string expected)
    {
        var input = Input(demand, pilots, options);
        var plan = ScalingPolicy.Decide(input);
        Assert.True(plan.Reason.Contains(expected, StringComparison.Ordinal), $"{because}: '{expected}' not in reason\n{Describe(plan)}");
    }

    [Fact]
    public void No_array_wording_when_arrays_are_off_or_one_pilot()
    {
        Assert.DoesNotContain("array", ScalingPolicy.Decide(Input(40, "", "tpp=10 max_queued=4 arrays=no")).Reason, StringComparison.Ordinal);
        var one = ScalingPolicy.Decide(Input(10, "", "tpp=10"));
        Assert.Equal(1, one.Submit);
        Assert.DoesNotContain("array", one.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Inputs_and_limits_list_every_figure()
    {
        var plan = ScalingPolicy.Decide(Input(40, "q2 q!QOSMaxJobsPerUserLimit h r r55/60 c", "tpp=10 global_room=3"));
        var inputs = plan.Inputs.ToDictionary(f => f.Name, f => f.Value);
        Assert.Equal("40", inputs["demand"]);
        Assert.Equal("40", inputs["demand.pending"]);
        Assert.Equal("4", inputs["desired"]);
        Assert.Equal("2", inputs["queued"]);
        Assert.Equal("1", inputs["held"]);
        Assert.Equal("1", inputs["running"]);
        Assert.Equal("1", inputs["draining"]);
        Assert.Equal("1", inputs["completing"]);
        Assert.Equal("3", inputs["supply"]);
        Assert.Equal("1", inputs["blocked.QOSMaxJobsPerUserLimit"]);
        Assert.Equal("1", inputs["blocked.JobHeldUser"]);
        var limits = plan.Limits.Select(f => f.Name).ToHashSet();
        foreach (var name in new[]
                 {
                     "min_pilots", "max_pilots", "tasks_per_pilot", "max_queued", "max_submit_per_tick", "global_room",
                     "scale_to_zero_after", "scale_in_after", "ramp_up_fraction", "backoff_until", "paused", "crash_loop",
                     "draining", "walltime", "drain_lead", "min_useful_walltime", "max_queue_age", "cancel_stale_queued",
                 })
        {
            Assert.Contains(name, limits);
        }

        Assert.Equal("3", plan.Limits.Single(f => f.Name == "global_room").Value);
        Assert.Contains(plan.Notes, n => n.Contains("QOSMaxJobsPerUserLimit", StringComparison.Ordinal));
    }

    [Fact]
    public void A_demand_sources_notes_reach_the_plan_notes()
    {
        var input = Input(0, "", "");
        var note = "HyperShell group 3 is stuck: 1 task(s) failed with no retry left";
        var plan = ScalingPolicy.Decide(input with { Demand = input.Demand! with { Notes = [note] } });

        Assert.Equal(note, plan.Notes[0]);
        Assert.Equal(0, plan.Submit);
    }

    [Theory]
    [InlineData("r r", "1 running pilot above that is never cancelled: it exits by its idle timeout.")]
    [InlineData("r r r", "2 running pilots above that are never cancelled: they exit by their idle timeout.")]
    public void Running_surplus_reason_agrees_in_number(string pilots, string expected)
    {
        var plan = ScalingPolicy.Decide(Input(1, pilots, "scale_in=0"));
        Assert.EndsWith(expected, plan.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Memory_records_demand_and_surplus_times()
    {
        var withDemand = ScalingPolicy.Decide(Input(10, "", "zero_since=-3 last_demand=-30")).Memory;
        Assert.Equal(Now, withDemand.LastDemandAt);
        Assert.Null(withDemand.ZeroDemandSince);

        var noDemand = ScalingPolicy.Decide(Input(0, "", "last_demand=-3")).Memory;
        Assert.Equal(Now - TimeSpan.FromMinutes(3), noDemand.LastDemandAt);
        Assert.Equal(Now, noDemand.ZeroDemandSince);

        var stillNone = ScalingPolicy.Decide(Input(0, "", "zero_since=-2")).Memory;
        Assert.Equal(Now - TimeSpan.FromMinutes(2), stillNone.ZeroDemandSince);

        var surplusSeen = ScalingPolicy.Decide(Input(10, "q1 q1 r", "tpp=10")).Memory;
        Assert.Equal(Now, surplusSeen.SurplusSince);
        var surplusKept = ScalingPolicy.Decide(Input(10, "q1 q1 r", "tpp=10 surplus_since=-1")).Memory;
        Assert.Equal(Now - TimeSpan.FromMinutes(1), surplusKept.SurplusSince);
        var surplusGone = ScalingPolicy.Decide(Input(30, "q1 q1 r", "tpp=10 surplus_since=-1")).Memory;
        Assert.Null(surplusGone.SurplusSince);
    }

    [Fact]
    public void Unknown_leaves_memory_alone()
    {
        var input = Input(null, "q", "last_demand=-3 surplus_since=-1 zero_since=-1");
        var plan = ScalingPolicy.Decide(input);
        Assert.Equal(input.Memory, plan.Memory);
        Assert.Contains("demand is unknown", plan.Reason, StringComparison.Ordinal);
        Assert.Contains("pilots are unknown", ScalingPolicy.Decide(Input(3, "?", "")).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Outcomes_in_the_input_trip_the_crash_loop_in_the_same_tick()
    {
        var failed = Enumerable.Range(1, 3)
            .Select(i => new PilotOutcome($"9{i}", "autopilot-test", PilotEnd.Failed, 1, Now.AddMinutes(-10), Now.AddMinutes(-9), "FAILED"))
            .ToList();
        var plan = ScalingPolicy.Decide(Input(10, "", "", failed));
        Assert.Equal(PlanRule.Paused, plan.Rule);
        Assert.Equal(0, plan.Submit);
        Assert.Equal(3, plan.Memory.ConsecutivePilotFailures);
        Assert.NotNull(plan.Memory.CrashLoopReason);
        Assert.Contains("crash loop", plan.Reason, StringComparison.Ordinal);
        Assert.Contains(plan.Notes, n => n.Contains("crash-loop", StringComparison.Ordinal));
    }

    [Fact]
    public void Stale_pilot_is_noted_with_its_age()
    {
        var plan = ScalingPolicy.Decide(Input(10, "q200", "max_queue_age=120"));
        Assert.Contains(plan.Notes, n => n.Contains("p1", StringComparison.Ordinal) && n.Contains("3h20m", StringComparison.Ordinal));
    }
}
