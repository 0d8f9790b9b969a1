using System.Globalization;
using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.State;

namespace Autopilot.Reports;

/// <summary>The report as a pure function of the configuration and the accounting rows (docs/report.md).</summary>
public static class ReportBuilder
{
    /// <summary>
    /// A sample stands for the time until the next sample of its pool, but at most this long: a gap
    /// (Autopilot stopped) is not counted as demand.
    /// </summary>
    public static readonly TimeSpan MaxSampleSpan = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Builds the report. <paramref name="rows"/> may hold pilots outside the range (they are
    /// filtered); for a budget burn-down they must reach back to the start of the budget period.
    /// </summary>
    public static UsageReport Build(AutopilotOptions options, IReadOnlyList<PilotRecord> rows, IReadOnlyList<PoolSample> samples, ReportRequest request)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(request);
        var (from, to) = (request.From, request.To);
        if (to <= from)
        {
            throw new ReportException("empty-range", $"the range {Stamp(from)} .. {Stamp(to)} is empty: --since must be before --until");
        }

        var pools = PoolNames(options, rows, samples, request);
        var inRange = rows.Where(r => pools.Contains(r.Pool) && (r.Account == request.Account || request.Account is null) && Overlaps(r, from, to)).ToList();
        var sampled = samples.Where(s => pools.Contains(s.Pool) && s.Time >= from && s.Time < to).OrderBy(s => s.Time).ToList();
        if (inRange.Count == 0 && sampled.Count == 0)
        {
            throw new ReportException("no-data", $"no pilots and no samples between {Stamp(from)} and {Stamp(to)}: accounting starts with the first tick that is not a dry run");
        }

        var pricing = options.Pricing;
        if (pricing is not null)
        {
            CheckPriced(pricing, inRange);
        }

        var usages = pools.Order(StringComparer.Ordinal)
            .Select(p => Pool(options, p, inRange.Where(r => r.Pool == p).ToList(), sampled.Where(s => s.Pool == p).ToList(), from, to))
            .ToList();
        return new UsageReport(
            from,
            to,
            pricing?.Unit,
            usages,
            Total(usages, inRange, from, to, pricing is not null),
            Days(inRange, from, to),
            usages.Select(u => new PoolSeries(u.Pool, sampled.Where(s => s.Pool == u.Pool).Select(s => new SamplePoint(s.Time, s.Demand, s.Queued, s.Running)).ToList())).ToList(),
            Burns(options, pools, rows, to));
    }

    /// <summary>One pilot's lifetime; its cost is its whole run time at the [pricing] rates.</summary>
    public static PilotLifetime Pilot(AutopilotOptions options, IReadOnlyList<PilotRecord> rows, string pilotId, string? pool, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rows);
        var found = rows.Where(r => r.PilotId == pilotId && (pool is null || r.Pool == pool)).ToList();
        if (found.Count == 0)
        {
            throw new ReportException("unknown-pilot", $"no pilot '{pilotId}' in the accounting{(pool is null ? "" : $" of pool '{pool}'")}");
        }

        if (found.Count > 1)
        {
            throw new ReportException("ambiguous-pilot", $"pilot id '{pilotId}' is in pools {string.Join(", ", found.Select(r => r.Pool))}: add --pool");
        }

