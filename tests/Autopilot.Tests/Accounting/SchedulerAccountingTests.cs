using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.GridEngine;
using Autopilot.Schedulers.Pbs;
using Autopilot.Schedulers.Slurm;
using Autopilot.State;
using Autopilot.Tests.DemandSources;
using Moq;

namespace Autopilot.Tests.Accounting;

/// <summary>
/// Issue 16 item 1: pilot rows completed from the scheduler's accounting. Parsers on outputs captured
/// from the real Slurm 22.05.8 (no slurmdbd: sacct -c) and Grid Engine 8.1.9 here (sources in
/// tests/fixtures/schedulers/*/SOURCES.md).
/// </summary>
public sealed class SchedulerAccountingTests : IDisposable
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 20, 35, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    private static string Fixture(string kind, string name) => File.ReadAllText(SourcesTestPaths.Fixture("schedulers", kind, name));

    private static DateTimeOffset At(int h, int m, int s) => new(2026, 12, 6, h, m, s, TimeSpan.Zero);

    [Fact]
    public void Sacct_from_the_job_completion_log_gives_times_cores_and_a_job_that_never_ran()
    {
        var rows = SlurmAccounting.Parse(Fixture("slurm", "sacct_c_accounting_format__local_capture.txt"), Utc).ToDictionary(r => r.Id);
        Assert.Equal(new JobUsage("1470", At(20, 35, 41), At(20, 35, 41), At(20, 35, 44), 1, 1, null, "COMPLETED", PilotEnd.Completed), rows["1470"]);
        var cancelled = rows["1471"];
        Assert.Equal((0, PilotEnd.Cancelled), (cancelled.Nodes, cancelled.End));
        // NNodes 0: the job never got a node, so the row gets no start.
        var row = AccountingCompletion.Apply(Row("1471", T0, T0.AddMinutes(1)) with { Started = T0 }, cancelled, "sacct -c");
        Assert.Null(row.Started);
        Assert.Equal(("Cancelled", "sacct -c"), (row.EndState, row.TimesFrom));
    }

    [Fact]
    public void Sacct_with_slurmdbd_reads_cores_per_node_and_memory_from_alloc_tres()
    {
        // The layout of SlurmAccounting.Format as slurmdbd answers it (hand-written: no slurmdbd here).
        const string Line = "88_3|TIMEOUT|2026-12-06T10:00:00|2026-12-06T10:05:00|2026-12-06T12:05:00|32|2|billing=32,cpu=32,mem=64G,node=2\n"
                          + "89|RUNNING|2026-12-06T10:00:00|2026-12-06T10:01:00|Unknown|4|1|cpu=4,mem=4000M,node=1\n";
        var rows = SlurmAccounting.Parse(Line, Utc);
        Assert.Equal(new JobUsage("88_3", At(10, 0, 0), At(10, 5, 0), At(12, 5, 0), 16, 2, 32768, "TIMEOUT", PilotEnd.Walltime), rows[0]);
        Assert.Equal((null, null, 4000L), (rows[1].Ended, rows[1].End, rows[1].MemoryMb));
        var ex = Assert.Throws<FormatException>(() => SlurmAccounting.Parse("1|COMPLETED|x\n", Utc));
        Assert.Contains("expected 8 fields", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_slurmdbd_sacct_falls_back_to_the_job_completion_log_once()
    {
        var log = FakeCommand("sacct", $"""
            case " $* " in
              *" -c "*) cat '{SourcesTestPaths.Fixture("schedulers", "slurm", "sacct_c_accounting_format__local_capture.txt")}' ;;
              *) cat '{SourcesTestPaths.Fixture("schedulers", "slurm", "sacct_storage_disabled_stderr__local_capture.txt")}' >&2; exit 1 ;;
            esac
            """);
        var accounting = new SlurmAccounting(new ProcessRunner(), new SchedulerOptions { Kind = "slurm", BinDir = _dir.Path }, Utc);
        Assert.Equal(2, (await accounting.UsageAsync(["1470", "1471"], CancellationToken.None)).Count);
        Assert.Equal("sacct -c", accounting.Source);
        await accounting.UsageAsync(["1470"], CancellationToken.None);
        Assert.Equal(
            [
                "--parsable2 --noheader -X -j 1470,1471 --format=" + SlurmAccounting.Format,
                "-c --parsable2 --noheader -X -j 1470,1471 --format=" + SlurmAccounting.Format,
                "-c --parsable2 --noheader -X -j 1470 --format=" + SlurmAccounting.Format,
            ],
            File.ReadAllLines(log));
    }

    [Fact]
    public void The_job_completion_log_file_gives_array_ids_memory_and_submit_times()
    {
        var rows = SlurmAccounting.ParseCompletionLog(Fixture("slurm", "jobcomp_filetxt_array_and_plain_slurm22.05__autopilot.txt"), Utc).ToDictionary(r => r.Id);
        Assert.Equal(["10", "1_4", "49"], rows.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new JobUsage("1_4", new DateTimeOffset(2026, 11, 21, 23, 52, 5, TimeSpan.Zero), new DateTimeOffset(2026, 11, 21, 23, 52, 6, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 21, 23, 53, 6, TimeSpan.Zero), 1, 1, 1000, "COMPLETED", PilotEnd.Completed), rows["1_4"]);
        Assert.Equal((PilotEnd.Failed, PilotEnd.Walltime), (rows["10"].End, rows["49"].End));
    }

    [Fact]
    public async Task Without_slurmdbd_a_readable_jobcomp_file_is_read_directly_so_array_elements_are_found()
    {
        var logFile = Path.Combine(_dir.Path, "jobcomp.log");
        File.Copy(SourcesTestPaths.Fixture("schedulers", "slurm", "jobcomp_filetxt_array_and_plain_slurm22.05__autopilot.txt"), logFile);
        var log = FakeCommand("sacct", $"cat '{SourcesTestPaths.Fixture("schedulers", "slurm", "sacct_storage_disabled_stderr__local_capture.txt")}' >&2; exit 1");
        _dir.Script("scontrol", $"echo 'JobCompType             = jobcomp/filetxt'; echo 'JobCompLoc              = {logFile}'");
        var accounting = new SlurmAccounting(new ProcessRunner(), new SchedulerOptions { Kind = "slurm", BinDir = _dir.Path }, Utc);
        Assert.Equal(["1_4", "49"], (await accounting.UsageAsync(["1_4", "49", "999"], CancellationToken.None)).Select(u => u.Id).Order(StringComparer.Ordinal));
        Assert.Equal(SlurmAccounting.CompletionLogSource, accounting.Source);
        Assert.Single(await accounting.UsageAsync(["10"], CancellationToken.None));
        Assert.Single(File.ReadAllLines(log)); // sacct once (it said storage is disabled), then only the file
    }

    [Fact]
    public void Qacct_gives_times_slots_and_the_requested_memory()
    {
        var zone = TimeZoneInfo.Utc; // the capture's local zone was UTC
        var job = Assert.Single(GridEngineJobAccounting.Parse(Fixture("sge", "real_qacct_j_hvmem__sge819.txt"), zone));
        Assert.Equal(new JobUsage("367", At(20, 35, 57), At(20, 35, 57), At(20, 36, 1), 1, 1, 500, "failed=0 exit_status=0", PilotEnd.Completed), job);

        var tasks = GridEngineJobAccounting.Parse(Fixture("sge", "real_qacct_j_array_two_tasks__sge819.txt"), zone);
        Assert.Equal(["368.1", "368.2"], tasks.Select(t => t.Id).Order());
        Assert.Null(tasks[0].MemoryMb);

        var killed = GridEngineJobAccounting.Parse(Fixture("sge", "real_qacct_ok_fail_hrt_srt__sge819.txt"), zone).ToDictionary(t => t.Id);
        Assert.Equal((PilotEnd.Walltime, PilotEnd.Completed), (killed["13"].End, killed["11"].End));
        Assert.Equal(2048, GridEngineJobAccounting.RequestedMemoryMb("-q all.q -l h_rt=60,mem_free=2G"));
        Assert.Equal("368", GridEngineJobAccounting.JobNumber("368.2"));
    }

    [Fact]
    public async Task Qacct_runs_once_per_job_number_skips_jobs_it_does_not_know_yet_and_stops_at_the_tick_bound()
    {
        var log = FakeCommand("qacct", $"""
            case "$2" in
              368) cat '{SourcesTestPaths.Fixture("schedulers", "sge", "real_qacct_j_array_two_tasks__sge819.txt")}' ;;
              *) echo "error: job id $2 not found" >&2; exit 1 ;;
            esac
            """);
        var accounting = new GridEngineJobAccounting(new ProcessRunner(), new SchedulerOptions { Kind = "sge", BinDir = _dir.Path }, Utc);
        var found = await accounting.UsageAsync(["368.1", "368.2", "400"], CancellationToken.None);
        Assert.Equal(["368.1", "368.2"], found.Select(f => f.Id).Order());
        Assert.Equal(["-j 368", "-j 400"], File.ReadAllLines(log));

        File.Delete(log);
        await accounting.UsageAsync([.. Enumerable.Range(1000, 30).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))], CancellationToken.None);
        Assert.Equal(accounting.MaxPerTick, File.ReadAllLines(log).Length);
    }

    [Fact]
    public async Task Rows_left_by_the_ticks_get_the_schedulers_times_and_a_failed_read_is_retried_next_tick()
    {
        var stateDir = Path.Combine(_dir.Path, "state");
        Directory.CreateDirectory(stateDir);
        await using var store = await SqliteStateStore.OpenAsync(stateDir, CancellationToken.None);
        var pool = new PoolOptions { Name = "p", Scheduler = new SchedulerOptions { Kind = "slurm" } };
        // The tick saw 1470 gone at 20:36:30; it ran 20:35:41 .. 20:35:44.
        var gone = Row("1470", At(20, 35, 40), At(20, 36, 30)) with { Started = At(20, 35, 50), EndState = AccountingRecorder.Gone };
        await store.SavePilotsAsync([gone, Row("9", At(1, 0, 0), null)], CancellationToken.None);

        var failing = new Mock<IJobAccounting>();
        failing.SetupGet(a => a.Source).Returns("sacct");
        failing.SetupGet(a => a.MaxPerTick).Returns(100);
        failing.Setup(a => a.UsageAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>())).ThrowsAsync(new SchedulerException("`sacct` timed out"));
        var warning = await AccountingCompletion.CompleteAsync(store, failing.Object, pool, At(20, 37, 0), CancellationToken.None);
        Assert.Contains("cannot complete 1 pilot row(s) from sacct: `sacct` timed out; asking again next tick", warning, StringComparison.Ordinal);
        failing.Verify(a => a.UsageAsync(It.Is<IReadOnlyList<string>>(ids => ids.SequenceEqual(new[] { "1470" })), It.IsAny<CancellationToken>()), Times.Once);

        var answering = new Mock<IJobAccounting>();
        answering.SetupGet(a => a.Source).Returns("sacct -c");
        answering.SetupGet(a => a.MaxPerTick).Returns(100);
        answering.Setup(a => a.UsageAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(SlurmAccounting.Parse(Fixture("slurm", "sacct_c_accounting_format__local_capture.txt"), Utc));
        Assert.Null(await AccountingCompletion.CompleteAsync(store, answering.Object, pool, At(20, 38, 0), CancellationToken.None));
        var row = Assert.Single(await store.OpenPilotsAsync("p", ["1470"], CancellationToken.None), r => r.PilotId == "1470");
        // Submitted stays ours (sub-second); start and end are the scheduler's.
        Assert.Equal((At(20, 35, 41), At(20, 35, 44), "Completed", "sacct -c"), (row.Started!.Value, row.Ended!.Value, row.EndState, row.TimesFrom));
        Assert.Equal(3.0 / 3600, row.HoursRunIn(DateTimeOffset.MinValue, At(21, 0, 0)), 9);

        // Completed rows are not asked about again; nor are rows gone for more than a day.
        Assert.Null(await AccountingCompletion.CompleteAsync(store, failing.Object, pool, At(20, 39, 0), CancellationToken.None));
        failing.Verify(a => a.UsageAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_store_made_before_the_new_columns_gets_them_and_keeps_its_rows()
    {
        var stateDir = Path.Combine(_dir.Path, "old");
        Directory.CreateDirectory(stateDir);
        var path = Path.Combine(stateDir, "state.db");
        await using (var old = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await old.OpenAsync();
            await using var cmd = old.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE pilot_accounting (pool TEXT NOT NULL, pilot_id TEXT NOT NULL, submitted TEXT, started TEXT, ended TEXT,
                    cpus INTEGER NOT NULL, nodes INTEGER NOT NULL, gpus INTEGER NOT NULL, walltime_s INTEGER NOT NULL,
                    partition TEXT, account TEXT, end_state TEXT, PRIMARY KEY (pool, pilot_id));
                INSERT INTO pilot_accounting VALUES ('p', '5', '2026-12-06T10:00:00.0000000+00:00', NULL, NULL, 4, 1, 0, 3600, 'debug', NULL, NULL);
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        await using var store = await SqliteStateStore.OpenAsync(stateDir, CancellationToken.None);
        var row = Assert.Single(await store.OpenPilotsAsync("p", [], CancellationToken.None));
        Assert.Equal(("5", 4, (long?)null, (double?)null), (row.PilotId, row.Cpus, row.MemoryMb, row.BusySeconds));
        await store.SavePilotsAsync([row with { MemoryMb = 2048, BusySeconds = 12.5, Tasks = 3, ClientId = "c" }], CancellationToken.None);
        Assert.Equal((2048L, 12.5, 3, "c"), Assert.Single(await store.OpenPilotsAsync("p", [], CancellationToken.None)) is var r ? (r.MemoryMb!.Value, r.BusySeconds!.Value, r.Tasks!.Value, r.ClientId) : default);
    }

    [Fact]
    public void Sshare_gives_the_accounts_raw_usage_or_nothing_without_slurmdbd()
    {
        Assert.Null(SlurmUsageCheck.Parse(Fixture("slurm", "sshare_A_no_slurmdbd__local_capture.txt"), "root"));
        // -P layout of sshare with slurmdbd (hand-written: none here): the account line has no user.
        Assert.Equal(7200, SlurmUsageCheck.Parse("proj1||7200\nproj1|alice|3600\n", "proj1"));
        Assert.Equal(["-A", "proj1", "-o", "Account,User,RawUsage", "-n", "-P"], SlurmUsageCheck.Arguments("proj1"));
    }

    [Fact]
    public void Pbs_job_history_gives_start_end_and_how_it_ended()
    {
        // A finished job (PBS 22.05, docker capture) and a running one (PBS 19, MetaCentrum): only the first has ended.
        var done = Assert.Single(PbsAccounting.Parse(Fixture("pbs", "qstat_xf_F_json_finished_array_pbs22_spliced__baw_server.json"), Utc));
        Assert.Equal(("0.725ccdf1a5fb", new DateTimeOffset(2022, 10, 11, 8, 13, 45, TimeSpan.Zero), new DateTimeOffset(2022, 10, 11, 8, 13, 47, TimeSpan.Zero), PilotEnd.Completed),
            (done.Id, done.Started!.Value, done.Ended!.Value, done.End!.Value));
        var running = Assert.Single(PbsAccounting.Parse(Fixture("pbs", "qstat_xf_F_json_running_pbs19__swrap.json"), Utc));
        Assert.Equal((null, null), (running.Ended, running.End));
        Assert.NotNull(running.Started);
    }

    [Fact]
    public void Torque_qstat_x_gives_start_completion_and_exit()
    {
        var done = Assert.Single(PbsAccounting.ParseTorque(Fixture("torque", "qstat_x_completed_multiline_sched_hint__batcheuphoria.xml"), Utc));
        Assert.Equal(("4564045.pbsserver", DateTimeOffset.FromUnixTimeSeconds(1522939183), DateTimeOffset.FromUnixTimeSeconds(1522939194), PilotEnd.Completed),
            (done.Id, done.Started!.Value, done.Ended!.Value, done.End!.Value));
        var queued = Assert.Single(PbsAccounting.ParseTorque(Fixture("torque", "qstat_x_queued__batcheuphoria.xml"), Utc));
        Assert.Equal(((DateTimeOffset?)null, (PilotEnd?)null), (queued.Ended, queued.End));
    }

    [Fact]
    public async Task Pbs_history_is_read_in_one_qstat_and_ids_the_server_forgot_are_skipped()
    {
        var log = FakeCommand("qstat", $"""
            cat '{SourcesTestPaths.Fixture("schedulers", "pbs", "qstat_xf_F_json_finished_array_pbs22_spliced__baw_server.json")}'
            echo "qstat: Unknown Job Id 77.725ccdf1a5fb" >&2
            exit 153
            """);
        var accounting = new PbsAccounting(new ProcessRunner(), new SchedulerOptions { Kind = "pbs", BinDir = _dir.Path }, Utc);
        var found = await accounting.UsageAsync(["0.725ccdf1a5fb", "77.725ccdf1a5fb"], CancellationToken.None);
        Assert.Equal("0.725ccdf1a5fb", Assert.Single(found).Id);
        Assert.Equal(["-x -f -F json 0.725ccdf1a5fb 77.725ccdf1a5fb"], File.ReadAllLines(log));

        _dir.Script("qstat", "echo 'qstat: Server not configured to maintain job history' >&2; exit 1");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => accounting.UsageAsync(["1.x"], CancellationToken.None));
        Assert.Contains("job history", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A command in the temporary folder that appends its arguments to a log (returned) and then runs <paramref name="body"/>.</summary>
    private string FakeCommand(string name, string body)
    {
        var log = Path.Combine(_dir.Path, "calls");
        _dir.Script(name, $"echo \"$*\" >> '{log}'\n{body}");
        return log;
    }

    private static PilotRecord Row(string id, DateTimeOffset submitted, DateTimeOffset? ended) =>
        new("p", id, submitted, null, ended, 1, 1, 0, TimeSpan.FromHours(1), "debug", null, ended is null ? null : AccountingRecorder.Gone);

    public void Dispose() => _dir.Dispose();
}
