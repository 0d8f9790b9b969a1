using Xunit.Abstractions;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 7's real-Slurm points, through `autopilot tick` / `plan` / `resume` processes: crash-loop
/// pause from the job completion log, pending reasons that stop submissions, bursts as one array.
/// </summary>
public sealed class PolicyOnSlurmTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Three_failed_pilots_pause_the_pool_cancelled_and_walltime_ends_do_not_count_and_resume_restarts()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 10);
        // One pilot per tick (max_submit_per_tick 1, no arrays), so each tick's effect is one known job;
        // scale_to_zero_after 0s makes a tick at zero demand cancel queued pilots at once.
        var baseSpec = new PoolSpec(tasks.Demand)
        {
            MaxQueued = 1,
            MaxSubmitPerTick = 1,
            UseArrays = false,
            ScaleToZeroAfter = "0s",
        };
        var longRunning = baseSpec with { SleepSeconds = 300 };
        var crashing = baseSpec with { SleepSeconds = 0, ExitCode = 1 };
        var stayQueued = baseSpec with { ExtraArgs = EndToEndHarness.StayQueued };

        // A pilot that will end by walltime: started, then its limit cut to 1 minute.
        harness.WriteConfig(longRunning);
        var walltimePilot = Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        await TestServices.WaitUntilAsync(async () => (await harness.SqueueAsync()).Any(r => r.Id == walltimePilot && r.Running), TimeSpan.FromSeconds(60), "walltime pilot running");
        await TestServices.RunAsync("scontrol", ["update", "JobId=" + walltimePilot, "TimeLimit=1"]);

        // Two pilots that exit 1 at once. Demand 20 (2 pilots) leaves room for one more each tick.
        tasks.Set(20);
        harness.WriteConfig(crashing);
        var failed1 = Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        await harness.WaitEndedAsync(failed1);
        Assert.Equal($"{failed1} Failed", EndToEndHarness.Fact(await harness.PlanAsync(), "ended_since_last_tick"));
        var failed2 = Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        await harness.WaitEndedAsync(failed2);
        tasks.Set(0);
        Assert.Equal(0, EndToEndHarness.Submitted(await harness.TickAsync()));
        var plan = await harness.PlanAsync();
        Assert.Equal("2", EndToEndHarness.Fact(plan, "pilot_failures"));
        Assert.Equal("no", EndToEndHarness.Fact(plan, "crash_loop"));

        // A pilot Autopilot cancels (queued, demand gone): neutral.
        tasks.Set(20);
        harness.WriteConfig(stayQueued);
        var cancelled = Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        tasks.Set(0);
        var cancelTick = await harness.TickAsync();
        Assert.Contains($"cancelled 1 ({cancelled})", cancelTick.Stderr, StringComparison.Ordinal);
        await harness.WaitEndedAsync(cancelled);
        Assert.Equal($"{cancelled} Cancelled", EndToEndHarness.Fact(await harness.PlanAsync(), "ended_since_last_tick"));
        await harness.TickAsync();

        // The walltime pilot ends (TIMEOUT): neutral too.
        await harness.WaitEndedAsync(walltimePilot);
        Assert.Equal($"{walltimePilot} Walltime", EndToEndHarness.Fact(await harness.PlanAsync(), "ended_since_last_tick"));
        await harness.TickAsync();
        plan = await harness.PlanAsync();
        Assert.Equal("2", EndToEndHarness.Fact(plan, "pilot_failures"));
        Assert.Equal("no", EndToEndHarness.Fact(plan, "crash_loop"));

        // The third failure in a row pauses the pool: no submission although 2 pilots are missing.
        tasks.Set(20);
        harness.WriteConfig(crashing);
        var failed3 = Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        await harness.WaitEndedAsync(failed3);
        var paused = await harness.TickAsync(Autopilot.Engine.TickReport.ExitPoolPaused);
        Assert.Empty(EndToEndHarness.SbatchCalls(paused));
        Assert.Contains("[Paused:", paused.Stderr, StringComparison.Ordinal);
        Assert.Empty(await harness.SqueueAsync());

        // `plan` says why, in text and JSON.
        var text = await harness.RunAsync("plan");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("decision: Paused:", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("crash loop: 3 pilots in a row failed", text.Stdout, StringComparison.Ordinal);
        Assert.Contains($"last: pilot {failed3} FAILED, exit 1", text.Stdout, StringComparison.Ordinal);
        output.WriteLine(text.Stdout);
        plan = await harness.PlanAsync();
        Assert.Equal("Paused", plan.GetProperty("rule").GetString());
        Assert.Equal(0, plan.GetProperty("submit").GetInt32());

        // resume: submissions start again (with a pilot that no longer crashes).
        var resume = await harness.RunAsync("resume", EndToEndHarness.Pool);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        harness.WriteConfig(stayQueued);
        Assert.Single(EndToEndHarness.SubmittedIds(await harness.TickAsync()));
        Assert.Single(await harness.SqueueAsync());
    }

    /// <summary>
    /// The default: bursts as job arrays. Without accounting storage the outcomes come from the
    /// filetxt completion log, which still names array elements N_i as they were submitted.
    /// </summary>
    [Fact]
    public async Task Crashing_pilots_submitted_as_one_array_pause_the_pool()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 30);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { MaxQueued = 3, MaxSubmitPerTick = 3, SleepSeconds = 0, ExitCode = 1 });

        var first = await harness.TickAsync();
        var ids = EndToEndHarness.SubmittedIds(first);
        Assert.Equal(3, ids.Count);
        Assert.All(ids, id => Assert.Contains('_', id));
        Assert.Single(EndToEndHarness.SbatchCalls(first));
        foreach (var id in ids)
        {
            await harness.WaitEndedAsync(id);
        }

        var paused = await harness.TickAsync(Autopilot.Engine.TickReport.ExitPoolPaused);
        Assert.Empty(EndToEndHarness.SbatchCalls(paused));
        Assert.Contains("[Paused:", paused.Stderr, StringComparison.Ordinal);
        var plan = await harness.PlanAsync();
        Assert.Equal("Paused", plan.GetProperty("rule").GetString());
        Assert.Equal("3", EndToEndHarness.Fact(plan, "pilot_failures"));
    }

    [Fact]
    public async Task A_partition_set_down_stops_submissions_and_plan_names_PartitionDown()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 40);
        // Room for 4 queued, 2 per tick: only the pending reason can stop the second tick.
        harness.WriteConfig(new PoolSpec(tasks.Demand) { MaxQueued = 4, MaxSubmitPerTick = 2 });
        var partition = TestServices.SlurmPartition;
        try
        {
            await TestServices.RunAsync("scontrol", ["update", "PartitionName=" + partition, "State=DOWN"]);
            var first = EndToEndHarness.SubmittedIds(await harness.TickAsync());
            Assert.Equal(2, first.Count);
            await harness.WaitReasonAsync(first, "PartitionDown");

            var blocked = await harness.TickAsync();
            Assert.Empty(EndToEndHarness.SbatchCalls(blocked));
            Assert.Contains("[BlockedByPendingReason:", blocked.Stderr, StringComparison.Ordinal);
            Assert.Equal(2, (await harness.SqueueAsync()).Count);

            var plan = await harness.RunAsync("plan");
            Assert.True(plan.ExitCode == 0, plan.ToString());
            Assert.Contains("decision: BlockedByPendingReason:", plan.Stdout, StringComparison.Ordinal);
            Assert.Contains("2 pilots pending for PartitionDown", plan.Stdout, StringComparison.Ordinal);
            Assert.Contains("blocked.PartitionDown", plan.Stdout, StringComparison.Ordinal);
            output.WriteLine(plan.Stdout);
        }
        finally
        {
            await TestServices.RunAsync("scontrol", ["update", "PartitionName=" + partition, "State=UP"]);
        }
    }

    [Fact]
    public async Task A_user_hold_stops_submissions_and_plan_names_JobHeldUser_until_released()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 40);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { MaxQueued = 4, MaxSubmitPerTick = 2, ExtraArgs = EndToEndHarness.StayQueued });
        var first = EndToEndHarness.SubmittedIds(await harness.TickAsync());
        Assert.Equal(2, first.Count);

        await TestServices.RunAsync("scontrol", ["uhold", first[1]]);
        await harness.WaitReasonAsync([first[1]], "JobHeldUser");
        var blocked = await harness.TickAsync();
        Assert.Empty(EndToEndHarness.SbatchCalls(blocked));
        Assert.Contains("1 held", blocked.Stderr, StringComparison.Ordinal);
        Assert.Contains("[BlockedByPendingReason:", blocked.Stderr, StringComparison.Ordinal);

        var plan = await harness.RunAsync("plan");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains("1 pilot held for JobHeldUser", plan.Stdout, StringComparison.Ordinal);
        Assert.Contains($"waiting for JobHeldUser ({first[1]})", plan.Stdout, StringComparison.Ordinal);
        output.WriteLine(plan.Stdout);

        await TestServices.RunAsync("scontrol", ["release", first[1]]);
        await harness.WaitReasonAsync([first[1]], "BeginTime");
        Assert.Equal(2, EndToEndHarness.Submitted(await harness.TickAsync()));
        Assert.Equal(4, (await harness.SqueueAsync()).Count);
    }

    [Fact]
    public async Task A_burst_of_8_is_one_array_and_scale_in_cancels_single_queued_elements()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 80);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { MaxQueued = 8, MaxSubmitPerTick = 8, ExtraArgs = EndToEndHarness.StayQueued });

        var burst = await harness.TickAsync();
        var sbatch = Assert.Single(EndToEndHarness.SbatchCalls(burst));
        Assert.Contains("--array=1-8", sbatch, StringComparison.Ordinal);
        var pilots = await harness.SqueueAsync();
        Assert.Equal(8, pilots.Count);
        var array = pilots[0].RawId;
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"{array}_{i}").Order(StringComparer.Ordinal), pilots.Select(p => p.Id));
        Assert.All(pilots, p => Assert.True(p.Pending && p.RawId == array, $"{p.Id} {p.RawId} {p.State}"));

        // Demand 30 needs 3: the 5 newest elements go, one by one (scale_in_after 0s).
        tasks.Set(30);
        var scaleIn = await harness.TickAsync();
        Assert.Contains("[ScaleIn:", scaleIn.Stderr, StringComparison.Ordinal);
        Assert.Contains($"cancelled 5 ({array}_8 ... {array}_4)", scaleIn.Stderr, StringComparison.Ordinal);
        var scancel = Assert.Single(scaleIn.ErrLines, l => l.Contains("DBG] run: scancel ", StringComparison.Ordinal));
        Assert.EndsWith($"scancel {array}_8 {array}_7 {array}_6 {array}_5 {array}_4", scancel.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal(new[] { $"{array}_1", $"{array}_2", $"{array}_3" }, (await harness.SqueueAsync()).Select(p => p.Id));
    }
}
