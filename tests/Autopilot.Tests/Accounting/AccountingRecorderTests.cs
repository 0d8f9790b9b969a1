using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.State;

namespace Autopilot.Tests.Accounting;

public sealed class AccountingRecorderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static readonly PoolOptions Pool = new()
    {
        Name = "acct",
        Scheduler = new SchedulerOptions { Kind = "slurm", Cpus = 8, Nodes = 2, Queue = "debug", Account = "proj1", Walltime = TimeSpan.FromHours(2) },
    };

    private static Pilot Queued(string id) => new(id, "autopilot-acct", PilotState.Queued, "PENDING", SubmitTime: T0);

    private static Pilot Running(string id, DateTimeOffset? start) => new(id, "autopilot-acct", PilotState.Running, "RUNNING", SubmitTime: T0, StartTime: start);

    [Fact]
    public void A_pilot_life_is_recorded_from_submit_to_end()
    {
        var submitted = AccountingRecorder.Update(Pool, [], [], ["7"], [], null, T0);
        var row = Assert.Single(submitted);
        Assert.Equal(new PilotRecord("acct", "7", T0, null, null, 8, 2, 0, TimeSpan.FromHours(2), "debug", "proj1", null), row);

        // Queued and unchanged: nothing to write.
        Assert.Empty(AccountingRecorder.Update(Pool, [row], [Queued("7")], [], ["7"], null, T0.AddMinutes(1)));

        // First seen running without a start time from the scheduler: the tick's time.
        var started = Assert.Single(AccountingRecorder.Update(Pool, [row], [Running("7", null)], [], ["7"], null, T0.AddMinutes(2)));
        Assert.Equal(T0.AddMinutes(2), started.Started);

        // Later ticks keep the first start.
        Assert.Empty(AccountingRecorder.Update(Pool, [started], [Running("7", T0.AddMinutes(9))], [], ["7"], null, T0.AddMinutes(3)));

        // Gone from the listing without accounting read: ended at that tick, state unknown.
        var gone = Assert.Single(AccountingRecorder.Update(Pool, [started], [], [], ["7"], null, T0.AddMinutes(30)));
        Assert.Equal(T0.AddMinutes(30), gone.Ended);
        Assert.Equal(AccountingRecorder.Gone, gone.EndState);

        // Accounting's outcome, even a tick later, wins: its times and how it ended.
        var outcome = new PilotOutcome("7", "autopilot-acct", PilotEnd.Walltime, 0, T0.AddMinutes(1), T0.AddMinutes(25), "TIMEOUT");
        var settled = Assert.Single(AccountingRecorder.Update(Pool, [gone], [], [], [], [outcome], T0.AddMinutes(31)));
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(25), "Walltime"), (settled.Started, settled.Ended, settled.EndState));
        Assert.Equal(24.0 / 60, settled.HoursRunIn(T0, T0.AddHours(1)), 6);
    }

    [Fact]
    public void Scheduler_times_in_whole_seconds_never_put_the_start_before_the_submission()
    {
        // Submitted at 12:00:00.6 by our clock; Slurm says it started at 12:00:00 and ended 12:00:00.
        var submittedAt = T0.AddMilliseconds(600);
        var row = Assert.Single(AccountingRecorder.Update(Pool, [], [], ["7"], [], null, submittedAt));
        var running = Assert.Single(AccountingRecorder.Update(Pool, [row], [Running("7", T0)], [], ["7"], null, T0.AddSeconds(5)));
        Assert.Equal(submittedAt, running.Started);

        var outcome = new PilotOutcome("7", "autopilot-acct", PilotEnd.Completed, 0, T0, T0, "COMPLETED");
        var settled = Assert.Single(AccountingRecorder.Update(Pool, [running], [], [], ["7"], [outcome], T0.AddSeconds(10)));
        Assert.Equal((submittedAt, submittedAt), (settled.Started, settled.Ended));
    }

    [Fact]
    public void A_pilot_found_running_that_was_never_recorded_gets_a_row_with_the_scheduler_times()
    {
        var pilot = Running("9", T0.AddMinutes(-5)) with { SubmitTime = T0.AddMinutes(-8), TimeLimit = TimeSpan.FromMinutes(30) };
        var row = Assert.Single(AccountingRecorder.Update(Pool, [], [pilot], [], [], null, T0));
        Assert.Equal((T0.AddMinutes(-8), T0.AddMinutes(-5), TimeSpan.FromMinutes(30)), (row.Submitted!.Value, row.Started!.Value, row.Walltime));
    }

    [Fact]
    public async Task Rows_and_samples_round_trip_through_the_state_store_with_retention()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"autopilot-acct-{Guid.NewGuid():N}");
        await using (var store = await SqliteStateStore.OpenAsync(dir, CancellationToken.None))
        {
            var accounting = new AccountingOptions { SampleRetention = TimeSpan.FromDays(1) };
            await AccountingRecorder.RecordAsync(store, accounting, Pool, [], ["1", "2"], [], null, 40, T0.AddDays(-2), CancellationToken.None);
            await AccountingRecorder.RecordAsync(store, accounting, Pool, [Running("1", T0.AddDays(-2)), Queued("2")], [], ["1", "2"], null, 30, T0.AddHours(-1), CancellationToken.None);
            await AccountingRecorder.RecordAsync(store, accounting, Pool, [Queued("2")], [], ["1", "2"], null, 20, T0, CancellationToken.None);

            var open = await store.OpenPilotsAsync("acct", [], CancellationToken.None);
            Assert.Equal("2", Assert.Single(open).PilotId);
            var withEnded = await store.OpenPilotsAsync("acct", ["1"], CancellationToken.None);
            Assert.Equal(2, withEnded.Count);
            var one = withEnded.Single(r => r.PilotId == "1");
            Assert.Equal((T0.AddDays(-2), T0, AccountingRecorder.Gone), (one.Started!.Value, one.Ended!.Value, one.EndState));
            Assert.Equal(2, (await store.PilotsSinceAsync(T0, CancellationToken.None)).Count);
            Assert.Equal("2", Assert.Single(await store.PilotsSinceAsync(T0.AddSeconds(1), CancellationToken.None)).PilotId);

            // The sample two days old is past the one-day retention.
            var samples = await store.SamplesAsync(T0.AddDays(-10), "acct", CancellationToken.None);
            Assert.Equal([(30L, 1, 1), (20L, 1, 0)], samples.Select(s => (s.Demand!.Value, s.Queued, s.Running)).ToList());
        }

        Directory.Delete(dir, recursive: true);
    }
}
