namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 3's "Done means": `autopilot tick` processes on the real Slurm keep the right number of
/// pilots for a HyperShell task database (SQLite and PostgreSQL, with and without a tag filter).
/// 40 tasks, tasks_per_pilot 10, max_queued 2, max_submit_per_tick 4: desired 4 pilots.
/// </summary>
public sealed class TickScalingTests
{
    [Theory]
    [InlineData("sqlite", false)]
    [InlineData("sqlite", true)]
    [InlineData("postgres", false)]
    [InlineData("postgres", true)]
    public async Task Scales_out_within_max_queued_and_scales_to_zero_cancelling_only_queued_pilots(string backend, bool tagged)
    {
        await using var harness = new EndToEndHarness();
        await using var db = await TaskDatabases.CreateAsync(backend, tagged, harness.Dir);
        // Pilots pend on BeginTime until the test starts them: "queued" and "running" are the test's choice.
        harness.WriteConfig(new PoolSpec(db.Demand) { ExtraArgs = EndToEndHarness.StayQueued, ScaleToZeroAfter = "4s" });

        // What the pool sees: 40 tasks (the cpu-tagged 30 are filtered out), so 4 pilots.
        var plan = await harness.RunAsync("plan", "--json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        var pool = plan.Json().GetProperty("pools")[0];
        Assert.Equal(TaskDatabases.PoolTasks, pool.GetProperty("demand").GetProperty("tasks").GetInt64());
        Assert.Equal(4, pool.GetProperty("desired").GetInt32());
        Assert.Empty(await harness.SqueueAsync());

        // Tick 1: 4 missing, max_queued 2 allows 2.
        var tick = await harness.TickAsync();
        Assert.Equal(2, EndToEndHarness.Submitted(tick));
        var first = await harness.SqueueAsync();
        Assert.Equal(2, first.Count);
        Assert.All(first, r => Assert.True(r.Pending, $"{r.Id} {r.State}"));

        // Tick 2: the queue is full; nothing more.
        tick = await harness.TickAsync();
        Assert.Equal(0, EndToEndHarness.Submitted(tick));
        Assert.Contains("QueueFull", tick.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await harness.SqueueAsync()).Count);

        // The two start: the queue has room again, two more up to the desired 4.
        await harness.StartAsync(first.Select(r => r.Id));
        tick = await harness.TickAsync();
        Assert.Equal(2, EndToEndHarness.Submitted(tick));
        var all = await harness.SqueueAsync();
        Assert.Equal(4, all.Count);
        Assert.Equal(2, all.Count(r => r.Pending));
        var running = all.Where(r => r.Running).Select(r => r.Id).ToList();
        Assert.Equal(first.Select(r => r.Id).Order(), running.Order());

        // Steady at 4: never more than 2 queued, never more than 4 in all.
        tick = await harness.TickAsync();
        Assert.Equal(0, EndToEndHarness.Submitted(tick));
        Assert.Equal(4, (await harness.SqueueAsync()).Count);

        // The work is done. The first tick without demand keeps the queued pilots (cooldown) ...
        await db.CompletePoolTasksAsync();
        tick = await harness.TickAsync();
        Assert.Contains("demand 0", tick.Stderr, StringComparison.Ordinal);
        Assert.Contains("[Cooldown:", tick.Stderr, StringComparison.Ordinal);
        Assert.Equal(4, (await harness.SqueueAsync()).Count);

        // ... and once it has been zero for scale_to_zero_after, the queued ones go; running ones stay.
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        tick = await harness.TickAsync();
        Assert.Contains("cancelled 2", tick.Stderr, StringComparison.Ordinal);
        Assert.Contains("[ScaleToZero:", tick.Stderr, StringComparison.Ordinal);
        var left = await harness.SqueueAsync();
        Assert.Equal(running.Order(), left.Select(r => r.Id).Order());
        Assert.All(left, r => Assert.True(r.Running, $"{r.Id} {r.State}"));

        // Nothing more to do: running pilots exit by their idle timeout, never by Autopilot.
        tick = await harness.TickAsync();
        Assert.Equal(0, EndToEndHarness.Submitted(tick));
        Assert.Contains(": no change [", tick.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await harness.SqueueAsync()).Count);
    }
}
