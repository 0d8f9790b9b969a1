using Autopilot.DemandSources;
using Autopilot.DemandSources.Command;
namespace Autopilot.Configuration;

// [pool.share]: docs/policy.md, "Sharing and overflow".
internal static partial class OptionsBinder
{
    private static ShareOptions? BindShare(SectionReader r)
    {
        var group = r.OptionalString("group");
        if (group is null || group.Length == 0)
        {
            r.Context.Error(r.Prefix, "a [pool.share] table needs a group (the name the pools sharing one demand have in common)");
        }

        var share = new ShareOptions
        {
            Group = group ?? "",
            Order = r.Int("order", 1, min: 1),
            OverflowAfter = r.Duration("overflow_after", new ShareOptions { Group = "" }.OverflowAfter, positive: true),
        };
        r.Finish();
        return share.Group.Length == 0 ? null : share;
    }

    /// <summary>Pools of one group read one demand once: they must name the same one, in distinct orders.</summary>
    private static void CheckShares(BindContext ctx, IReadOnlyList<string> keys, IReadOnlyList<PoolOptions> pools)
    {
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < pools.Count; i++)
        {
            if (pools[i].Share is { } share)
            {
                if (!groups.TryGetValue(share.Group, out var list))
                {
                    groups[share.Group] = list = [];
                }

                list.Add(i);
            }
        }

        foreach (var (group, members) in groups)
        {
            var first = members[0];
            if (members.Count == 1)
            {
                ctx.Error(keys[first] + ":share:group", $"share group '{group}' has only pool '{pools[first].Name}': a share needs at least two pools");
                continue;
            }

            foreach (var i in members.Skip(1))
            {
                if (!SameDemand(pools[first].Demand, pools[i].Demand))
                {
                    ctx.Error(keys[i] + ":demand", $"pool '{pools[i].Name}' is in share group '{group}' with pool '{pools[first].Name}' ({ctx.Location(keys[first] + ":share:group")}) but reads another demand: the pools of a group must have the same [pool.demand]");
                }

                var twin = members.TakeWhile(j => j != i).FirstOrDefault(j => pools[j].Share!.Order == pools[i].Share!.Order, -1);
                if (twin >= 0)
                {
                    ctx.Error(keys[i] + ":share:order", $"pools '{pools[twin].Name}' and '{pools[i].Name}' of share group '{group}' both have order {pools[i].Share!.Order}: orders must differ");
                }
            }
        }
    }

    private static readonly string[] NoCommand = [];

    // Record equality compares the command list by reference: compare it by content apart.
    private static bool SameDemand(DemandOptions a, DemandOptions b) =>
        a is CommandOptions ca && b is CommandOptions cb
            ? ca with { Command = NoCommand } == cb with { Command = NoCommand } && ca.Command.SequenceEqual(cb.Command, StringComparer.Ordinal)
            : a == b;
}
