using Autopilot.Configuration;
using Autopilot.Policy;
using Autopilot.State;

namespace Autopilot.Accounting;

/// <summary>
/// Turns the accounting rows and the [pricing] rates into a pool's <see cref="BudgetState"/>.
/// Usage is Autopilot's own accounting (pilot run time it saw), not the scheduler's (sshare).
/// </summary>
public static class Budgets
{
    /// <summary>The budget that governs a pool: its own [budget.pool.NAME], else its account's; null when none.</summary>
    public static (string Scope, string Name, BudgetAmount Budget)? For(AutopilotOptions options, PoolOptions pool) =>
        options.Budget is not { } b ? null
        : b.Pool.TryGetValue(pool.Name, out var own) ? ("pool", pool.Name, own)
        : pool.Scheduler.Account is { } account && b.Account.TryGetValue(account, out var shared) ? ("account", account, shared)
        : null;

    /// <summary>The UTC calendar month or quarter holding <paramref name="now"/>.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Period(string period, DateTimeOffset now)
    {
        var quarter = period == "quarter";
        var utc = now.ToUniversalTime();
        var firstMonth = quarter ? ((utc.Month - 1) / 3 * 3) + 1 : utc.Month;
        var start = new DateTimeOffset(utc.Year, firstMonth, 1, 0, 0, 0, TimeSpan.Zero);
        return (start, start.AddMonths(quarter ? 3 : 1));
    }

    /// <summary>What a pilot row costs per hour of run time at the [pricing] rates.</summary>
    public static double HourCost(PricingOptions pricing, PilotRecord row) =>
        HourCost(pricing, row.Partition, row.Account, row.Cpus, row.Nodes, row.Gpus, row.MemoryMb ?? 0);

    /// <summary>
    /// Cores and memory are per node: a pilot of 2 nodes with cpus 8 and 4 GiB pays for 16 core-hours
    /// and 8 GiB-hours an hour. Memory unknown (0) is not priced.
    /// </summary>
    public static double HourCost(PricingOptions pricing, string? partition, string? account, int cpus, int nodes, int gpus, long memoryMb = 0)
    {
        var r = pricing.For(partition, account);
        return (r.CoreHour * cpus * nodes) + (r.NodeHour * nodes) + (r.GpuHour * gpus) + (r.GibHour * memoryMb / 1024.0 * nodes);
    }

    /// <summary>The budget state of a pool from the rows (pure); null when it has no budget or there is no [pricing].</summary>
    public static BudgetState? State(AutopilotOptions options, PoolOptions pool, IReadOnlyList<PilotRecord> rows, DateTimeOffset now)
    {
        if (options.Pricing is not { } pricing || For(options, pool) is not (var scope, var name, var budget))
        {
            return null;
        }

        var (start, end) = Period(budget.Period, now);
        var inScope = scope == "pool"
            ? new HashSet<string>([pool.Name], StringComparer.Ordinal)
            : options.Pools.Where(p => For(options, p) is ("account", var n, _) && n == name).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        double spent = 0, others = 0;
        foreach (var row in rows)
        {
            if (!inScope.Contains(row.Pool))
            {
                continue;
            }

            var cost = HourCost(pricing, row);
            spent += cost * row.HoursRunIn(start, now);
            if (row.Pool != pool.Name && row.Ended is null)
            {
                others += cost;
            }
        }

        return new BudgetState($"{scope} {name}", pricing.Unit, budget.Amount, spent, start, end, budget.Period, HourCost(pricing, pool.Scheduler.Queue, pool.Scheduler.Account, Math.Max(1, pool.Scheduler.Cpus), Math.Max(1, pool.Scheduler.Nodes), 0, pool.Scheduler.MemoryMb), others);
    }

    /// <summary>Reads the rows of the period and computes the pool's budget state; null without a budget (no query then).</summary>
    public static async Task<BudgetState?> StateAsync(AutopilotOptions options, PoolOptions pool, IAccountingStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (options.Pricing is null || For(options, pool) is not { } budget)
        {
            return null;
        }

        var rows = await store.PilotsSinceAsync(Period(budget.Budget.Period, now).Start, cancellationToken).ConfigureAwait(false);
        return State(options, pool, rows, now);
    }
}
