using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// `jobs`, `pause`, `drain`, `resume`, `status` and `events` as real `autopilot` processes against
/// the real Slurm: pilots kept PENDING (BeginTime) until the test starts them.
/// </summary>
public sealed class OperatorCommandsOnSlurmTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Jobs_pause_drain_resume_status_and_events_on_real_pilots()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 40);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { ExtraArgs = EndToEndHarness.StayQueued, ScaleInAfter = "1h", ScaleToZeroAfter = "1h" });

        // Two queued pilots; one started.
        var ids = EndToEndHarness.SubmittedIds(await harness.TickAsync());
        Assert.Equal(2, ids.Count);
        await harness.WaitReasonAsync(ids, "BeginTime");
        await harness.StartAsync([ids[0]]);

        // jobs --json: both pilots, one running, one queued for BeginTime; the summary figures.
        var jobs = await harness.RunAsync("jobs", "--json");
        Assert.True(jobs.ExitCode == 0, jobs.ToString());
        var pool = jobs.Json().GetProperty("pools")[0];
        Assert.Equal(40, pool.GetProperty("demand").GetInt64());
        Assert.Equal(4, pool.GetProperty("desired").GetInt32());
        var pilots = pool.GetProperty("pilots").EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!, p => p);
        Assert.Equal("running", pilots[ids[0]].GetProperty("state").GetString());
        Assert.True(pilots[ids[0]].GetProperty("running_seconds").GetInt64() >= 0);
        Assert.Equal("queued", pilots[ids[1]].GetProperty("state").GetString());
        Assert.Equal("BeginTime", pilots[ids[1]].GetProperty("pending_reason").GetString());
        var text = await harness.RunAsync("jobs");
        Assert.Contains(ids[1], text.Stdout, StringComparison.Ordinal);
        output.WriteLine(text.Stdout);

        // pause: nothing submitted although a pilot is missing; plan and status say so.
        var pause = await harness.RunAsync("pause", EndToEndHarness.Pool, "--reason", "scratch maintenance");
        Assert.True(pause.ExitCode == 0, pause.ToString());
        var paused = await harness.TickAsync();
        Assert.Empty(EndToEndHarness.SbatchCalls(paused));
        var plan = await harness.PlanAsync();
        Assert.Equal("Paused", plan.GetProperty("rule").GetString());
        Assert.Contains("scratch maintenance", plan.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var status = (await harness.RunAsync("status", "--json")).Json().GetProperty("pools")[0];
        Assert.Equal("paused", status.GetProperty("state").GetString());

        // drain (after resume, since pause wins): the queued pilot is cancelled, the running one stays.
        Assert.Equal(0, (await harness.RunAsync("resume", EndToEndHarness.Pool)).ExitCode);
        Assert.Equal(0, (await harness.RunAsync("drain", EndToEndHarness.Pool)).ExitCode);
        var drained = await harness.TickAsync();
        Assert.Empty(EndToEndHarness.SbatchCalls(drained));
        Assert.Contains($"cancelled 1 ({ids[1]})", drained.Stderr, StringComparison.Ordinal);
        var left = await harness.SqueueAsync();
        Assert.Equal(ids[0], Assert.Single(left).Id);
        Assert.Equal("Draining", (await harness.PlanAsync()).GetProperty("rule").GetString());
        Assert.Equal("draining", (await harness.RunAsync("status", "--json")).Json().GetProperty("pools")[0].GetProperty("state").GetString());

        // resume: submissions start again.
        Assert.Equal(0, (await harness.RunAsync("resume", EndToEndHarness.Pool)).ExitCode);
        var resumed = await harness.TickAsync();
        Assert.Single(EndToEndHarness.SbatchCalls(resumed));

        // events: the whole story, in order, with reasons.
        var events = await harness.RunAsync("events", "--json", "--since", "1h");
        Assert.True(events.ExitCode == 0, events.ToString());
        var kinds = events.Json().EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["submitted", "paused", "resumed", "draining", "cancelled", "resumed", "submitted"], kinds);
        var pausedEvent = events.Json().EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "paused");
        Assert.Contains("scratch maintenance", pausedEvent.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }
}
