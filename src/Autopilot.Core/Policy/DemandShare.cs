using Autopilot.Domain;

namespace Autopilot.Policy;

/// <summary>One pool of a share group as the split sees it: its place, its limits, its pilots (null: unreadable).</summary>
public sealed record ShareMember(string Pool, int Order, int MaxPilots, int TasksPerPilot, TimeSpan OverflowAfter, IReadOnlyList<Pilot>? Pilots);

/// <summary>One pool's part of the group's demand, and why it is that much.</summary>
/// <param name="Overflowing">The pool's pilots wait too long for the cluster (not for its own limits): new demand skips it.</param>
public sealed record ShareSlice(string Pool, int Order, long Tasks, bool Overflowing, string Why);

/// <summary>How one demand reading was split over the pools of a share group.</summary>
/// <param name="Unserved">Tasks no pool can take (every pool at its max_pilots).</param>
public sealed record ShareSplit(string Group, long Demand, IReadOnlyList<ShareSlice> Slices, long Unserved)
{
    public ShareSlice For(string pool) => Slices.Single(s => s.Pool == pool);

    /// <summary>The split in one line each, for a pool's plan notes.</summary>
    public IReadOnlyList<string> Explain(string pool)
    {
        var mine = For(pool);
        var lines = new List<string>
        {
            $"Share group '{Group}': demand {Demand} read once and split by order of preference: "
                + string.Join("; ", Slices.Select(s => $"{s.Pool} (order {s.Order}) {s.Tasks}"))
                + (Unserved > 0 ? $"; {Unserved} beyond every pool's max_pilots" : "") + ".",
            $"This pool's share is {mine.Tasks}: {mine.Why}.",
        };
        return lines;
    }
}

/// <summary>
/// Splits one demand over the pools of a share group (docs/policy.md, "Sharing and overflow"). Pure:
/// records in, per-pool demand out. The pools' own policies then act on their share as on any demand.
/// </summary>
public static class DemandShare
{
    public static ShareSplit Split(string group, long demand, IReadOnlyList<ShareMember> members, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(members);
        var ordered = members.OrderBy(m => m.Order).ToList();
        var remaining = Math.Max(0, demand);
        var share = new long[ordered.Count];
        var why = new List<string>[ordered.Count];
        var overflowing = new bool[ordered.Count];
        var capacity = new long[ordered.Count];
        var waiting = new long[ordered.Count];

        // Running pilots of every pool are doing the work now: they count against the demand first,
        // so the pools together never ask for more than the demand, and running work is never moved.
        for (var i = 0; i < ordered.Count; i++)
        {
            var m = ordered[i];
            var tpp = Math.Max(1, m.TasksPerPilot);
            capacity[i] = (long)Math.Max(0, m.MaxPilots) * tpp;
            why[i] = [];
            if (m.Pilots is null)
            {
                continue;
            }

            var ours = m.Pilots.Where(p => !p.Foreign).ToList();
            var running = Math.Min(capacity[i], (long)ours.Count(p => p.State is PilotState.Running or PilotState.Completing) * tpp);
            var stuck = ours.Where(p => IsStuck(p, m.OverflowAfter, now)).ToList();
            overflowing[i] = stuck.Count > 0;
            waiting[i] = (long)ours.Count(p => p.State == PilotState.Queued) * tpp;
            var take = Math.Min(remaining, running);
            share[i] = take;
            remaining -= take;
            if (take > 0)
            {
                why[i].Add($"{take} for its running pilots");
            }

            if (overflowing[i])
            {
                var oldest = stuck.Min(p => p.SubmitTime!.Value);
                why[i].Add($"overflowing: {PolicyText.Count(stuck.Count, "pilot")} waiting for {stuck[0].PendingReason ?? stuck[0].PendingKind.ToString()} "
                    + $"for up to {PolicyText.Duration(now - oldest)}, longer than overflow_after {PolicyText.Duration(m.OverflowAfter)}");
            }
        }

        var unassigned = remaining;

        FillByPreference(ordered, share, why, overflowing, capacity, ref remaining);
        FillOverflowing(share, why, overflowing, capacity, waiting, unassigned, ref remaining);

        var slices = new List<ShareSlice>(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            var text = why[i].Count > 0 ? string.Join("; ", why[i])
                : share[i] == 0 && demand > 0 ? "nothing left: the preferred pools take the demand"
                : "no demand";
            slices.Add(new ShareSlice(ordered[i].Pool, ordered[i].Order, share[i], overflowing[i], text));
        }

        return new ShareSplit(group, Math.Max(0, demand), slices, remaining);
    }

    private static void FillByPreference(
        List<ShareMember> ordered, long[] share, List<string>[] why, bool[] overflowing, long[] capacity, ref long remaining)
    {
        // The rest by preference, each pool up to its max_pilots, skipping pools that overflow. A pool whose
        // pilots are unknown is filled like the others (fail closed: it may be serving that part already).
        for (var i = 0; i < ordered.Count; i++)
        {
            var take = overflowing[i] ? 0 : Math.Min(remaining, capacity[i] - share[i]);
            if (take == 0)
            {
                continue;
            }

            share[i] += take;
            remaining -= take;
            why[i].Add(ordered[i].Pilots is null ? $"pilots unknown: {take} kept for it as if it were filling up, so the next pools do not take them"
                : share[i] == capacity[i] && remaining > 0 ? $"{take} filling it to max_pilots ({capacity[i]} tasks); the rest goes to the next pool"
                : $"{take} of the demand not yet served by a preferred pool");
        }
    }

    private static void FillOverflowing(
        long[] share, List<string>[] why, bool[] overflowing, long[] capacity, long[] waiting, long unassigned, ref long remaining)
    {
        // An overflowing pool takes only what every other pool cannot (in order). It keeps the pilots it has
        // waiting, up to the demand its running pilots do not cover, so it takes its work back when they start;
        // while they wait they are not counted as supply.
        for (var i = 0; i < share.Length; i++)
        {
            if (!overflowing[i])
            {
                continue;
            }

            var extra = Math.Min(remaining, capacity[i] - share[i]);
            remaining -= extra;
            var keep = Math.Min(Math.Min(waiting[i], unassigned), capacity[i] - share[i]);
            share[i] += Math.Max(extra, keep);
            if (extra > 0)
            {
                why[i].Add($"{extra} because every other pool is at its max_pilots");
            }

            if (keep > extra)
            {
                why[i].Add($"{keep - extra} kept for its waiting pilots until they start (not counted as supply)");
            }
        }
    }

    /// <summary>
    /// Queued longer than overflow_after for the cluster (resources, priority, partition down or reserved):
    /// not for the pool's own limits, a hold, an error or a start time it asked for.
    /// </summary>
    public static bool IsStuck(Pilot pilot, TimeSpan overflowAfter, DateTimeOffset now) =>
        !pilot.Foreign
        && pilot.State == PilotState.Queued
        && pilot.PendingKind is PendingKind.Resources or PendingKind.Unavailable
        && pilot.SubmitTime is { } submitted
        && now - submitted >= overflowAfter;
}
