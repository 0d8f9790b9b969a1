namespace Autopilot.Configuration;

// The shapes below mirror the TOML tables so `autopilot config` prints them back as written.

/// <summary>Hourly rates in the [pricing] unit; zero means that resource is free.</summary>
public record Rates
{
    public double CoreHour { get; init; }
    public double NodeHour { get; init; }
    public double GpuHour { get; init; }

    /// <summary>Per GiB of memory per node per hour (pilots whose memory is known: accounting, or [pool.scheduler] memory).</summary>
    public double GibHour { get; init; }
}

/// <summary>The [pricing] table: default rates, and overrides per partition/queue and per account (account wins).</summary>
public sealed record PricingOptions : Rates
{
    /// <summary>What amounts are counted in, e.g. "SU", "core-hours" or a currency.</summary>
    public string Unit { get; init; } = "SU";

    /// <summary>[pricing.partition.NAME]: rates for pilots submitted to that partition/queue.</summary>
    public IReadOnlyDictionary<string, Rates> Partition { get; init; } = new Dictionary<string, Rates>(StringComparer.Ordinal);

    /// <summary>[pricing.account.NAME]: rates for pilots charged to that account.</summary>
    public IReadOnlyDictionary<string, Rates> Account { get; init; } = new Dictionary<string, Rates>(StringComparer.Ordinal);

    /// <summary>The rates for a pilot in this partition and account: the account's, else the partition's, else the defaults.</summary>
    public Rates For(string? partition, string? account) =>
        account is not null && Account.TryGetValue(account, out var a) ? a
        : partition is not null && Partition.TryGetValue(partition, out var p) ? p
        : this;
}

/// <summary>One budget: an amount in the [pricing] unit per calendar month or quarter (UTC).</summary>
public sealed record BudgetAmount
{
    public double Amount { get; init; }

    /// <summary>"month" or "quarter".</summary>
    public string Period { get; init; } = "month";
}

/// <summary>The [budget] table: [budget.pool.NAME] and [budget.account.NAME].</summary>
public sealed record BudgetOptions
{
    public IReadOnlyDictionary<string, BudgetAmount> Pool { get; init; } = new Dictionary<string, BudgetAmount>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, BudgetAmount> Account { get; init; } = new Dictionary<string, BudgetAmount>(StringComparer.Ordinal);
}

/// <summary>The [accounting] table: what Autopilot records about its pilots as it runs.</summary>
public sealed record AccountingOptions
{
    /// <summary>Per-tick samples (demand, queued, running per pool) older than this are deleted.</summary>
    public TimeSpan SampleRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Slurm pools with a budget and an account: show `sshare`'s usage of the account in `plan` next to Autopilot's (one sshare per pool per tick).</summary>
    public bool SchedulerUsageCheck { get; init; }
}
