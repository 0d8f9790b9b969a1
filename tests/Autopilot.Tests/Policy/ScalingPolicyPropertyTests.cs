using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Policy;
using static Autopilot.Tests.Policy.PolicyDsl;

namespace Autopilot.Tests.Policy;

/// <summary>
/// Generated tests: seeded System.Random over thousands of inputs. A failure prints the seed and
/// the whole input; rerun one case with <c>Check(RandomInput(new Random(seed)), seed)</c>.
/// </summary>
public sealed class ScalingPolicyPropertyTests
{
    private const int Cases = 10_000;

    [Fact]
    public void Random_inputs_never_break_a_limit()
    {
        for (var seed = 0; seed < Cases; seed++)
        {
            var input = RandomInput(new Random(seed));
            Check(input, seed);
        }
    }

    [Fact]
    public void Same_input_same_plan()
    {
        for (var seed = 0; seed < 2_000; seed++)
        {
            var a = Describe(ScalingPolicy.Decide(RandomInput(new Random(seed))));
            var b = Describe(ScalingPolicy.Decide(RandomInput(new Random(seed))));
            Assert.True(a == b, $"seed {seed}: two runs differ\n{a}\n---\n{b}");
        }
    }

    [Fact]
    public void Converges_to_the_target_on_a_step_without_oscillating()
    {
        for (var seed = 0; seed < 500; seed++)
        {
            var r = new Random(seed);
            var limits = new LimitOptions
            {
                MinPilots = r.Next(0, 3),
                MaxPilots = r.Next(1, 16),
                TasksPerPilot = r.Next(1, 11),
                MaxQueued = r.Next(1, 6),
                MaxSubmitPerTick = r.Next(1, 6),
                ScaleToZeroAfter = TimeSpan.FromMinutes(r.Next(0, 11)),
            };
            var policy = new PolicyOptions
            {
                ScaleInAfter = TimeSpan.FromMinutes(r.Next(0, 6)),
                RampUpFraction = Pick(r, 1.0, 0.33, 0.5),
            };
            var scheduler = new SchedulerOptions { Walltime = TimeSpan.FromHours(24) };
            var sim = new PoolSimulator(limits, policy, scheduler, startDelayTicks: r.Next(0, 5), idleTicks: r.Next(1, 6),
                start: Now, tick: TimeSpan.FromMinutes(1));
            for (var i = r.Next(0, 12); i > 0; i--)
            {
                sim.AddQueued(TimeSpan.FromMinutes(r.Next(0, 30)));
            }

            for (var i = r.Next(0, 12); i > 0; i--)
            {
                sim.AddRunning(TimeSpan.FromMinutes(r.Next(0, 60)));
            }

            sim.Memory = new PoolMemory
            {
                LastDemandAt = r.Next(2) == 0 ? Now - TimeSpan.FromMinutes(r.Next(0, 20)) : null,
                SurplusSince = r.Next(2) == 0 ? Now - TimeSpan.FromMinutes(r.Next(0, 5)) : null,
            };
            long Demand() => r.Next(3) == 0 ? 0 : r.Next(1, 200);
            long[] phases = [Demand(), Demand()];
            var log = new List<string> { $"seed {seed}: limits={limits} scaleIn={policy.ScaleInAfter} ramp={policy.RampUpFraction} demand {phases[0]} then {phases[1]}" };
            var directions = new List<int>();
            foreach (var demand in phases)
            {
                var phaseStart = directions.Count;
                var target = PoolSimulator.Target(limits, demand);
                for (var t = 0; t < 60; t++)
                {
                    var plan = sim.Step(demand);
                    Check(sim.LastInput!, seed);
                    log.Add($"  demand {demand} queued {sim.Queued} running {sim.Running} -> {plan.Rule} +{plan.Submit} -{plan.Cancel.Count}");
                    if (plan.Submit > 0 || plan.Cancel.Count > 0)
                    {
                        directions.Add(plan.Submit > 0 ? 1 : -1);
                        Fail(t >= 50, "still acting 50 ticks after the step", log);
                    }
                }

                Fail(sim.Queued + sim.Running != target, $"supply {sim.Queued + sim.Running} != target {target}", log);
                var phase = directions.Skip(phaseStart).ToList();
                Fail(phase.Distinct().Count() > 1, "both submitted and cancelled while demand was constant", log);
            }

            var flips = directions.Zip(directions.Skip(1)).Count(d => d.First != d.Second);
            Fail(flips > 1, $"{flips} submit/cancel direction changes over one step", log);
        }
    }

