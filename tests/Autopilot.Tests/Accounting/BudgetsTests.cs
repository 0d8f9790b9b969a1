using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.State;

namespace Autopilot.Tests.Accounting;

public sealed class BudgetsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 11, 0, 0, 0, TimeSpan.Zero);

    private static PoolOptions Pool(string name, string account, string queue, int cpus) =>
        new() { Name = name, Scheduler = new SchedulerOptions { Kind = "slurm", Account = account, Queue = queue, Cpus = cpus } };

    private static PilotRecord Row(string pool, string id, DateTimeOffset? started, DateTimeOffset? ended, int cpus, string queue, string account) =>
        new(pool, id, started, started, ended, cpus, 1, 0, TimeSpan.FromHours(24), queue, account, null);

    [Fact]
    public void An_account_budget_adds_up_its_pools_inside_the_period_and_counts_the_others_burn()
    {
        var options = new AutopilotOptions
        {
            Pools = [Pool("cpu", "proj1", "batch", 4), Pool("gpu", "proj1", "gpu", 2), Pool("solo", "proj1", "batch", 1), Pool("other", "proj2", "batch", 1)],
            Pricing = new PricingOptions
            {
                CoreHour = 1,
                Partition = new Dictionary<string, Rates> { ["gpu"] = new() { CoreHour = 3 } },
            },
            Budget = new BudgetOptions
            {
                Account = new Dictionary<string, BudgetAmount> { ["proj1"] = new() { Amount = 1000 } },
                Pool = new Dictionary<string, BudgetAmount> { ["solo"] = new() { Amount = 5 } },
            },
        };
        PilotRecord[] rows =
        [
            // Ran 10 h, of which 4 h in November: 4 cores x 4 h.
            Row("cpu", "1", new DateTimeOffset(2026, 10, 31, 18, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 1, 4, 0, 0, TimeSpan.Zero), 4, "batch", "proj1"),
            // Still running for 2 h on the gpu partition: 2 cores x 3 SU x 2 h; burns 6 SU/h.
            Row("gpu", "2", Now.AddHours(-2), null, 2, "gpu", "proj1"),
            // Queued: costs nothing yet, but counts in the burn the other pools see (it will run).
            Row("cpu", "3", null, null, 4, "batch", "proj1"),
            // Pools with their own budget, or another account, are not in proj1's budget.
            Row("solo", "4", Now.AddHours(-3), null, 1, "batch", "proj1"),
            Row("other", "5", Now.AddHours(-3), null, 1, "batch", "proj2"),
        ];

        var cpu = Budgets.State(options, options.Pools[0], rows, Now)!;
        Assert.Equal("account proj1", cpu.Scope);
        Assert.Equal(16 + 12, cpu.Spent, 9);
        Assert.Equal(6, cpu.OtherBurnPerHour, 9);
        Assert.Equal(4, cpu.PilotHourCost, 9);

        var gpu = Budgets.State(options, options.Pools[1], rows, Now)!;
        Assert.Equal((28.0, 4.0, 6.0), (gpu.Spent, gpu.OtherBurnPerHour, gpu.PilotHourCost));

        var solo = Budgets.State(options, options.Pools[2], rows, Now)!;
        Assert.Equal(("pool solo", 3.0, 0.0), (solo.Scope, solo.Spent, solo.OtherBurnPerHour));

        Assert.Null(Budgets.State(options, options.Pools[3], rows, Now));
        Assert.Null(Budgets.State(options with { Pricing = null }, options.Pools[0], rows, Now));
    }
}
