using Microsoft.Extensions.Logging;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.State;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Autopilot.Hosting;

namespace Autopilot.Tests.Engine;

/// <summary>
/// The tick engine with real parts: the local scheduler (real detached processes), HyperShell
/// SQLite files, the SQLite state store. A counting decorator shows how often the scheduler is asked.
/// </summary>
public sealed class TickEngineTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("autopilot-engine-").FullName;
    private readonly List<(AutopilotOptions Options, PoolOptions Pool)> _started = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Cancel every pilot a test left behind (they are real processes).
        var local = SchedulerFactory.Create(new SchedulerOptions { Kind = "local" }, new ProcessRunner(), StateDir, NullLoggerFactory.Instance, TimeProvider.System);
        var names = _started.Select(s => TickEngine.JobName(s.Options, s.Pool)).Distinct().ToList();
        if (names.Count > 0)
        {
            var left = await local.ListAsync(new PilotQuery(names), CancellationToken.None);
            var ids = left.Where(p => p.IsActive).Select(p => p.Id).ToList();
            if (ids.Count > 0)
            {
                await local.CancelAsync(ids, CancellationToken.None);
            }
        }

        Directory.Delete(_dir, recursive: true);
    }

    private string StateDir => Path.Combine(_dir, "state");

    private string Database(string name, int pending)
    {
        var path = Path.Combine(_dir, name + ".db");
        HyperShellTestDatabase.CreateSqlite(path, HyperShellSchemaVersion.Classic, new HyperShellTaskBatch(HyperShellTaskState.Pending, pending));
        return path;
    }

    private string SleepTemplate()
    {
        var path = Path.Combine(_dir, "sleep-pilot.sh");
        File.WriteAllText(path, "#!/bin/sh\n# pool {{pool}}\nexec sleep 60\n");
        return path;
    }

    private PoolOptions Pool(string name, string db, int maxPilots = 4) => new()
    {
        Name = name,
        Template = SleepTemplate(),
        Demand = new HyperShellOptions { Backend = "sqlite", Path = db },
        Scheduler = new SchedulerOptions { Kind = "local", Walltime = TimeSpan.FromHours(1), DrainLead = TimeSpan.FromMinutes(1) },
        Limits = new LimitOptions { MaxPilots = maxPilots, TasksPerPilot = 10, MaxQueued = 4, MaxSubmitPerTick = 4 },
    };

    private AutopilotOptions Options(int globalMax, params PoolOptions[] pools)
    {
        var options = new AutopilotOptions { StateDir = StateDir, JobPrefix = "t" + Guid.NewGuid().ToString("N")[..8], MaxPilots = globalMax, Pools = pools };
        foreach (var pool in pools)
        {
            _started.Add((options, pool));
        }

        return options;
    }

    private static TickEngine Engine(AutopilotOptions options, TickComponents components) =>
        new(options, components, TimeProvider.System, NullLogger<TickEngine>.Instance);

    [Fact]
    public async Task Two_pools_on_one_scheduler_are_listed_with_one_call_and_both_scale_out()
    {
        var options = Options(0, Pool("a", Database("a", 25)), Pool("b", Database("b", 5)));
        CountingScheduler? counter = null;
        var production = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var components = production with { CreateScheduler = (o, s) => counter = new CountingScheduler(production.CreateScheduler(o, s)) };

        var report = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);

        Assert.True(report.Ok, string.Join("; ", report.Pools.Select(p => p.Summary)));
        Assert.Equal(1, counter!.Lists);
        Assert.Equal(3, report.Pools.Single(p => p.Pool == "a").Submitted.Count);
        Assert.Single(report.Pools.Single(p => p.Pool == "b").Submitted);

        // The next tick sees those pilots by name and submits nothing more.
        var again = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.All(again.Pools, p => Assert.Empty(p.Submitted));
        Assert.Equal(3, again.Pools.Single(p => p.Pool == "a").Pilots!.Count(p => p.IsActive));
    }

    [Fact]
    public async Task Accounting_that_cannot_be_read_never_fails_the_tick_and_is_asked_again_next_tick()
    {
        // Issue 16: rows of pilots that ended are completed from the scheduler's accounting, once a tick.
        var options = Options(0, Pool("acct", Database("acct", 20), maxPilots: 2));
        var production = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var books = new Mock<IJobAccounting>();
        books.SetupGet(b => b.Source).Returns("fake");
        books.SetupGet(b => b.MaxPerTick).Returns(100);
        books.Setup(b => b.UsageAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>())).ThrowsAsync(new SchedulerException("`fake` timed out"));
        var components = production with { CreateAccounting = _ => books.Object };

        var first = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        var ids = first.Pools[0].Submitted;
        Assert.Equal(2, ids.Count);
        var local = components.CreateScheduler(options.Pools[0].Scheduler, StateDir);
        await local.CancelAsync(ids, CancellationToken.None);
        books.Verify(b => b.UsageAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()), Times.Never); // nothing ended yet

        var failing = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.True(failing.Ok, string.Join("; ", failing.Pools.Select(p => p.Summary)));
        books.Verify(b => b.UsageAsync(It.Is<IReadOnlyList<string>>(l => l.Order().SequenceEqual(ids.Order())), It.IsAny<CancellationToken>()), Times.Once);

        var end = DateTimeOffset.UtcNow;
        books.Setup(b => b.UsageAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(ids.Select(id => new JobUsage(id, null, end.AddSeconds(-30), end, 4, 1, 2048, "CANCELLED", PilotEnd.Cancelled)).ToList());
        var answered = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.True(answered.Ok);
        await using var store = await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None);
        var rows = await store.OpenPilotsAsync("acct", ids, CancellationToken.None);
        Assert.All(rows.Where(r => ids.Contains(r.PilotId)), r => Assert.Equal(("fake", "Cancelled", 4, (long?)2048), (r.TimesFrom, r.EndState, r.Cpus, r.MemoryMb)));
    }

    [Fact]
    public async Task A_pool_whose_demand_cannot_be_read_does_nothing_and_the_tick_fails_but_other_pools_act()
    {
        var options = Options(0, Pool("broken", Path.Combine(_dir, "missing.db")), Pool("fine", Database("fine", 10)));
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

        var report = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);

        Assert.Equal(1, report.ExitCode);
        var broken = report.Pools.Single(p => p.Pool == "broken");
        Assert.False(broken.Ok);
        Assert.Contains("cannot read demand", broken.Error);
        Assert.Contains("missing.db", broken.Error);
        Assert.Empty(broken.Submitted);
        Assert.Single(report.Pools.Single(p => p.Pool == "fine").Submitted);

        await using var store = await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None);
        var events = await store.EventsAsync(DateTimeOffset.UtcNow.AddMinutes(-5), "broken", CancellationToken.None);
        Assert.Equal(EventKind.DemandUnreadable, Assert.Single(events).Kind);
    }

    [Fact]
    public async Task A_listing_that_fails_means_no_submission_is_attempted()
    {
        var options = Options(0, Pool("main", Database("main", 40)));
        var scheduler = new Mock<IScheduler>(MockBehavior.Strict);
        scheduler.Setup(s => s.ListAsync(It.IsAny<PilotQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SchedulerException("`squeue ...` exited with 1: slurm_load_jobs error: Unable to contact slurm controller"));
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System) with
        {
            CreateScheduler = (_, _) => scheduler.Object,
        };

        var report = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);

        Assert.Equal(1, report.ExitCode);
        Assert.Contains("Unable to contact slurm controller", report.Pools[0].Error);
        scheduler.Verify(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task The_global_max_pilots_caps_submissions_across_pools()
    {
        var options = Options(3, Pool("a", Database("a", 40)), Pool("b", Database("b", 40)));
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

        var report = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);

        Assert.Equal(3, report.Pools.Sum(p => p.Submitted.Count));
    }

    [Fact]
    public async Task A_dry_run_changes_nothing()
    {
        var options = Options(0, Pool("main", Database("main", 40)));
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

        var report = await Engine(options, components).RunAsync(new TickRequest(DryRun: true), CancellationToken.None);

        Assert.Equal(4, report.Pools[0].Plan!.Submit);
        Assert.Empty(report.Pools[0].Submitted);
        var after = await Engine(options, components).RunAsync(new TickRequest(DryRun: true, TakeLock: false), CancellationToken.None);
        Assert.Empty(after.Pools[0].Pilots!);
        await using var store = await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None);
        Assert.Empty(await store.EventsAsync(DateTimeOffset.UtcNow.AddMinutes(-5), null, CancellationToken.None));
    }

    [Fact]
    public async Task A_held_tick_lock_means_another_tick_does_nothing_and_exits_0()
    {
        var options = Options(0, Pool("main", Database("main", 40)));
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        using var held = TickLock.TryAcquire(StateDirectory.LockFile(StateDir));
        Assert.NotNull(held);

        var report = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);

        Assert.True(report.LockBusy);
        Assert.Equal(0, report.ExitCode);
        Assert.Empty(report.Pools);
    }

    [Fact]
    public async Task A_failed_submission_backs_off_and_is_recorded()
    {
        var options = Options(0, Pool("main", Database("main", 40)));
        var real = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var components = real with
        {
            CreateScheduler = (o, s) => new FailingSubmit(real.CreateScheduler(o, s)),
        };

        var first = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.Equal(1, first.ExitCode);
        Assert.Contains("submit failed (1 in a row", first.Pools[0].Error);

        var second = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.Equal(0, second.Pools[0].Plan!.Submit);
        Assert.Equal(Autopilot.Policy.PlanRule.Backoff, second.Pools[0].Plan!.Rule);
    }

    [Fact]
    public async Task A_share_group_reads_its_demand_once_and_its_pools_together_submit_no_more_than_it_needs()
    {
        var db = Database("shared", 25);
        var group = (string name, int order) => Pool(name, db, maxPilots: 2) with { Share = new ShareOptions { Group = "g", Order = order } };
        var options = Options(0, group("second", 2), group("first", 1));
        var reads = 0;
        var production = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var components = production with { CreateDemandSource = p => { reads++; return production.CreateDemandSource(p); } };

        var report = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);

        // 25 tasks at 10 a pilot: the preferred pool fills to its max_pilots 2, the third pilot goes to the next.
        Assert.True(report.Ok, string.Join("; ", report.Pools.Select(p => p.Summary)));
        Assert.Equal(1, reads);
        Assert.Equal(2, report.Pools.Single(p => p.Pool == "first").Submitted.Count);
        Assert.Single(report.Pools.Single(p => p.Pool == "second").Submitted);
        Assert.Equal(20, report.Pools.Single(p => p.Pool == "first").Demand!.Tasks);
        Assert.Contains(report.Pools.Single(p => p.Pool == "second").Plan!.Notes,
            n => n.StartsWith("Share group 'g': demand 25 read once and split by order of preference: first (order 1) 20; second (order 2) 5.", StringComparison.Ordinal));

        // The pilots run now and count against the one demand: nothing more next tick.
        var again = await Engine(options, components).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.All(again.Pools, p => Assert.Empty(p.Submitted));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task A_crash_loop_pauses_once_with_one_quiet_line_exits_3_and_recovers_after_resume()
    {
        // Issue 17: real local pilots that fail at once; the console is the one `tick -q` has.
        var failing = Path.Combine(_dir, "failing-pilot.sh");
        File.WriteAllText(failing, "#!/bin/sh\n# pool {{pool}}\nexit 1\n");
        var pool = Pool("crash", Database("crash", 20)) with { Template = failing, Policy = new PolicyOptions { CrashLoopThreshold = 2 } };
        var options = Options(0, pool);
        var console = new StringWriter();
        using var loggers = Autopilot.Logging.AutopilotLogging.Create(new LogOptions { File = false }, null, verbose: false, quiet: true, console, journal: false);
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        async Task<TickReport> Tick() =>
            await new TickEngine(options, components, TimeProvider.System, loggers.CreateLogger<TickEngine>()).RunAsync(new TickRequest(), CancellationToken.None);

        var first = await Tick();
        Assert.Equal(TickReport.ExitOk, first.ExitCode);
        Assert.Equal(2, first.Pools[0].Submitted.Count);
        await WaitUntilEndedAsync(options, pool);

        var pausing = await Tick();
        var still = await Tick();

        Assert.Equal((TickReport.ExitPoolPaused, EventKinds.CrashLoopPause), (pausing.ExitCode, pausing.Pools[0].PausedBy));
        Assert.Equal(TickReport.ExitPoolPaused, still.ExitCode);
        Assert.Single(console.ToString().Split('\n'), l => l.Contains("pool crash: paused by the crash-loop rule: crash loop: 2 pilots in a row failed", StringComparison.Ordinal));
        await using (var store = await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None))
        {
            var events = await store.EventsAsync(DateTimeOffset.UtcNow.AddMinutes(-5), "crash", CancellationToken.None);
            Assert.Single(events, e => e.Kind == EventKind.CrashLoop);
            var memory = await store.LoadMemoryAsync("crash", CancellationToken.None);
            await store.SaveMemoryAsync("crash", memory with { CrashLoopReason = null, ConsecutivePilotFailures = 0 }, CancellationToken.None);
        }

        var resumed = await Tick();
        await Tick();

        Assert.Equal(TickReport.ExitOk, resumed.ExitCode);
        Assert.Single(console.ToString().Split('\n'), l => l.Contains("pool crash: recovered: paused by the crash-loop rule until now", StringComparison.Ordinal));
        await using (var store = await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None))
        {
            Assert.Single(await store.EventsAsync(DateTimeOffset.UtcNow.AddMinutes(-5), "crash", CancellationToken.None), e => e.Kind == EventKind.Recovered);
        }
    }

    [Fact]
    public async Task Metrics_drop_a_pool_removed_from_the_configuration_and_keep_a_configured_pool_not_ticked()
    {
        // Issue 17 leftover: a removed pool's series must not look alive, in `run` or in the cron textfile.
        var both = Options(0, Pool("a", Database("a", 0)), Pool("b", Database("b", 0)));
        var onlyA = both with { Pools = [both.Pools[0]] };
        var production = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var folder = Path.Combine(_dir, "textfile");
        var textfile = Path.Combine(folder, Autopilot.Monitoring.AutopilotMetrics.TextfileName);
        Autopilot.Monitoring.AutopilotMetrics Cron()
        {
            var metrics = new Autopilot.Monitoring.AutopilotMetrics(folder);
            metrics.ContinueFrom(textfile);
            return metrics;
        }

        // Cron mode: every tick a new process continuing from the textfile.
        await Engine(both, production with { Metrics = Cron() }).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.Contains("autopilot_pool_up{pool=\"b\"} 1", File.ReadAllText(textfile), StringComparison.Ordinal);
        await Engine(both, production with { Metrics = Cron() }).RunAsync(new TickRequest(Pool: "a"), CancellationToken.None);
        Assert.Contains("autopilot_pool_up{pool=\"b\"} 1", File.ReadAllText(textfile), StringComparison.Ordinal);
        await Engine(onlyA, production with { Metrics = Cron() }).RunAsync(new TickRequest(), CancellationToken.None);
        var text = File.ReadAllText(textfile);
        Assert.DoesNotContain("pool=\"b\"", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_up{pool=\"a\"} 1", text, StringComparison.Ordinal);

        // `run`: one registry; the engine after a reload has the new options.
        var service = new Autopilot.Monitoring.AutopilotMetrics();
        await Engine(both, production with { Metrics = service }).RunAsync(new TickRequest(), CancellationToken.None);
        await Engine(onlyA, production with { Metrics = service }).RunAsync(new TickRequest(), CancellationToken.None);
        Assert.DoesNotContain("pool=\"b\"", await service.ExportAsync(CancellationToken.None), StringComparison.Ordinal);
    }

    private async Task WaitUntilEndedAsync(AutopilotOptions options, PoolOptions pool)
    {
        var local = SchedulerFactory.Create(pool.Scheduler, new ProcessRunner(), StateDir, NullLoggerFactory.Instance, TimeProvider.System);
        for (var i = 0; i < 200; i++)
        {
            var pilots = await local.ListAsync(new PilotQuery([TickEngine.JobName(options, pool)]), CancellationToken.None);
            if (!pilots.Any(p => p.IsActive))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the failing pilots did not end within 10 s");
    }

    /// <summary>Counts listing calls, passing everything through to the real scheduler.</summary>
    private sealed class CountingScheduler(IScheduler inner) : IScheduler
    {
        public int Lists { get; private set; }

        public string Kind => inner.Kind;

        public Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
        {
            Lists++;
            return inner.ListAsync(query, cancellationToken);
        }

        public Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken) => inner.SubmitAsync(request, cancellationToken);

        public Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken) => inner.CancelAsync(pilotIds, cancellationToken);

        public Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken) => inner.OutcomesAsync(query, cancellationToken);

        public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName) => inner.ValidateSettings(options, jobName);

        public Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken) => inner.TestSubmitAsync(request, cancellationToken);
    }

    /// <summary>The narrow seam of a scheduler that refuses submissions (a busy sbatch socket).</summary>
    private sealed class FailingSubmit(IScheduler inner) : IScheduler
    {
        public string Kind => inner.Kind;

        public Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken) => inner.ListAsync(query, cancellationToken);

        public Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken) =>
            throw new SchedulerException("`sbatch ...` exited with 1: Socket timed out on send/recv operation");

        public Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken) => inner.CancelAsync(pilotIds, cancellationToken);

        public Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken) => inner.OutcomesAsync(query, cancellationToken);

        public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName) => inner.ValidateSettings(options, jobName);

        public Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken) => inner.TestSubmitAsync(request, cancellationToken);
    }
}
