using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.State;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 16's accounting on the real Slurm, through `autopilot tick` processes: a pilot's row is
/// filled from what the ticks saw (submission, squeue, sacct), one sample per tick; a pool with a
/// spent budget stops submitting and `plan` and `status` say so.
/// </summary>
public sealed class AccountingOnSlurmTests
{
    [Fact]
    public async Task A_pilot_life_is_recorded_from_the_ticks_and_an_exhausted_budget_stops_submissions()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 10);
        var spec = new PoolSpec(tasks.Demand) { SleepSeconds = 8, MaxPilots = 1, MaxSubmitPerTick = 1, UseArrays = false, ScaleToZeroAfter = "0s" };
        harness.WriteConfig(spec);

        var id = Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        await TestServices.WaitUntilAsync(async () => (await harness.SqueueAsync()).Any(r => r.Id == id && r.Running), TimeSpan.FromSeconds(60), "pilot running");
        Assert.Equal(0, EndToEndHarness.Submitted(await harness.TickAsync()));
        tasks.Set(0);
        await harness.WaitEndedAsync(id);
        Assert.Equal(0, EndToEndHarness.Submitted(await harness.TickAsync()));

        await using (var store = await SqliteStateStore.OpenAsync(harness.StateDir, CancellationToken.None))
        {
            var row = Assert.Single(await store.OpenPilotsAsync(EndToEndHarness.Pool, [id], CancellationToken.None));
            Assert.Equal("Completed", row.EndState);
            Assert.Equal((1, 1, TestServices.SlurmPartition), (row.Cpus, row.Nodes, row.Partition));
            Assert.Equal(TimeSpan.FromMinutes(30), row.Walltime);
            Assert.True(row.Submitted <= row.Started && row.Started < row.Ended, $"{row}");
            var ran = row.Ended!.Value - row.Started!.Value;
            Assert.InRange(ran.TotalSeconds, 5, 60);

            var samples = await store.SamplesAsync(DateTimeOffset.UtcNow.AddHours(-1), EndToEndHarness.Pool, CancellationToken.None);
            Assert.Equal([10L, 10L, 0L], samples.Select(s => s.Demand!.Value).ToList());
            Assert.Equal(1, samples[1].Running);
        }

        // A budget of zero is spent: nothing is submitted, and plan and status say why.
        tasks.Set(10);
        File.AppendAllText(harness.ConfigPath, "[pricing]\ncore_hour = 1\n[budget.pool.main]\namount = 0\n");
        var plan = await harness.PlanAsync();
        Assert.Equal("0 (over budget)", EndToEndHarness.Fact(plan, "budget_allowed_pilots"));
        // Paused by the budget rule: exit 3 (cron-visible), one warning and one `paused` event when it
        // goes over, not again on the next tick.
        var tick = await harness.TickAsync(exitCode: 3);
        Assert.Equal(0, EndToEndHarness.Submitted(tick));
        Assert.Contains("[OverBudget: ", tick.Stdout + tick.Stderr, StringComparison.Ordinal);
        Assert.Contains("WRN] pool main: over budget", tick.Stdout + tick.Stderr, StringComparison.Ordinal);
        var again = await harness.TickAsync(exitCode: 3);
        Assert.DoesNotContain("WRN] pool main: over budget", again.Stdout + again.Stderr, StringComparison.Ordinal);
        var events = await harness.RunAsync("events", "--json");
        Assert.Equal(1, CountOccurrences(events.Stdout, "over budget: budget "));
        var status = await harness.RunAsync("status");
        Assert.Contains($"pool {EndToEndHarness.Pool}: over budget", status.Stdout, StringComparison.Ordinal);
        Assert.Contains("over budget, no submissions until the month ends", status.Stdout, StringComparison.Ordinal);
    }

    private static int CountOccurrences(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }
}
