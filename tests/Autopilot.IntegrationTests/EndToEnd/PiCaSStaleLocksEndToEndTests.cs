using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// `autopilot picas reset-stale` and the per-tick reset_stale_locks as real processes: a token locked by
/// a pilot that is in the real Slurm queue is kept, tokens of pilots that are not are reset, and
/// each reset is an event.
/// </summary>
public sealed class PiCaSStaleLocksEndToEndTests(PiCaSDatabaseFixture db, ITestOutputHelper output) : IClassFixture<PiCaSDatabaseFixture>
{
    [Fact]
    public async Task Tokens_of_pilots_that_left_the_queue_are_reset_by_the_command_and_by_the_tick()
    {
        await using var harness = new EndToEndHarness();
        harness.WriteConfig(Spec(perTick: false));

        // A real pilot in the queue, and a token it holds; a token held by a job that is not in the queue.
        var submit = await harness.RunAsync("submit", EndToEndHarness.Pool, "--json");
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var pilot = Assert.Single(submit.Json().GetProperty("submitted").EnumerateArray()).GetString()!;
        var held = await db.AddLockedTokenAsync(TimeSpan.FromHours(2), pilot);
        var gone = await db.AddLockedTokenAsync(TimeSpan.FromHours(2), "9999991");

        var dry = await harness.RunAsync("picas", "reset-stale", "--dry-run");
        output.WriteLine(dry.ToString());
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains($"token {gone}: locked 2h by pilot 9999991, which is no longer in the queue: would reset to todo", dry.Stdout, StringComparison.Ordinal);
        Assert.Contains($"token {held}: locked 2h, but its pilot {pilot} is still in the queue: kept", dry.Stdout, StringComparison.Ordinal);
        Assert.True((await db.GetTokenAsync(gone))["lock"]!.GetValue<long>() > 0, "--dry-run reset a token");

        var run = await harness.RunAsync("picas", "reset-stale", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var reset = Assert.Single(run.Json()[0].GetProperty("resets").EnumerateArray());
        Assert.Equal(gone, reset.GetProperty("token").GetProperty("id").GetString());
        Assert.True(reset.GetProperty("reset").GetBoolean());
        Assert.Equal(0, (await db.GetTokenAsync(gone))["lock"]!.GetValue<long>());
        Assert.Equal(pilot, (await db.GetTokenAsync(held))["pilot"]!.GetValue<string>());

        // The same, each tick, before the demand is read.
        harness.WriteConfig(Spec(perTick: true));
        var later = await db.AddLockedTokenAsync(TimeSpan.FromHours(3), "9999992_4");
        var tick = await harness.TickAsync();
        Assert.Contains($"token {later}", tick.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await db.GetTokenAsync(later))["lock"]!.GetValue<long>());
        Assert.True((await db.GetTokenAsync(held))["lock"]!.GetValue<long>() > 0, "the token of the queued pilot was reset");

        var events = await harness.RunAsync("events", "--json", "--since", "1h");
        var resets = events.Json().EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString()!.Replace("_", "", StringComparison.Ordinal) == "lockreset")
            .Select(e => e.GetProperty("job_ids")[0].GetString())
            .ToList();
        Assert.Equal(["9999991", "9999992_4"], resets);
    }

    private PoolSpec Spec(bool perTick) => new(new DemandSpec($"""
        kind = "picas"
        url = {EndToEndHarness.Quote(TestServices.CouchDbUrl.ToString())}
        database = {EndToEndHarness.Quote(db.Database)}
        user = {EndToEndHarness.Quote(TestServices.CouchDbUser)}
        password_file = {EndToEndHarness.Quote(TestServices.CouchDbPasswordFile)}
        stale_lock_after = "1h"
        reset_stale_locks = {(perTick ? "true" : "false")}
        """))
    {
        TasksPerPilot = 10,
        MaxQueued = 1,
        ExtraArgs = EndToEndHarness.StayQueued,
        ScaleToZeroAfter = "1h",
        ScaleInAfter = "1h",
    };
}
