using System.Globalization;
using System.Text;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Policy;

namespace Autopilot.Tests.Policy;

/// <summary>
/// A tiny language for readable policy test rows.
/// Pilots: space-separated tokens, ids p1, p2, ... in order. A token is a state letter
/// (q queued, h held, r running, c completing, u unknown, f finished), an optional age in
/// minutes (since submit for q/h, since start for r; default 1), an optional "/N" time limit in
/// minutes, an optional "!Reason" pending reason (its kind derived as a scheduler adapter would).
/// "?" alone means the pilot list is unknown. Example: "q5 q2!QOSMaxJobsPerUserLimit r55/60 h".
/// Options: "key=value" or flags, minutes for durations, memory times relative to now (-6: six
/// minutes ago, +4: in four minutes). See <see cref="Input"/> for the keys.
/// </summary>
internal static class PolicyDsl
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static IReadOnlyList<Pilot>? Pilots(string spec)
    {
        if (spec.Trim() == "?")
        {
            return null;
        }

        var pilots = new List<Pilot>();
        var tokens = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i];
            string? reason = null;
            var bang = token.IndexOf('!');
            if (bang >= 0)
            {
                reason = token[(bang + 1)..];
                token = token[..bang];
            }

            TimeSpan? limit = null;
            var slash = token.IndexOf('/');
            if (slash >= 0)
            {
                limit = TimeSpan.FromMinutes(int.Parse(token[(slash + 1)..], CultureInfo.InvariantCulture));
                token = token[..slash];
            }

            var age = TimeSpan.FromMinutes(token.Length > 1 ? double.Parse(token[1..], CultureInfo.InvariantCulture) : 1);
            var id = $"p{i + 1}";
            var kind = reason is null ? PendingKind.None : KindOf(reason);
            pilots.Add(token[0] switch
            {
                'q' => new Pilot(id, "autopilot-test", PilotState.Queued, "PENDING", reason, kind, Now - age, TimeLimit: limit),
                'h' => new Pilot(id, "autopilot-test", PilotState.Held, "PENDING", reason ?? "JobHeldUser", PendingKind.Held, Now - age, TimeLimit: limit),
                'r' => new Pilot(id, "autopilot-test", PilotState.Running, "RUNNING", null, PendingKind.None, Now - age - TimeSpan.FromMinutes(1), Now - age, TimeLimit: limit),
                'c' => new Pilot(id, "autopilot-test", PilotState.Completing, "COMPLETING", null, PendingKind.None, Now - age - TimeSpan.FromMinutes(1), Now - age, TimeLimit: limit),
                'u' => new Pilot(id, "autopilot-test", PilotState.Unknown, "WEIRD", null, PendingKind.None, Now - age),
                'f' => new Pilot(id, "autopilot-test", PilotState.Finished, "COMPLETED", null, PendingKind.None, Now - age),
                _ => throw new ArgumentException($"unknown pilot token '{tokens[i]}'"),
            });
        }

        return pilots;
    }

    /// <summary>Roughly what the Slurm adapter does with a reason name.</summary>
    public static PendingKind KindOf(string reason) => reason switch
    {
        "Resources" or "Priority" => PendingKind.Resources,
        "BeginTime" or "Dependency" => PendingKind.BeginTime,
        "PartitionDown" or "ReqNodeNotAvail" => PendingKind.Unavailable,
        "Eqw" => PendingKind.Error,
        _ when reason.StartsWith("JobHeld", StringComparison.Ordinal) => PendingKind.Held,
        _ when reason.StartsWith("QOS", StringComparison.Ordinal) || reason.StartsWith("Assoc", StringComparison.Ordinal) => PendingKind.Limit,
        _ => PendingKind.Other,
    };

    /// <summary>
    /// Keys: min, max, tpp, max_queued, max_submit, scale_to_zero, scale_in, ramp, crash_threshold,
    /// min_runtime, max_queue_age, cancel_stale, min_useful, walltime, drain_lead, arrays=no,
    /// global_room, last_demand, zero_since, surplus_since, backoff_until, failures, paused=TEXT,
    /// crash=TEXT, draining, saturated.
    /// </summary>
    public static PolicyInput Input(long? demand, string pilots, string options, IReadOnlyList<PilotOutcome>? outcomes = null)
    {
        var limits = new LimitOptions();
        var policy = new PolicyOptions();
        var scheduler = new SchedulerOptions { Kind = "slurm" };
        var memory = PoolMemory.Empty;
        int? globalRoom = null;
        var saturated = false;
        foreach (var option in options.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = option.IndexOf('=');
            var key = eq < 0 ? option : option[..eq];
            var value = eq < 0 ? "" : option[(eq + 1)..];
            int I() => int.Parse(value, CultureInfo.InvariantCulture);
            TimeSpan M() => TimeSpan.FromMinutes(double.Parse(value, CultureInfo.InvariantCulture));
            DateTimeOffset T() => Now + M();
            switch (key)
            {
                case "min": limits = limits with { MinPilots = I() }; break;
                case "max": limits = limits with { MaxPilots = I() }; break;
                case "tpp": limits = limits with { TasksPerPilot = I() }; break;
                case "max_queued": limits = limits with { MaxQueued = I() }; break;
                case "max_submit": limits = limits with { MaxSubmitPerTick = I() }; break;
                case "scale_to_zero": limits = limits with { ScaleToZeroAfter = M() }; break;
                case "scale_in": policy = policy with { ScaleInAfter = M() }; break;
                case "ramp": policy = policy with { RampUpFraction = double.Parse(value, CultureInfo.InvariantCulture) }; break;
                case "crash_threshold": policy = policy with { CrashLoopThreshold = I() }; break;
                case "min_runtime": policy = policy with { MinPilotRuntime = M() }; break;
                case "max_queue_age": policy = policy with { MaxQueueAge = M() }; break;
                case "cancel_stale": policy = policy with { CancelStaleQueued = true }; break;
                case "min_useful": policy = policy with { MinUsefulWalltime = M() }; break;
                case "walltime": scheduler = scheduler with { Walltime = M() }; break;
                case "drain_lead": scheduler = scheduler with { DrainLead = M() }; break;
                case "arrays": scheduler = scheduler with { UseArrays = value != "no" }; break;
                case "global_room": globalRoom = I(); break;
                case "last_demand": memory = memory with { LastDemandAt = T() }; break;
                case "zero_since": memory = memory with { ZeroDemandSince = T() }; break;
                case "surplus_since": memory = memory with { SurplusSince = T() }; break;
                case "backoff_until": memory = memory with { SubmitNotBefore = T() }; break;
                case "failures": memory = memory with { ConsecutiveSubmitFailures = I() }; break;
                case "paused": memory = memory with { PausedReason = value }; break;
                case "crash": memory = memory with { CrashLoopReason = value }; break;
                case "draining": memory = memory with { Draining = true }; break;
                case "saturated": saturated = true; break;
                default: throw new ArgumentException($"unknown option '{option}'");
            }
        }

        var demandRecord = demand is { } d ? new Demand(d, saturated, [new DemandMeasure("pending", d)]) : null;
        return new PolicyInput("test", demandRecord, Pilots(pilots), limits, policy, scheduler, memory, Now, globalRoom, outcomes);
    }

    /// <summary>Everything about an input, for failure messages: a failing generated case must be reproducible from the message.</summary>
    public static string Describe(PolicyInput input)
    {
        var b = new StringBuilder();
        b.Append($"now={PolicyText.Time(input.Now)} demand={(input.Demand?.ToString() ?? "null")} globalRoom={(input.GlobalRoom?.ToString(CultureInfo.InvariantCulture) ?? "null")}\n");
        b.Append($"limits={input.Limits}\npolicy={input.Policy with { Backoff = [] }} backoff=[{string.Join(",", input.Policy.Backoff.Select(PolicyText.Duration))}]\n");
        b.Append($"scheduler: walltime={PolicyText.Duration(input.Scheduler.Walltime)} drainLead={PolicyText.Duration(input.Scheduler.DrainLead)} arrays={input.Scheduler.UseArrays}\n");
        b.Append($"memory={input.Memory}\n");
        if (input.Pilots is null)
        {
            b.Append("pilots=null\n");
        }
        else
        {
            foreach (var p in input.Pilots)
            {
                b.Append($"  {p.Id} {p.State} kind={p.PendingKind} reason={p.PendingReason} submit={Rel(p.SubmitTime, input.Now)} start={Rel(p.StartTime, input.Now)} limit={(p.TimeLimit is { } t ? PolicyText.Duration(t) : "-")}\n");
            }
        }

        foreach (var o in input.Outcomes ?? [])
        {
            b.Append($"  outcome {o.Id} {o.End} start={Rel(o.StartTime, input.Now)} end={Rel(o.EndTime, input.Now)}\n");
        }

        return b.ToString();
    }

    public static string Describe(Plan plan) =>
        $"rule={plan.Rule} desired={plan.Desired} submit={plan.Submit} cancel=[{string.Join(" ", plan.Cancel.Select(c => c.PilotId))}]\n"
        + $"reason={plan.Reason}\nnotes={string.Join(" | ", plan.Notes)}\n"
        + $"inputs={string.Join(", ", plan.Inputs.Select(f => $"{f.Name}={f.Value}"))}\nmemory={plan.Memory}";

    private static string Rel(DateTimeOffset? time, DateTimeOffset now) =>
        time is { } t ? (t <= now ? "-" : "+") + PolicyText.Duration((now - t).Duration()) : "null";
}
