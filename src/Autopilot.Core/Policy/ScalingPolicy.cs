// TEMPORARY shim (engine branch) until the policy branch lands; replaced at merge.
using Autopilot.Domain;

namespace Autopilot.Policy;

public static class ScalingPolicy
{
    public static Plan Decide(PolicyInput input)
    {
        var l = input.Limits;
        var demand = input.Demand!.Tasks;
        var pilots = input.Pilots!;
        var queued = pilots.Where(p => p.State == PilotState.Queued).OrderByDescending(p => p.SubmitTime).ToList();
        var running = pilots.Count(p => p.State is PilotState.Running or PilotState.Completing);
        var desired = demand == 0 ? l.MinPilots : (int)Math.Clamp((demand + l.TasksPerPilot - 1) / l.TasksPerPilot, Math.Max(1, l.MinPilots), l.MaxPilots);
        var supply = queued.Count + running;
        var memory = input.Memory with { LastDemandAt = demand > 0 ? input.Now : input.Memory.LastDemandAt };
        var submit = Math.Max(0, Math.Min(Math.Min(desired - supply, l.MaxQueued - queued.Count), l.MaxSubmitPerTick));
        if (input.GlobalRoom is { } room)
        {
            submit = Math.Min(submit, room);
        }

        var cancel = new List<Cancellation>();
        if (demand == 0 && (memory.LastDemandAt is null || input.Now - memory.LastDemandAt >= l.ScaleToZeroAfter))
        {
            cancel.AddRange(queued.Select(p => new Cancellation(p.Id, "demand zero")));
        }
        else if (supply > desired)
        {
            cancel.AddRange(queued.Take(Math.Min(queued.Count, supply - desired)).Select(p => new Cancellation(p.Id, "surplus")));
        }

        var rule = submit > 0 ? PlanRule.ScaleOut : cancel.Count > 0 ? PlanRule.ScaleIn : PlanRule.Steady;
        return new Plan(input.Pool, desired, submit, cancel, rule, rule.ToString(), [], [], [], memory);
    }
}