        var r = found[0];
        var ran = r.HoursRunIn(DateTimeOffset.MinValue, now);
        var how = r.Ended is not null ? r.EndState ?? "gone"
            : r.Started is not null ? "running"
            : "queued";
        return new PilotLifetime(
            r.Pool,
            r.PilotId,
            r.Submitted,
            r.Started,
            r.Ended,
            r is { Submitted: { } s, Started: { } st } ? Round((st - s).TotalMinutes) : null,
            Round(ran),
            r.Cpus,
            r.Nodes,
            r.Gpus,
            r.Partition,
            r.Account,
            how,
            options.Pricing is { } p ? Round(Budgets.HourCost(p, r) * ran) : null,
            options.Pricing?.Unit,
            r.MemoryMb,
            r.TimesFrom,
            r.ClientId,
            r.BusySeconds is { } busy ? Round(busy / 3600) : null,
            r.Tasks,
            r.BusySeconds is { } b && ran > 0 ? Round(Math.Min(1, b / 3600 / ran)) : null)
        {
            Cluster = options.Pools.FirstOrDefault(c => c.Name == r.Pool)?.Scheduler.ClusterLabel,
        };
    }

    /// <summary>
    /// With per-partition rates and no default rate, a pilot in a partition the table does not name
    /// (and whose account has no rates) would cost 0 without a word: the report refuses instead,
    /// like the cost calculator's "unknown instance type".
    /// </summary>
    private static void CheckPriced(PricingOptions pricing, List<PilotRecord> rows)
    {
        if (pricing.Partition.Count == 0 || pricing.CoreHour > 0 || pricing.NodeHour > 0 || pricing.GpuHour > 0 || pricing.GibHour > 0)
        {
            return;
        }

        var unpriced = rows
            .Where(r => !(r.Account is { } a && pricing.Account.ContainsKey(a)) && !(r.Partition is { } q && pricing.Partition.ContainsKey(q)))
            .GroupBy(r => r.Partition ?? "(the scheduler's default)")
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        if (unpriced.Count > 0)
        {
            var what = string.Join("; ", unpriced.Select(g => $"partition '{g.Key}' ({g.Count()} pilot(s), e.g. {g.First().PilotId} of pool {g.First().Pool})"));
            throw new ReportException("unknown-partition",
                $"no rate for {what}: [pricing.partition.*] names only {string.Join(", ", pricing.Partition.Keys.Order(StringComparer.Ordinal))} and [pricing] has no default rate; add [pricing.partition.NAME] or a default core_hour");
        }
    }

    private static HashSet<string> PoolNames(AutopilotOptions options, IReadOnlyList<PilotRecord> rows, IReadOnlyList<PoolSample> samples, ReportRequest request)
    {
        var known = options.Pools.Select(p => p.Name).Concat(rows.Select(r => r.Pool)).Concat(samples.Select(s => s.Pool)).ToHashSet(StringComparer.Ordinal);
        if (request.Pool is { } only && !known.Contains(only))
        {
            throw new ReportException("unknown-pool", $"pool '{only}' is neither in the configuration nor in the accounting (pools: {string.Join(", ", known.Order(StringComparer.Ordinal))})");
        }

        if (request.Account is { } account)
        {
            var accountPools = options.Pools.Where(p => p.Scheduler.Account == account).Select(p => p.Name)
                .Concat(rows.Where(r => r.Account == account).Select(r => r.Pool)).ToHashSet(StringComparer.Ordinal);
            if (accountPools.Count == 0)
            {
                throw new ReportException("unknown-account", $"no pool and no pilot is charged to account '{account}'");
            }

            known.IntersectWith(accountPools);
        }

        if (request.Pool is { } pool)
        {
            known.IntersectWith([pool]);
        }

        return known;
    }

    private static bool Overlaps(PilotRecord r, DateTimeOffset from, DateTimeOffset to) =>
        (r.Submitted ?? r.Started ?? to) < to && (r.Ended ?? to) > from;

    private static PoolUsage Pool(AutopilotOptions options, string name, List<PilotRecord> rows, List<PoolSample> samples, DateTimeOffset from, DateTimeOffset to)
    {
        var config = options.Pools.FirstOrDefault(p => p.Name == name);
        var pricing = options.Pricing;
        var maxPilots = config?.Limits.MaxPilots ?? 0;
        var perPilot = Math.Max(1, config?.Limits.TasksPerPilot ?? 1);
        var hourCost = pricing is null || config is null ? (double?)null
            : Budgets.HourCost(pricing, config.Scheduler.Queue, config.Scheduler.Account, Math.Max(1, config.Scheduler.Cpus), Math.Max(1, config.Scheduler.Nodes), 0, config.Scheduler.MemoryMb);
        var baseline = maxPilots * (to - from).TotalHours;
        double needed = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var next = i + 1 < samples.Count ? samples[i + 1].Time : to;
            var span = Math.Min((next - samples[i].Time).TotalHours, MaxSampleSpan.TotalHours);
            var pilots = Math.Min(maxPilots, Math.Ceiling((samples[i].Demand ?? 0) / (double)perPilot));
            needed += pilots * span;
        }

        var (count, hours, coreHours, cost, wait) = Sums(rows, from, to, pricing);
        var (busy, tasks, efficiency) = Busy(rows, from, to);
        var busySeconds = rows.Select(r => r.BusyHoursIn(from, to)).Where(b => b is not null).Select(b => b!.Value * 3600).ToList();
        var baselineCost = hourCost * Round(baseline) is { } b ? Round(b) : (double?)null;
        var demandCost = hourCost * Round(needed) is { } d ? Round(d) : (double?)null;
        return new PoolUsage(
            name,
            count,
            hours,
            coreHours,
            pricing is null ? null : cost,
            wait,
            busy,
            maxPilots,
            Round(baseline),
            Round(needed),
            baselineCost,
            demandCost,
            baselineCost - demandCost is { } saved ? Round(saved) : null,
            tasks,
            efficiency,
            Round(rows.Sum(r => r.HoursRunIn(from, to)) * 3600),
            busySeconds.Count > 0 ? Round(busySeconds.Sum()) : null)
        {
            Cluster = config?.Scheduler.ClusterLabel,
        };
    }

    private static PoolUsage Total(List<PoolUsage> pools, List<PilotRecord> rows, DateTimeOffset from, DateTimeOffset to, bool priced)
    {
        var (_, _, _, _, wait) = Sums(rows, from, to, null);
        var (_, _, efficiency) = Busy(rows, from, to);
        double? Sum(Func<PoolUsage, double?> f) => priced ? Round(pools.Sum(p => f(p) ?? 0)) : null;
        return new PoolUsage(
            "total",
            pools.Sum(p => p.Pilots),
            Round(pools.Sum(p => p.PilotHours)),
            Round(pools.Sum(p => p.CoreHours)),
            Sum(p => p.Cost),
            wait,
            pools.Any(p => p.BusyHours is not null) ? Round(pools.Sum(p => p.BusyHours ?? 0)) : null,
            pools.Sum(p => p.MaxPilots),
            Round(pools.Sum(p => p.BaselinePilotHours)),
            Round(pools.Sum(p => p.DemandPilotHours)),
            Sum(p => p.BaselineCost),
            Sum(p => p.DemandCost),
            Sum(p => p.SavingsUpperBound),
            pools.Any(p => p.Tasks is not null) ? pools.Sum(p => p.Tasks ?? 0) : null,
            efficiency,
            Round(pools.Sum(p => p.PilotSeconds)),
            pools.Any(p => p.BusySeconds is not null) ? Round(pools.Sum(p => p.BusySeconds ?? 0)) : null);
    }

    /// <summary>
    /// Busy hours in the range, tasks run and efficiency over the pilots whose busy time is known;
    /// nulls when none is (no task server read, or not yet). Tasks are those of the pilots counted,
    /// whole: a pilot's tasks are not split by time.
    /// </summary>
    private static (double? Busy, int? Tasks, double? Efficiency) Busy(List<PilotRecord> rows, DateTimeOffset from, DateTimeOffset to)
    {
        double busy = 0, hours = 0;
        var tasks = 0;
        var known = false;
        foreach (var r in rows)
        {
            if (r.BusyHoursIn(from, to) is { } b)
            {
                known = true;
                busy += b;
                hours += r.HoursRunIn(from, to);
                tasks += r.Tasks ?? 0;
            }
        }

        return known ? (Round(busy), tasks, hours > 0 ? Round(busy / hours) : null) : (null, null, null);
    }

    private static (int Count, double Hours, double CoreHours, double Cost, double? Wait) Sums(List<PilotRecord> rows, DateTimeOffset from, DateTimeOffset to, PricingOptions? pricing)
    {
        double hours = 0, coreHours = 0, cost = 0, waited = 0;
        var started = 0;
        foreach (var r in rows)
        {
            var h = r.HoursRunIn(from, to);
            hours += h;
            coreHours += h * r.Cpus * Math.Max(1, r.Nodes);
            cost += pricing is null ? 0 : Budgets.HourCost(pricing, r) * h;
            if (r is { Submitted: { } s, Started: { } st } && st >= from && st < to)
            {
                waited += (st - s).TotalMinutes;
                started++;
            }
        }

        return (rows.Count, Round(hours), Round(coreHours), Round(cost), started == 0 ? null : Round(waited / started));
    }

    private static List<DayUsage> Days(List<PilotRecord> rows, DateTimeOffset from, DateTimeOffset to)
    {
        var days = new List<DayUsage>();
        for (var day = from.UtcDateTime.Date; day < to.UtcDateTime; day = day.AddDays(1))
        {
            var a = Max(new DateTimeOffset(day, TimeSpan.Zero), from);
            var b = Min(new DateTimeOffset(day.AddDays(1), TimeSpan.Zero), to);
            days.Add(new DayUsage(DateOnly.FromDateTime(day), Round(rows.Sum(r => r.HoursRunIn(a, b)))));
        }

        return days;
    }

    private static List<BudgetBurn> Burns(AutopilotOptions options, HashSet<string> pools, IReadOnlyList<PilotRecord> rows, DateTimeOffset to)
    {
        var burns = new List<BudgetBurn>();
        if (options.Pricing is not { } pricing)
        {
            return burns;
        }

        var end = to.AddTicks(-1);
        foreach (var pool in options.Pools.Where(p => pools.Contains(p.Name)))
        {
            if (Budgets.For(options, pool) is not var (scope, name, budget) || burns.Any(b => b.Scope == $"{scope} {name}"))
            {
                continue;
            }

            var (start, periodEnd) = Budgets.Period(budget.Period, end);
            var charged = scope == "pool" ? [pool.Name]
                : options.Pools.Where(p => Budgets.For(options, p) is ("account", var n, _) && n == name).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var mine = rows.Where(r => charged.Contains(r.Pool)).ToList();
            var points = new List<BurnPoint>();
            for (var day = start; day < to && day < periodEnd; day = day.AddDays(1))
            {
                var dayEnd = Min(day.AddDays(1), to);
                var spent = mine.Sum(r => Budgets.HourCost(pricing, r) * r.HoursRunIn(start, dayEnd));
                points.Add(new BurnPoint(DateOnly.FromDateTime(day.UtcDateTime), Round(budget.Amount - spent)));
            }

            burns.Add(new BudgetBurn($"{scope} {name}", budget.Amount, start, periodEnd, points));
        }

        return burns;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal static double Round(double value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    internal static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z";
}
