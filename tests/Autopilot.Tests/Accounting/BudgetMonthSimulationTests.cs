using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Policy;
using Autopilot.State;
using Microsoft.Extensions.Time.Testing;

namespace Autopilot.Tests.Accounting;

/// <summary>
/// A month of hourly ticks through the real loop: the budget computed from the accounting rows of a
/// real state store, the pure policy, the recorder writing what the tick saw. The scheduler is a
/// simulation: a submitted pilot starts at once and ends at its 24 h walltime.
/// Demand always wants 10 pilots of 4 cores at 1 SU per core-hour: full speed costs 28,800 SU in November.
/// </summary>
public sealed class BudgetMonthSimulationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset December = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed record Month(double Spent, int MaxConcurrent, int MinConcurrentAfterDayOne, IReadOnlyDictionary<PlanRule, int> Rules);

    private async Task<Month> SimulateAsync(double budget)
    {
        var pool = new PoolOptions
        {
            Name = $"sim-{Guid.NewGuid():N}"[..12],
            Scheduler = new SchedulerOptions { Kind = "slurm", Cpus = 4, Walltime = TimeSpan.FromHours(24) },
            Limits = new LimitOptions { MaxPilots = 10, TasksPerPilot = 1, MaxQueued = 10, MaxSubmitPerTick = 10 },
        };
        var options = new AutopilotOptions
        {
            Pools = [pool],
            Pricing = new PricingOptions { Unit = "SU", CoreHour = 1 },
            Budget = new BudgetOptions { Pool = new Dictionary<string, BudgetAmount> { [pool.Name] = new() { Amount = budget } } },
        };
        var time = new FakeTimeProvider(November);
        var dir = Path.Combine(Path.GetTempPath(), $"autopilot-budget-{Guid.NewGuid():N}");
        var running = new List<Pilot>();
        var memory = PoolMemory.Empty;
        var rules = new Dictionary<PlanRule, int>();
        int next = 0, maxConcurrent = 0, minAfterDayOne = int.MaxValue;
        await using (var store = await SqliteStateStore.OpenAsync(dir, CancellationToken.None))
        {
            for (var now = time.GetUtcNow(); now < December; time.Advance(TimeSpan.FromHours(1)), now = time.GetUtcNow())
            {
                running.RemoveAll(p => p.StartTime!.Value + TimeSpan.FromHours(24) <= now);
                var budgetState = await Budgets.StateAsync(options, pool, store, now, CancellationToken.None);
                var input = new PolicyInput(pool.Name, new Demand(1000, false, []), running.ToList(), pool.Limits, pool.Policy, pool.Scheduler, memory, now, Budget: budgetState);
                var plan = ScalingPolicy.Decide(input);
                rules[plan.Rule] = rules.GetValueOrDefault(plan.Rule) + 1;
                var submitted = new List<string>();
                for (var i = 0; i < plan.Submit; i++)
                {
                    var id = (++next).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    submitted.Add(id);
                    running.Add(new Pilot(id, "autopilot-" + pool.Name, PilotState.Running, "RUNNING", SubmitTime: now, StartTime: now, TimeLimit: TimeSpan.FromHours(24)));
                }

                await AccountingRecorder.RecordAsync(store, options.Accounting, pool, input.Pilots!, submitted, memory.SeenPilots, null, 1000, now, CancellationToken.None);
                memory = plan.Memory with { SeenPilots = [.. input.Pilots!.Select(p => p.Id), .. submitted] };
                maxConcurrent = Math.Max(maxConcurrent, running.Count);
                if (now >= November.AddDays(1))
                {
                    minAfterDayOne = Math.Min(minAfterDayOne, running.Count);
                }
            }

            var rows = await store.PilotsSinceAsync(November, CancellationToken.None);
            var spent = rows.Where(r => r.Pool == pool.Name).Sum(r => Budgets.HourCost(options.Pricing!, r) * r.HoursRunIn(November, December));
            Directory.Delete(dir, recursive: true);
            output.WriteLine($"budget {budget} SU: spent {spent:0.#} SU, pilots at a time {minAfterDayOne}..{maxConcurrent} after day one, rules {string.Join(", ", rules.Select(r => $"{r.Key} {r.Value}"))}");
            return new Month(spent, maxConcurrent, minAfterDayOne, rules);
        }
    }

    [Fact]
    public async Task Spend_stays_within_the_budget_while_demand_wants_more()
    {
        var month = await SimulateAsync(budget: 12_000);
        Assert.True(month.Spent <= 12_000 + 1e-6, $"spent {month.Spent:0.#} SU of 12000");
        Assert.True(month.Spent >= 11_000, $"spent only {month.Spent:0.#} SU of 12000: pacing was too careful");
        Assert.True(month.MaxConcurrent < 10, $"up to {month.MaxConcurrent} pilots: the budget did not pace");
        Assert.True(month.Rules.GetValueOrDefault(PlanRule.BudgetPaced) > 0, string.Join(", ", month.Rules));
    }

    [Fact]
    public async Task Full_speed_when_the_budget_is_enough()
    {
        var month = await SimulateAsync(budget: 40_000);
        Assert.Equal(10, month.MaxConcurrent);
        Assert.Equal(10, month.MinConcurrentAfterDayOne);
        Assert.Equal(0, month.Rules.GetValueOrDefault(PlanRule.BudgetPaced));
        Assert.Equal(0, month.Rules.GetValueOrDefault(PlanRule.OverBudget));
        Assert.InRange(month.Spent, 28_800 * 0.99, 28_800);
    }
}
