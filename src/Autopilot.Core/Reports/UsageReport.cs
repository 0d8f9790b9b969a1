namespace Autopilot.Reports;

/// <summary>What `autopilot report` is asked for: the range [From, To) and optional filters.</summary>
public sealed record ReportRequest(DateTimeOffset From, DateTimeOffset To, string? Pool = null, string? Account = null);

/// <summary>
/// The usage report of a range (docs/report.md, "JSON shape"). Figures are rounded to 2 decimals
/// once, here, so every format shows the same numbers.
/// </summary>
/// <param name="Unit">The [pricing] unit; null when there is no [pricing] (every cost is null then).</param>
public sealed record UsageReport(
    DateTimeOffset From,
    DateTimeOffset To,
    string? Unit,
    IReadOnlyList<PoolUsage> Pools,
    PoolUsage Total,
    IReadOnlyList<DayUsage> Days,
    IReadOnlyList<PoolSeries> Samples,
    IReadOnlyList<BudgetBurn> Budgets);

/// <summary>One pool's figures (or the total, pool "total").</summary>
/// <param name="Pilots">Pilots submitted before the end of the range and not ended before its start.</param>
/// <param name="MeanQueueWaitMinutes">Mean of started − submitted over the pilots that started in the range; null when none did.</param>
/// <param name="BusyHours">Time the pilots' workers were running tasks, from the task server; null when no pilot's busy time is known.</param>
/// <param name="Tasks">Tasks the pilots' workers started; null when not known.</param>
/// <param name="Efficiency">BusyHours / pilot-hours of the pilots whose busy time is known (0..1); null when none is.</param>
/// <param name="PilotSeconds">PilotHours in seconds, to 2 decimals: short runs compared with the scheduler's elapsed seconds.</param>
/// <param name="BusySeconds">BusyHours in seconds, to 2 decimals.</param>
/// <param name="BaselinePilotHours">max_pilots held for the whole range.</param>
/// <param name="DemandPilotHours">What the per-tick demand needed: min(max_pilots, ⌈demand / tasks_per_pilot⌉) over each sample's interval.</param>
/// <param name="SavingsUpperBound">BaselineCost − DemandCost: the most any scaling could have saved against the baseline.</param>
public sealed record PoolUsage(
    string Pool,
    int Pilots,
    double PilotHours,
    double CoreHours,
    double? Cost,
    double? MeanQueueWaitMinutes,
    double? BusyHours,
    int MaxPilots,
    double BaselinePilotHours,
    double DemandPilotHours,
    double? BaselineCost,
    double? DemandCost,
    double? SavingsUpperBound,
    int? Tasks = null,
    double? Efficiency = null,
    double PilotSeconds = 0,
    double? BusySeconds = null)
{
    /// <summary>Where the pool's pilots run: its Slurm cluster and/or ssh host (scheduler.clusters, [pool.scheduler.ssh]); null for this machine.</summary>
    public string? Cluster { get; init; }
}

public sealed record DayUsage(DateOnly Day, double PilotHours);

public sealed record SamplePoint(DateTimeOffset Time, long? Demand, int Queued, int Running);

public sealed record PoolSeries(string Pool, IReadOnlyList<SamplePoint> Points);

/// <summary>A budget's remaining amount at the end of each day of its period, up to the end of the range.</summary>
public sealed record BudgetBurn(string Scope, double Amount, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, IReadOnlyList<BurnPoint> Remaining);

public sealed record BurnPoint(DateOnly Day, double Remaining);

/// <summary>One pilot's lifetime (`report --pilot ID`).</summary>
public sealed record PilotLifetime(
    string Pool,
    string PilotId,
    DateTimeOffset? Submitted,
    DateTimeOffset? Started,
    DateTimeOffset? Ended,
    double? WaitedMinutes,
    double RanHours,
    int Cpus,
    int Nodes,
    int Gpus,
    string? Partition,
    string? Account,
    string How,
    double? Cost,
    string? Unit,
    long? MemoryMb = null,
    string? TimesFrom = null,
    string? ClientId = null,
    double? BusyHours = null,
    int? Tasks = null,
    double? Efficiency = null)
{
    /// <summary>Where the pilot ran: its pool's Slurm cluster and/or ssh host; null for this machine.</summary>
    public string? Cluster { get; init; }
}

/// <summary>A report that cannot be made; <see cref="Code"/> is the name in docs/report.md's error table.</summary>
public sealed class ReportException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
