using Autopilot.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// `autopilot submit` and `autopilot cancel` as real processes against the real Slurm: limits, --force,
/// events, and a job Autopilot did not submit that `cancel` must refuse and leave in the queue.
/// </summary>
public sealed class ManualControlOnSlurmTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Submit_respects_the_limits_unless_forced_and_cancel_refuses_foreign_jobs()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 0);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { ExtraArgs = EndToEndHarness.StayQueued, MaxQueued = 2, MaxPilots = 10 });

        // Two by hand: within max_queued 2.
        var first = await harness.RunAsync("submit", EndToEndHarness.Pool, "2", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        var ids = first.Json().GetProperty("submitted").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, ids.Count);
        Assert.False(first.Json().GetProperty("forced").GetBoolean());
        await harness.WaitReasonAsync(ids, "BeginTime");

        // A third would pass max_queued: refused, nothing submitted.
        var refused = await harness.RunAsync("submit", EndToEndHarness.Pool);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("max_queued 2 (2 queued)", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await harness.SqueueAsync()).Count);

        // --force submits it and says which limit it went past.
        var forced = await harness.RunAsync("submit", EndToEndHarness.Pool, "1", "--force", "--json");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        var forcedId = Assert.Single(forced.Json().GetProperty("submitted").EnumerateArray()).GetString()!;
        Assert.Contains("max_queued 2 (2 queued)", forced.Json().GetProperty("exceeded")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(3, (await harness.SqueueAsync()).Count);

        // Jobs Autopilot did not submit: a plain one, and one whose name only looks like a pilot's.
        var plain = await SubmitByHandAsync(TestServices.UniqueName("apforeign"));
        var lookAlike = await SubmitByHandAsync(harness.JobName + "-copy");
        try
        {
            var foreign = await harness.RunAsync("cancel", ids[0], plain, lookAlike);
            output.WriteLine(foreign.ToString());
            Assert.Equal(1, foreign.ExitCode);
            Assert.Contains($"{plain}: not a pilot of this configuration", foreign.Stderr, StringComparison.Ordinal);
            Assert.Contains($"{lookAlike}: not a pilot of this configuration", foreign.Stderr, StringComparison.Ordinal);
            Assert.Contains("nothing cancelled", foreign.Stderr, StringComparison.Ordinal);

            // Nothing was cancelled: the foreign jobs and our pilot are all still queued.
            Assert.True(await InQueueAsync(plain), $"foreign job {plain} was cancelled");
            Assert.True(await InQueueAsync(lookAlike), $"look-alike job {lookAlike} was cancelled");
            Assert.Contains(ids[0], (await harness.SqueueAsync()).Select(r => r.Id));
        }
        finally
        {
            // Only the two jobs this test submitted by hand.
            await TestServices.RunUncheckedAsync("scancel", [plain, lookAlike]);
        }

        // Our own pilot: cancelled.
        var cancel = await harness.RunAsync("cancel", ids[0], "--json");
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Equal(new[] { ids[0] }, cancel.Json().GetProperty("cancelled").EnumerateArray().Select(e => e.GetString()!).ToArray());
        await TestServices.WaitUntilAsync(
            async () => (await harness.SqueueAsync()).All(r => r.Id != ids[0]),
            TimeSpan.FromSeconds(30),
            $"pilot {ids[0]} gone from squeue");
        Assert.Equal([ids[1], forcedId], (await harness.SqueueAsync()).Select(r => r.Id).Order(StringComparer.Ordinal).ToArray());

        // The events: two manual submissions (the forced one says so) and the manual cancel.
        var events = await harness.RunAsync("events", "--json", "--since", "1h");
        Assert.True(events.ExitCode == 0, events.ToString());
        var list = events.Json().EnumerateArray().ToList();
        Assert.Equal(["manualsubmit", "manualsubmit", "manualcancel"], list.Select(e => e.GetProperty("kind").GetString()!.Replace("_", "", StringComparison.Ordinal)).ToArray());
        Assert.Contains("--force past max_queued 2", list[1].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(new[] { ids[0] }, list[2].GetProperty("job_ids").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    private static async Task<string> SubmitByHandAsync(string name)
    {
        var result = await TestServices.RunAsync("sbatch", ["--parsable", "-J", name, "-p", TestServices.SlurmPartition, "--begin=now+1hour", "-o", "/dev/null", "--wrap", "sleep 60"]);
        return result.StandardOutput.Trim().Split(';')[0];
    }

    private static async Task<bool> InQueueAsync(string id)
    {
        var result = await TestServices.RunUncheckedAsync("squeue", ["-h", "-j", id, "-o", "%i"]);
        return result.StandardOutput.Trim() == id;
    }
}