    [Fact]
    public void Walltime_replacements_keep_capacity_without_cancelling()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var r = new Random(seed);
            var limits = new LimitOptions { MaxPilots = r.Next(1, 10), TasksPerPilot = 10, MaxQueued = 10, MaxSubmitPerTick = 10 };
            var scheduler = new SchedulerOptions { Walltime = TimeSpan.FromMinutes(r.Next(20, 60)), DrainLead = TimeSpan.FromMinutes(r.Next(6, 12)) };
            var delay = r.Next(0, 5);
            var sim = new PoolSimulator(limits, new PolicyOptions(), scheduler, delay, idleTicks: 3, Now, TimeSpan.FromMinutes(1));
            var demand = r.Next(1, 200);
            var target = PoolSimulator.Target(limits, demand);
            var log = new List<string> { $"seed {seed}: max {limits.MaxPilots} walltime {scheduler.Walltime} lead {scheduler.DrainLead} start delay {delay} demand {demand}" };
            for (var t = 0; t < 240; t++)
            {
                var plan = sim.Step(demand);
                Check(sim.LastInput!, seed);
                log.Add($"  t{t} queued {sim.Queued} running {sim.Running} (draining {sim.Draining}) -> {plan.Rule} +{plan.Submit} -{plan.Cancel.Count}");
                Fail(plan.Cancel.Count != 0, "cancelled during steady demand", log);
                if (t > delay + 2)
                {
                    Fail(sim.Running < target, "running dipped below the target", log);
                    Fail(sim.Queued + sim.Running - sim.Draining > target, "over target", log);
                }
            }
        }
    }

    /// <summary>Every invariant a single plan must keep, whatever the input.</summary>
    internal static void Check(PolicyInput input, int seed)
    {
        var plan = ScalingPolicy.Decide(input);
        void That(bool ok, string what)
        {
            if (!ok)
            {
                Assert.Fail($"seed {seed}: {what}\n--- input\n{Describe(input)}--- plan\n{Describe(plan)}");
            }
        }

        var unknown = input.Demand is null || input.Pilots is null || input.Demand.Tasks < 0;
        That(unknown == (plan.Rule == PlanRule.Unknown), "Unknown iff demand or pilots unknown");
        That(plan.Reason.Length > 0, "a reason is given");
        if (unknown)
        {
            That(plan.Submit == 0 && plan.Cancel.Count == 0, "nothing done while unknown");
            return;
        }

        var pilots = input.Pilots!;
        bool Draining(Pilot p) => p.State == PilotState.Running && p.StartTime is { } s
            && s + (p.TimeLimit ?? input.Scheduler.Walltime) - input.Scheduler.DrainLead <= input.Now;
        var queued = pilots.Count(p => p.State is PilotState.Queued or PilotState.Held);
        var counted = pilots.Count(p => p.State is PilotState.Queued or PilotState.Held or PilotState.Running or PilotState.Unknown && !Draining(p));

        That(plan.Submit >= 0, "submit is not negative");
        That(plan.Desired >= 0 && plan.Desired <= Math.Max(0, input.Limits.MaxPilots), "desired within [0, max_pilots]");
        if (input.Demand!.Tasks > 0 && input.Limits.MaxPilots > 0)
        {
            That(plan.Desired >= 1, "at least one pilot desired while demand > 0");
        }

        if (plan.Submit > 0)
        {
            That(plan.Submit <= input.Limits.MaxSubmitPerTick, "max_submit_per_tick");
            That(queued + plan.Submit <= input.Limits.MaxQueued, "max_queued");
            That(counted + plan.Submit <= input.Limits.MaxPilots, "max_pilots");
            That(input.GlobalRoom is null || plan.Submit <= input.GlobalRoom, "global room");
            That(plan.Cancel.Count == 0, "never submits and cancels in one plan");
            That(plan.Memory.PausedReason is null && plan.Memory.CrashLoopReason is null, "no submission while paused");
            That(!input.Memory.Draining, "no submission while draining");
            That(input.Memory.SubmitNotBefore is not { } nb || input.Now >= nb, "no submission during backoff");
            That(input.Scheduler.Walltime >= input.Policy.MinUsefulWalltime, "no submission with a too-short walltime");
            That(!pilots.Any(p => p.State == PilotState.Held || p.PendingKind is PendingKind.Held or PendingKind.Limit or PendingKind.Unavailable or PendingKind.Error),
                "no submission while pilots are held or blocked");
            That(plan.Rule == PlanRule.ScaleOut, "submissions come from ScaleOut");
        }

        if (input.Memory.PausedReason is not null)
        {
            That(plan.Submit == 0 && plan.Cancel.Count == 0, "operator pause is a full stop");
        }

        var ids = plan.Cancel.Select(c => c.PilotId).ToList();
        That(ids.Distinct().Count() == ids.Count, "each pilot cancelled once");
        foreach (var id in ids)
        {
            var pilot = pilots.FirstOrDefault(p => p.Id == id);
            That(pilot is not null, $"cancelled pilot {id} exists");
            That(pilot!.State == PilotState.Queued || (pilot.State == PilotState.Held && plan.Rule == PlanRule.Draining),
                $"cancelled pilot {id} is queued (held only when draining), not {pilot.State}");
            That(pilot.PendingKind != PendingKind.Held || plan.Rule == PlanRule.Draining, $"held pilot {id} cancelled outside a drain");
        }

        That(plan.Submit > 0 == (plan.Rule == PlanRule.ScaleOut), "ScaleOut iff submitting");
    }

    internal static PolicyInput RandomInput(Random r)
    {
        var now = Now.AddMinutes(r.Next(0, 100_000));
        TimeSpan Min(int lo, int hi) => TimeSpan.FromMinutes(r.Next(lo, hi));
        var limits = new LimitOptions
        {
            MinPilots = r.Next(0, 4),
            MaxPilots = r.Next(0, 16),
            TasksPerPilot = r.Next(0, 11),
            MaxQueued = r.Next(-1, 7),
            MaxSubmitPerTick = r.Next(-1, 7),
            ScaleToZeroAfter = Min(0, 11),
        };
        var policy = new PolicyOptions
        {
            ScaleInAfter = Min(0, 6),
            RampUpFraction = Pick(r, 1.0, 0.33, 0.5, 0.0, 2.0, double.NaN),
            CrashLoopThreshold = r.Next(0, 4),
            MaxQueueAge = Pick(r, TimeSpan.Zero, TimeSpan.FromMinutes(30), TimeSpan.FromHours(2)),
            CancelStaleQueued = r.Next(2) == 0,
            MinUsefulWalltime = Pick(r, TimeSpan.FromMinutes(5), TimeSpan.Zero, TimeSpan.FromMinutes(30)),
        };
        var scheduler = new SchedulerOptions
        {
            Walltime = Pick(r, TimeSpan.FromHours(1), TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(20), TimeSpan.FromHours(8)),
            DrainLead = Pick(r, TimeSpan.FromMinutes(10), TimeSpan.Zero, TimeSpan.FromMinutes(15)),
            UseArrays = r.Next(2) == 0,
        };
        DateTimeOffset? Maybe(int lo, int hi) => r.Next(2) == 0 ? now + Min(lo, hi) : null;
        var memory = new PoolMemory
        {
            LastDemandAt = Maybe(-30, 1),
            ZeroDemandSince = Maybe(-30, 1),
            SurplusSince = Maybe(-10, 1),
            SubmitNotBefore = r.Next(4) == 0 ? now + Min(-10, 60) : null,
            ConsecutiveSubmitFailures = r.Next(0, 6),
            ConsecutivePilotFailures = r.Next(0, 4),
            PausedReason = r.Next(20) == 0 ? "operator" : null,
            Draining = r.Next(20) == 0,
            CrashLoopReason = r.Next(10) == 0 ? "crash loop" : null,
        };
        Demand? demand = r.Next(20) == 0 ? null
            : new Demand(r.Next(3) == 0 ? 0 : r.Next(50) == 0 ? -1 : r.Next(1, 200), r.Next(10) == 0, []);
        List<Pilot>? pilots = null;
        if (r.Next(20) != 0)
        {
            pilots = [];
            for (var i = r.Next(0, 25); i > 0; i--)
            {
                var state = Pick(r, PilotState.Queued, PilotState.Queued, PilotState.Running, PilotState.Running, PilotState.Held,
                    PilotState.Completing, PilotState.Finished, PilotState.Unknown);
                var kind = state == PilotState.Queued
                    ? Pick(r, PendingKind.None, PendingKind.Resources, PendingKind.Resources, PendingKind.BeginTime, PendingKind.Limit,
                        PendingKind.Unavailable, PendingKind.Held, PendingKind.Error, PendingKind.Other)
                    : PendingKind.None;
                DateTimeOffset? submit = r.Next(20) == 0 ? null : now - Min(0, 300);
                DateTimeOffset? start = state is PilotState.Running or PilotState.Completing && r.Next(20) != 0 ? now - Min(0, 120) : null;
                TimeSpan? limit = r.Next(3) == 0 ? null : Min(5, 120);
                pilots.Add(new Pilot($"{r.Next(1, 60)}_{pilots.Count}", "autopilot-x", state, state.ToString().ToUpperInvariant(),
                    kind == PendingKind.None ? null : kind.ToString(), kind, submit, start, TimeLimit: limit));
            }
        }

        List<PilotOutcome>? outcomes = null;
        if (r.Next(10) == 0)
        {
            outcomes = [];
            for (var i = r.Next(1, 5); i > 0; i--)
            {
                var end = now - Min(0, 30);
                outcomes.Add(new PilotOutcome($"o{i}", "autopilot-x",
                    Pick(r, PilotEnd.Failed, PilotEnd.Completed, PilotEnd.Walltime, PilotEnd.Cancelled), 1, end - Min(0, 5), end, "X"));
            }
        }

        int? room = r.Next(2) == 0 ? null : r.Next(-1, 8);
        return new PolicyInput("random", demand, pilots, limits, policy, scheduler, memory, now, room, outcomes);
    }

    private static void Fail(bool failed, string what, List<string> log)
    {
        if (failed)
        {
            Assert.Fail($"{what}\n{string.Join("\n", log)}");
        }
    }

    private static T Pick<T>(Random r, params T[] values) => values[r.Next(values.Length)];
}
