using Autopilot.Accounting;
using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

public sealed class PricingConfigTests
{
    private const string Pools = """
        state_dir = "/tmp/x"
        [[pool]]
        name = "cpu"
        [pool.scheduler]
        account = "proj1"
        queue = "batch"
        cpus = 4
        nodes = 2
        [[pool]]
        name = "gpu"
        [pool.scheduler]
        account = "proj1"
        queue = "gpu"

        """;

    [Fact]
    public void Pricing_budget_and_accounting_bind_and_print_back()
    {
        var path = ConfigTestSupport.WriteConfig(Pools + """
            [pricing]
            unit = "EUR"
            core_hour = 0.02
            node_hour = 0.5
            [pricing.partition.gpu]
            gpu_hour = 1.25
            core_hour = 0.05
            [pricing.account.proj2]
            core_hour = 0.01
            [budget.pool.gpu]
            amount = 500
            period = "quarter"
            [budget.account.proj1]
            amount = 2000
            [accounting]
            sample_retention = "30d"
            """);

        var config = ConfigTestSupport.Load(path);

        Assert.Empty(config.Errors);
        var o = config.Options;
        Assert.Equal("EUR", o.Pricing!.Unit);
        Assert.Equal((0.02, 0.5, 0.0), (o.Pricing.CoreHour, o.Pricing.NodeHour, o.Pricing.GpuHour));
        Assert.Equal(1.25, o.Pricing.For("gpu", "proj1").GpuHour);
        Assert.Equal(0.01, o.Pricing.For("gpu", "proj2").CoreHour);
        Assert.Equal(0.02, o.Pricing.For("batch", null).CoreHour);
        Assert.Equal(new BudgetAmount { Amount = 500, Period = "quarter" }, o.Budget!.Pool["gpu"]);
        Assert.Equal(new BudgetAmount { Amount = 2000, Period = "month" }, o.Budget.Account["proj1"]);
        Assert.Equal(TimeSpan.FromDays(30), o.Accounting.SampleRetention);

        // The pool's own budget wins over its account's; 4 cores x 2 nodes x 0.02 + 2 nodes x 0.5 an hour.
        Assert.Equal(("pool", "gpu"), Budgets.For(o, o.Pools[1]) is var (s, n, _) ? (s, n) : default);
        Assert.Equal(("account", "proj1"), Budgets.For(o, o.Pools[0]) is var (s2, n2, _) ? (s2, n2) : default);
        var state = Budgets.State(o, o.Pools[0], [], new DateTimeOffset(2026, 11, 15, 0, 0, 0, TimeSpan.Zero))!;
        Assert.Equal(1.16, state.PilotHourCost, 9);
        Assert.Equal((new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)), (state.PeriodStart, state.PeriodEnd));
        Assert.Equal(new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero), Budgets.Period("quarter", state.PeriodStart.AddDays(20)).Start);

        // What `autopilot config` prints loads back to the same options.
        var again = ConfigTestSupport.Load(ConfigTestSupport.WriteConfig(ConfigDump.ToToml(o)));
        Assert.Empty(again.Errors);
        Assert.Equal(o.Budget.Pool["gpu"], again.Options.Budget!.Pool["gpu"]);
        Assert.Equal(1.25, again.Options.Pricing!.Partition["gpu"].GpuHour);
        Assert.Equal(TimeSpan.FromDays(30), again.Options.Accounting.SampleRetention);
    }

    [Theory]
    [InlineData("[pricing]\ncore_hour = -1\n", "pricing:core_hour", 2, "must be a finite number, zero or more, got -1")]
    [InlineData("[pricing]\ncore_hour = \"cheap\"\n", "pricing:core_hour", 2, "expected a number")]
    [InlineData("[pricing]\ncores_hour = 1\n", "pricing:cores_hour", 2, "unknown key; did you mean 'core_hour'?")]
    [InlineData("[pricing.partition.gpu]\ngpu_hours = 1\n", "pricing:partition:gpu:gpu_hours", 2, "unknown key")]
    [InlineData("[pricing]\ncore_hour = 1\n[budget.pool.cpu]\namount = 10\nperiod = \"week\"\n", "budget:pool:cpu:period", 5, "unknown budget period 'week'")]
    [InlineData("[pricing]\ncore_hour = 1\n[budget.pool.cpu]\nperiod = \"month\"\n", "budget:pool:cpu", 3, "every budget needs an amount")]
    [InlineData("[pricing]\ncore_hour = 1\n[budget.pool.nope]\namount = 1\n", "budget:pool:nope", 3, "no pool named 'nope' (pools: cpu, gpu)")]
    [InlineData("[pricing]\ncore_hour = 1\n[budget.account.other]\namount = 1\n", "budget:account:other", 3, "no pool submits to account 'other'")]
    [InlineData("[budget.pool.cpu]\namount = 1\n", "budget", 1, "a budget needs a [pricing] table")]
    [InlineData("[accounting]\nsample_retention = \"0s\"\n", "accounting:sample_retention", 2, "must be longer than zero")]
    public void Bad_cost_settings_name_file_line_and_key(string tail, string key, int line, string message)
    {
        var path = ConfigTestSupport.WriteConfig(Pools + tail);
        var config = ConfigTestSupport.Load(path);
        var error = Assert.Single(config.Errors);
        var lineInFile = Pools.Split('\n').Length - 1 + line;
        Assert.Equal(key, error.Key);
        Assert.StartsWith($"{path}:{lineInFile}:", error.Location, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
