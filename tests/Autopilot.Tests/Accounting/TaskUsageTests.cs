using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.State;
using Autopilot.TaskLogs;
using Autopilot.Tests.DemandSources;

namespace Autopilot.Tests.Accounting;

/// <summary>Issue 16 item 2: busy time and tasks run per pilot from HyperShell's task table.</summary>
public sealed class TaskUsageTests : IDisposable
{
    private const string Client = "b887e74b-b8a2-4dbf-9081-d4bce6f4a061"; // the client of the fixture database
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 16, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    private static HyperShellOptions FixtureDb() => new() { Backend = "sqlite", Path = SourcesTestPaths.Fixture("hypershell-2.8.2", "retries-capture.db") };

    [Fact]
    public void Busy_time_is_the_union_of_the_task_intervals_and_a_running_task_counts_until_now()
    {
        var times = new[]
        {
            new ClientTaskTime("a", T0, T0.AddSeconds(10)),
            new ClientTaskTime("a", T0.AddSeconds(5), T0.AddSeconds(8)), // inside the first: no extra time
            new ClientTaskTime("a", T0.AddSeconds(9), T0.AddSeconds(12)), // overlaps: up to 12
            new ClientTaskTime("a", T0.AddSeconds(20), null), // still running at 25
            new ClientTaskTime("b", T0, T0.AddSeconds(1)),
        };
        var busy = HyperShellTaskUsage.BusyByClient(times, T0.AddSeconds(25));
        Assert.Equal((17.0, 4), busy["a"]);
        Assert.Equal((1.0, 1), busy["b"]);
    }

    [Fact]
    public async Task The_task_table_of_a_real_hypershell_database_gives_each_clients_task_times()
    {
        var store = new HyperShellTaskStore(FixtureDb(), TimeZoneInfo.Utc);
        var times = await store.TaskTimesAsync([Client.ToUpperInvariant(), "00000000-0000-0000-0000-000000000000"], CancellationToken.None);
        Assert.Equal(5, times.Count);
        Assert.All(times, t => Assert.Equal(Client, t.ClientId));
        // 16:18:46.973919 .. 47.026744 (the second task lies inside it), then three short ones.
        var (seconds, tasks) = HyperShellTaskUsage.BusyByClient(times, T0.AddHours(1))[Client];
        Assert.Equal((0.058226, 5), (Math.Round(seconds, 6), tasks));
    }

    [Fact]
    public void The_client_id_is_read_from_a_system_style_log_line_in_the_pilots_own_log()
    {
        // The first lines of a real `HYPERSHELL_LOGGING_STYLE=system hs client` (HyperShell 2.8.2).
        const string Log = "autopilot pilot: pool=p job=1470 host=vm pid=7 threads=1\n"
            + "2026-12-06 20:36:27.847 vm  WARNING [61345fbc-cc46-4f4e-af34-01bc293ed7ea] [hypershell.client] TLS is disabled - this is not recommended for production!\n";
        Assert.Equal("61345fbc-cc46-4f4e-af34-01bc293ed7ea", HyperShellTaskUsage.ClientIdIn(Log));
        Assert.Null(HyperShellTaskUsage.ClientIdIn("   INFO [hypershell.client] Running task (61345fbc-cc46-4f4e-af34-01bc293ed7ea)"));

        Assert.True(HyperShellTaskUsage.NamesPilot("ap-x-main-1470.out", "1470"));
        Assert.True(HyperShellTaskUsage.NamesPilot("ap-x-main-1470_3.out", "1470_3"));
        Assert.True(HyperShellTaskUsage.NamesPilot("ap-x-main.e367", "367"));
        Assert.True(HyperShellTaskUsage.NamesPilot("ap-x-main.o368.2", "368.2"));
        Assert.False(HyperShellTaskUsage.NamesPilot("ap-x-main-14701.out", "1470"));
        Assert.False(HyperShellTaskUsage.NamesPilot("ap-x-main-1470_3.out", "1470"));
        Assert.False(HyperShellTaskUsage.NamesPilot("ap-x-main.e3670", "367"));
    }

