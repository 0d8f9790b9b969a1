using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Domain;
using Autopilot.Policy;

namespace Autopilot.Engine;

/// <summary>
/// The demand of each share group, read once per tick and split over its pools by
/// <see cref="DemandShare.Split"/> (docs/policy.md, "Sharing and overflow"). A pool in no group is not here.
/// </summary>
public sealed class SharedDemands
{
    public static readonly SharedDemands None = new([]);

    private readonly Dictionary<string, (Demand? Demand, string? Error)> _byPool;

    private SharedDemands(Dictionary<string, (Demand? Demand, string? Error)> byPool) => _byPool = byPool;

    /// <summary>This pool's share of its group's demand (or why it is unknown); false when the pool shares nothing.</summary>
    public bool TryGet(string pool, out Demand? demand, out string? error)
    {
        var found = _byPool.TryGetValue(pool, out var entry);
        (demand, error) = entry;
        return found;
    }

    /// <summary>Reads the demand of every group with a pool in <paramref name="pools"/>; every listed pool of the group counts.</summary>
    public static async Task<SharedDemands> ReadAsync(
        IReadOnlyList<PoolOptions> pools, IReadOnlyList<PoolOptions> allPools, IReadOnlyDictionary<string, TickEngine.Listing> listings,
        TickComponents components, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var byPool = new Dictionary<string, (Demand?, string?)>(StringComparer.Ordinal);
        foreach (var group in pools.Where(p => p.Share is not null).Select(p => p.Share!.Group).Distinct(StringComparer.Ordinal))
        {
            var members = allPools.Where(p => p.Share?.Group == group && listings.ContainsKey(p.Name)).ToList();
            Demand total;
            try
            {
                var saturation = members.Sum(p => (long)Math.Max(1, p.Limits.MaxPilots) * Math.Max(1, p.Limits.TasksPerPilot));
                total = await components.CreateDemandSource(members[0]).MeasureAsync(saturation, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DemandException or SecretException or ArgumentException or NotSupportedException)
            {
                foreach (var member in members)
                {
                    byPool[member.Name] = (null, $"cannot read demand of share group '{group}': {ex.Message}");
                }

                continue;
            }

            var split = DemandShare.Split(group, total.Tasks, members.Select(p => new ShareMember(
                p.Name, p.Share!.Order, p.Limits.MaxPilots, p.Limits.TasksPerPilot, p.Share.OverflowAfter, listings[p.Name].Pilots)).ToList(), now);
            foreach (var member in members)
            {
                var slice = split.For(member.Name);
                byPool[member.Name] = (new Demand(slice.Tasks, false, [.. total.Measures, new DemandMeasure($"group {group}", total.Tasks)])
                {
                    Notes = [.. total.Notes, .. split.Explain(member.Name)],
                }, null);
            }
        }

        return new SharedDemands(byPool);
    }
}
