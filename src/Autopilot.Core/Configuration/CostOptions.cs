namespace Autopilot.Configuration;

/// <summary>Hourly rates in one unit ("SU", "EUR", ...); zero means that resource is free.</summary>
public sealed record Rates
{
    public double CoreHour { get; init; }
    public double NodeHour { get; init; }
    public double GpuHour { get; init; }
}

/// <summary>The [pricing] table: default rates, and overrides per partition/queue and per account (account wins).</summary>
public sealed record PricingOptions
{
    /// <summary>What amounts are counted in, e.g. "SU", "core-hours" or a currency.</summary>
    public string Unit { get; init; } = "SU";

    public Rates Rates { get; init; } = new();

    public IReadOnlyDictionary<string, Rates> Partitions { get; init; } = new Dictionary<string, Rates>(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, Rates> Accounts { get; init; } = new Dictionary<string, Rates>(StringComparer.Ordinal);

    /// <summary>The rates for a pilot in this partition and account: the account's, else the partition's, else the defaults.</summary>
    public Rates For(string? partition, string? account) =>
        account is not null && Accounts.TryGetValue(account, out var a) ? a
        : partition is not null && Partitions.TryGetValue(partition, out var p) ? p
        : Rates;
}

/// <summary>How long a budget's amount lasts before it starts again.</summary>
public enum BudgetPeriod
{
    Month,
    Quarter,
}

/// <summary>One [budget.pool.NAME] or [budget.account.NAME] table.</summary>
/// <param name="Scope">"pool" or "account".</param>
public sealed record BudgetOptions(string Scope, string Name, double Amount, BudgetPeriod Period);

/// <summary>The [accounting] table: what Autopilot records about its pilots as it runs.</summary>
public sealed record AccountingOptions
{
    /// <summary>Per-tick samples (demand, queued, running per pool) older than this are deleted.</summary>
    public TimeSpan SampleRetention { get; init; } = TimeSpan.FromDays(90);
}