    [Fact]
    public async Task Rows_get_their_client_busy_time_and_tasks_and_a_pilot_without_a_client_ran_none()
    {
        var logs = Path.Combine(_dir.Path, "logs");
        Directory.CreateDirectory(logs);
        File.WriteAllText(Path.Combine(logs, "ap-main-11.out"), $"autopilot pilot: job=11\n2026-12-06 16:18:46.900 vm     INFO [{Client}] [hypershell.client] Running task (x)\n");
        File.WriteAllText(Path.Combine(logs, "ap-main-12.out"), "autopilot pilot: job=12\nautopilot pilot: client exited with 0\n");
        var stateDir = Path.Combine(_dir.Path, "state");
        Directory.CreateDirectory(stateDir);
        await using var store = await SqliteStateStore.OpenAsync(stateDir, CancellationToken.None);
        var now = new DateTimeOffset(2026, 12, 6, 16, 30, 0, TimeSpan.Zero);
        PilotRecord Row(string id) => new("main", id, now.AddMinutes(-20), now.AddMinutes(-19), now.AddMinutes(-5), 1, 1, 0, TimeSpan.FromHours(1), null, null, "gone");
        await store.SavePilotsAsync([Row("11"), Row("12"), Row("13") with { Ended = now.AddHours(-2) }, Row("14")], CancellationToken.None);

        var usage = new HyperShellTaskUsage(FixtureDb(), logs, TimeZoneInfo.Utc);
        var pool = new PoolOptions { Name = "main" };
        Assert.Null(await TaskUsageRecorder.RecordAsync(store, usage, pool, now, CancellationToken.None));
        var rows = (await store.PilotsSinceAsync(now.AddDays(-1), CancellationToken.None)).ToDictionary(r => r.PilotId);
        Assert.Equal((Client, 0.058, 5), (rows["11"].ClientId, rows["11"].BusySeconds, rows["11"].Tasks));
        Assert.Equal(((string?)null, 0.0, 0), (rows["12"].ClientId, rows["12"].BusySeconds, rows["12"].Tasks));
        // Ended more than SettleAfter ago: final, not read. No log file of 14 here: unknown, not idle.
        Assert.Null(rows["13"].BusySeconds);
        Assert.Null(rows["14"].BusySeconds);

        // A task database that cannot be read: a warning, the rows as they were.
        var broken = new HyperShellTaskUsage(new HyperShellOptions { Backend = "sqlite", Path = Path.Combine(_dir.Path, "missing.db") }, logs, TimeZoneInfo.Utc);
        var warning = await TaskUsageRecorder.RecordAsync(store, broken, pool, now, CancellationToken.None);
        Assert.Contains("cannot read busy time from hypershell sqlite", warning, StringComparison.Ordinal);
        Assert.Contains("asking again next tick", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Picas_tokens_give_busy_time_per_pilot_from_lock_and_done()
    {
        // The shape pouchdb-server answers a _find with (captured here), tokens as the pilot loop writes them.
        const string Answer = """
            {"docs":[{"pilot":"42","lock":1000,"done":1010},{"pilot":"42","lock":1012,"done":1020},
                     {"pilot":"77.undefined","lock":1000,"done":0},{"pilot":"other","lock":1000,"done":1001},{"lock":5,"done":6}],
             "warning":"No matching index found, create an index to optimize query time."}
            """;
        var ended = DateTimeOffset.FromUnixTimeSeconds(1030);
        PilotRecord Row(string id, DateTimeOffset? end) => new("p", id, ended.AddMinutes(-5), ended.AddMinutes(-4), end, 1, 1, 0, TimeSpan.FromHours(1), null, null, null);
        var busy = Autopilot.DemandSources.PiCaS.PiCaSTaskUsage.Busy(Answer, [Row("42", ended), Row("77", ended), Row("99", null)], ended.AddSeconds(100));
        Assert.Equal(new WorkerUsage(null, 18, 2), busy["42"]);
        // Still locked when its (Grid Engine, non-array) pilot ended: counted until that end.
        Assert.Equal(new WorkerUsage(null, 30, 1), busy["77"]);
        Assert.Equal(new WorkerUsage(null, 0, 0), busy["99"]);
        Assert.Throws<Autopilot.DemandSources.DemandException>(() => Autopilot.DemandSources.PiCaS.PiCaSTaskUsage.Busy("{\"error\":\"x\"}", [Row("42", ended)], ended));
    }

    public void Dispose() => _dir.Dispose();
}
