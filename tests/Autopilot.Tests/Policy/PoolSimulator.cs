using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Policy;

namespace Autopilot.Tests.Policy;

/// <summary>
/// A tiny world for the policy: each tick the plan is applied (cancelled pilots vanish, submitted
/// ones join the queue), queued pilots start after a fixed delay, running pilots end at their
/// walltime, and running pilots beyond what demand needs exit after an idle timeout (as a
/// HyperShell client with -T does). Demand is external: the test sets it per tick.
/// </summary>
internal sealed class PoolSimulator
{
    private readonly LimitOptions _limits;
    private readonly PolicyOptions _policy;
    private readonly SchedulerOptions _scheduler;
    private readonly int _startDelayTicks;
    private readonly int _idleTicks;
    private int _idleFor;
    private int _nextId = 1000;

    public PoolSimulator(LimitOptions limits, PolicyOptions policy, SchedulerOptions scheduler,
        int startDelayTicks, int idleTicks, DateTimeOffset start, TimeSpan tick)
    {
        _limits = limits;
        _policy = policy;
        _scheduler = scheduler;
        _startDelayTicks = startDelayTicks;
        _idleTicks = idleTicks;
        Now = start;
        Tick = tick;
    }

    public DateTimeOffset Now { get; private set; }
    public TimeSpan Tick { get; }
    public List<Pilot> Pilots { get; } = [];
    public PoolMemory Memory { get; set; } = PoolMemory.Empty;
    public PolicyInput? LastInput { get; private set; }

    /// <summary>How many pilots the cluster can run at once; the rest stay queued (null: no limit).</summary>
    public int? ClusterSlots { get; init; }

    public int Queued => Pilots.Count(p => p.State == PilotState.Queued);
    public int Running => Pilots.Count(p => p.State == PilotState.Running);
    public int Draining => Pilots.Count(IsDraining);

    public static int Target(LimitOptions limits, long demand)
    {
        var max = Math.Max(0, limits.MaxPilots);
        var need = demand > 0 ? (demand + Math.Max(1, limits.TasksPerPilot) - 1) / Math.Max(1, limits.TasksPerPilot) : 0;
        return (int)Math.Clamp(need, Math.Clamp(limits.MinPilots, 0, max), max);
    }

    public void AddQueued(TimeSpan age) =>
        Pilots.Add(new Pilot($"{_nextId++}", "autopilot-sim", PilotState.Queued, "PENDING", "Priority", PendingKind.Resources, Now - age));

    public void AddRunning(TimeSpan ranFor) =>
        Pilots.Add(new Pilot($"{_nextId++}", "autopilot-sim", PilotState.Running, "RUNNING", null, PendingKind.None, Now - ranFor - Tick, Now - ranFor));

    /// <summary>One tick: decide, apply, let time pass. Returns the plan.</summary>
    public Plan Step(long demand)
    {
        LastInput = new PolicyInput("sim", Demand.Of(demand), Pilots.ToList(), _limits, _policy, _scheduler, Memory, Now);
        var plan = ScalingPolicy.Decide(LastInput);
        foreach (var cancel in plan.Cancel)
        {
            var pilot = Pilots.Single(p => p.Id == cancel.PilotId);
            if (pilot.State is not (PilotState.Queued or PilotState.Held))
            {
                throw new InvalidOperationException($"plan cancelled {pilot.State} pilot {pilot.Id}");
            }

            Pilots.Remove(pilot);
        }

        for (var i = 0; i < plan.Submit; i++)
        {
            Pilots.Add(new Pilot($"{_nextId++}", "autopilot-sim", PilotState.Queued, "PENDING", "Priority", PendingKind.Resources, Now));
        }

        Memory = plan.Memory;
        Now += Tick;

        for (var i = 0; i < Pilots.Count; i++)
        {
            var p = Pilots[i];
            if (p.State == PilotState.Queued && p.SubmitTime!.Value + (_startDelayTicks * Tick) <= Now
                && (ClusterSlots is not { } slots || Pilots.Count(x => x.State == PilotState.Running) < slots))
            {
                Pilots[i] = p with { State = PilotState.Running, RawState = "RUNNING", PendingReason = null, PendingKind = PendingKind.None, StartTime = Now };
            }
        }

        Pilots.RemoveAll(p => p.State == PilotState.Running && p.StartTime!.Value + (p.TimeLimit ?? _scheduler.Walltime) <= Now);

        // Pilots with nothing to do exit after their idle timeout; draining ones leave at walltime.
        var working = Pilots.Where(p => p.State == PilotState.Running && !IsDraining(p)).ToList();
        var excess = working.Count - Target(_limits, demand);
        _idleFor = excess > 0 ? _idleFor + 1 : 0;
        if (excess > 0 && _idleFor >= _idleTicks)
        {
            foreach (var p in working.OrderByDescending(p => p.StartTime).Take(excess))
            {
                Pilots.Remove(p);
            }

            _idleFor = 0;
        }

        return plan;
    }

    private bool IsDraining(Pilot p) =>
        p.State == PilotState.Running && p.StartTime!.Value + (p.TimeLimit ?? _scheduler.Walltime) - _scheduler.DrainLead <= Now;
}
