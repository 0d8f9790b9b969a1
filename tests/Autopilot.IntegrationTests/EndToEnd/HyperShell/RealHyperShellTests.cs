using System.Diagnostics;
using Autopilot.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd.HyperShell;

/// <summary>
/// Issue 19: the real HyperShell 2.8.2 end to end. A site's `hs server` (TLS with its own
/// certificate, an auth key, SQLite or PostgreSQL) started by the test, tasks submitted with
/// `hs submit`, `autopilot tick` in a loop as cron would run it, and real `hs client`s inside real
/// Slurm (or Grid Engine) pilots rendered from the shipped templates. What happened is read from
/// HyperShell's own database and from the tasks' own trace (each appends its name to ran.txt).
/// </summary>
public sealed class RealHyperShellTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(100);

    private static async Task<HyperShellPool> SqlitePoolAsync()
    {
        var harness = new EndToEndHarness();
        return new HyperShellPool(harness, await HyperShellSite.StartSqliteAsync(harness.Dir));
    }

    [Fact]
    public async Task Sqlite_30_tasks_run_once_each_on_clients_in_slurm_pilots_and_the_pool_returns_to_zero()
    {
        await using var pool = await SqlitePoolAsync();
        await RunToCompletionAsync(pool, new HsPoolSettings(), tasks: 30, "SQLite, Slurm");
    }

    [Fact]
    public async Task Postgres_20_tasks_run_once_each_on_clients_in_slurm_pilots_and_the_pool_returns_to_zero()
    {
        var harness = new EndToEndHarness();
        await using var pool = new HyperShellPool(harness, await HyperShellSite.StartPostgresAsync(harness.Dir));
        await RunToCompletionAsync(pool, new HsPoolSettings(), tasks: 20, "PostgreSQL, Slurm");
    }

    [Fact]
    public async Task Grid_engine_10_tasks_run_once_each_on_clients_in_sge_pilots_and_the_pool_returns_to_zero()
    {
        await using var pool = await SqlitePoolAsync();
        await RunToCompletionAsync(pool, new HsPoolSettings { Kind = "sge" }, tasks: 10, "SQLite, Grid Engine");
    }

    /// <summary>
    /// The scenario every backend and scheduler goes through: N tasks, ticks until every task is
    /// finished and no pilot is left, then what HyperShell recorded, the limits, the secrets and `logs`.
    /// </summary>
    private async Task RunToCompletionAsync(HyperShellPool pool, HsPoolSettings settings, int tasks, string what)
    {
        var clock = Stopwatch.StartNew();
        pool.Configure(settings);
        await pool.Site.SubmitAsync(tasks, sleepSeconds: 0.2);
        var secretsChecked = false;

        var loop = await pool.TickUntilAsync(
            async () =>
            {
                if (!secretsChecked && pool.PilotProcesses().Any(p => p.Cmdline.Contains(" client ", StringComparison.Ordinal)))
                {
                    AssertNoSecretReachesThePilots(pool);
                    secretsChecked = true;
                }

                var rows = await pool.Site.TasksAsync();
                return rows.Count == tasks && rows.All(r => r.Completed) && (await pool.PilotsAsync()).Count == 0;
            },
            Budget,
            $"all {tasks} tasks finished and no pilot left");

        output.WriteLine($"{what}: {tasks} tasks, {loop.Ticks} ticks, {loop.Submitted.Count} pilots submitted, at most {loop.MostPilots} at once, {loop.Took.TotalSeconds:0.0} s to zero pilots");
        Assert.True(secretsChecked, "no pilot process with a running hs client was ever seen");

        // HyperShell's own record: every task once, one attempt, exit 0.
        var rows = await pool.Site.TasksAsync();
        Assert.Equal(tasks, rows.Count);
        Assert.All(rows, r => Assert.True(r.ExitStatus == 0 && r.Attempt == 1 && r.Completed, $"{r.Id} {r.Args}: exit {r.ExitStatus}, attempt {r.Attempt}"));
        // The tasks' own trace: each ran exactly once.
        var ran = pool.Site.Ran();
        Assert.Equal(Enumerable.Range(1, tasks).Select(i => $"t{i}").Order(StringComparer.Ordinal), ran.Order(StringComparer.Ordinal));

        // Limits, and the way back to zero.
        Assert.InRange(loop.MostPilots, 1, settings.MaxPilots);
        Assert.InRange(loop.Submitted.Count, 1, tasks);
        Assert.Empty(await pool.PilotsAsync());
        var plan = await pool.PlanAsync();
        Assert.Equal("no", EndToEndHarness.Fact(plan, "crash_loop"));

        // The files the pilots were made of and wrote carry no key and no password.
        AssertNoSecretIn(pool, pool.Harness.StateDir);

        // `autopilot logs` shows what one task printed, captured by our own pilot's client (--capture).
        var one = rows.First(r => r.Args.Contains("out-t3", StringComparison.Ordinal));
        Assert.NotNull(one.Outpath);
        var logs = await pool.RunAsync("logs", one.Id);
        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains("out-t3", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("err-t3", logs.Stdout, StringComparison.Ordinal);
        output.WriteLine($"{what}: whole scenario {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private static void AssertNoSecretReachesThePilots(HyperShellPool pool)
    {
        var pilots = pool.PilotProcesses();
        Assert.NotEmpty(pilots);
        foreach (var (pid, environ, cmdline) in pilots)
        {
            Assert.False(environ.Contains(pool.Site.Key, StringComparison.Ordinal), $"pilot process {pid} ({cmdline}) has the auth key in its environment");
            Assert.False(cmdline.Contains(pool.Site.Key, StringComparison.Ordinal), $"pilot process {pid} has the auth key on its command line");
            Assert.DoesNotContain("HYPERSHELL_SERVER_AUTH", environ, StringComparison.Ordinal);
            if (pool.Site.PgPassword is { } password)
            {
                Assert.False(environ.Contains(password, StringComparison.Ordinal) || cmdline.Contains(password, StringComparison.Ordinal),
                    $"pilot process {pid} ({cmdline}) has the PostgreSQL password");
            }
        }

        Assert.DoesNotContain(HyperShellPool.AllCommandLines(), c => c.Contains(pool.Site.Key, StringComparison.Ordinal));
    }

    private static void AssertNoSecretIn(HyperShellPool pool, string folder)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".db", StringComparison.Ordinal)).ToList();
        Assert.Contains(files, f => f.StartsWith(pool.ScriptsDir, StringComparison.Ordinal));
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains(pool.Site.Key, StringComparison.Ordinal), $"{file} holds the auth key");
            Assert.False(pool.Site.PgPassword is { } p && text.Contains(p, StringComparison.Ordinal), $"{file} holds the PostgreSQL password");
        }
    }

    [Fact]
    public async Task Short_bursts_whose_pilots_idle_out_in_seconds_never_pause_the_pool()
    {
        // Issue 19, item 1: "last: pilot 72 COMPLETED, exit 0, ran 33s" paused a healthy pool.
        // One pilot per burst, each done and gone well within min_pilot_runtime (1m).
        await using var pool = await SqlitePoolAsync();
        pool.Configure(new HsPoolSettings { MaxPilots = 1, MaxQueued = 1, MaxSubmitPerTick = 1, IdleTimeout = "3s" });
        var clock = Stopwatch.StartNew();
        var pilots = new List<string>();
        for (var burst = 1; burst <= 3; burst++)
        {
            var prefix = $"b{burst}-";
            await pool.Site.SubmitAsync(2, prefix);
            var loop = await pool.TickUntilAsync(
                async () => (await pool.Site.TasksAsync()).All(r => r.Completed) && (await pool.PilotsAsync()).Count == 0,
                TimeSpan.FromSeconds(60),
                $"burst {burst} done and its pilot gone");
            Assert.NotEmpty(loop.Submitted);
            pilots.AddRange(loop.Submitted);
        }

        // Every pilot's end is in accounting, and a tick has read it.
        foreach (var id in pilots)
        {
            await pool.Harness.WaitEndedAsync(id);
        }

        var last = await pool.RunAsync("tick", "-v");
        Assert.True(last.ExitCode == 0, last.ToString());
        var plan = await pool.PlanAsync();
        output.WriteLine($"3 bursts of 2 tasks, {pilots.Count} pilots ({string.Join(", ", pilots)}), {clock.Elapsed.TotalSeconds:0.0} s; plan: crash_loop {EndToEndHarness.Fact(plan, "crash_loop")}, pilot_failures {EndToEndHarness.Fact(plan, "pilot_failures")}");
        Assert.InRange(pilots.Count, 3, 6);
        Assert.Equal("no", EndToEndHarness.Fact(plan, "crash_loop"));
        Assert.Equal("0", EndToEndHarness.Fact(plan, "pilot_failures"));
        Assert.NotEqual("Paused", plan.GetProperty("rule").GetString());
        Assert.Equal(6, pool.Site.Ran().Count);
    }

    [Fact]
    public async Task A_broken_hs_path_fails_each_pilot_and_pauses_the_pool()
    {
        await using var pool = await SqlitePoolAsync();
        pool.Configure(new HsPoolSettings { HsCommand = "/nonexistent/bin/hs", MaxSubmitPerTick = 1 });
        await pool.Site.SubmitAsync(10);
        var clock = Stopwatch.StartNew();

        var loop = await pool.TickUntilAsync(
            async () => (await pool.PlanAsync()).GetProperty("rule").GetString() == "Paused",
            Budget,
            "the pool paused by the crash-loop detector");

        var plan = await pool.PlanAsync();
        var reason = EndToEndHarness.Fact(plan, "crash_loop");
        output.WriteLine($"broken hs: paused after {loop.Ticks} ticks, {loop.Submitted.Count} pilots, {clock.Elapsed.TotalSeconds:0.0} s: {reason}");
        Assert.StartsWith("crash loop: 3 pilots in a row failed", reason, StringComparison.Ordinal);
        Assert.Contains("exit 127", reason, StringComparison.Ordinal);
        Assert.InRange(loop.Submitted.Count, 3, 5);
        Assert.Empty(pool.Site.Ran());
        // Paused: the next tick submits nothing although all 10 tasks wait.
        var after = await pool.RunAsync("tick", "-v");
        Assert.True(after.ExitCode == Autopilot.Engine.TickReport.ExitPoolPaused, after.ToString());
        Assert.Empty(EndToEndHarness.SubmittedIds(after));
    }

    [Fact]
    public async Task Tasks_removed_mid_run_cancel_the_queued_pilots_after_scale_to_zero_and_the_running_ones_idle_out()
    {
        await using var pool = await SqlitePoolAsync();
        // Pilots wait for a start an hour ahead until the test starts them: 2 run, 2 stay queued.
        pool.Configure(new HsPoolSettings { MaxPilots = 4, MaxQueued = 4, MaxSubmitPerTick = 4, ScaleToZeroAfter = "5s", ExtraArgs = EndToEndHarness.StayQueued });
        await pool.Site.SubmitAsync(20, sleepSeconds: 1);
        var clock = Stopwatch.StartNew();
        var first = await pool.RunAsync("tick", "-v");
        Assert.True(first.ExitCode == 0, first.ToString());
        var submitted = EndToEndHarness.SubmittedIds(first);
        Assert.Equal(4, submitted.Count);
        var running = submitted.Take(2).ToList();
        var queued = submitted.Skip(2).ToList();
        await pool.Harness.StartAsync(running);
        await TestServices.WaitUntilAsync(async () => (await pool.Site.TasksAsync()).Any(r => r.Completed), TimeSpan.FromSeconds(60), "a task finished");

        // The work is withdrawn: HyperShell cancels every task not finished yet.
        await pool.Site.HsAsync("update", "--cancel", "--remaining", "--no-confirm");
        var removedAt = clock.Elapsed;
        var loop = await pool.TickUntilAsync(async () => (await pool.PilotsAsync()).Count == 0, Budget, "no pilot left");

        output.WriteLine($"tasks removed at {removedAt.TotalSeconds:0.0} s; pilots {string.Join(", ", submitted)}; cancelled {string.Join(", ", loop.Cancelled)}; zero pilots after {loop.Ticks} more ticks, {clock.Elapsed.TotalSeconds:0.0} s in all; {pool.Site.Ran().Count} tasks ran");
        Assert.Equal(queued.Order(StringComparer.Ordinal), loop.Cancelled.Order(StringComparer.Ordinal));
        var cancelTick = loop.Runs.First(r => EndToEndHarness.CancelledIds(r).Count > 0);
        Assert.Contains("[ScaleToZero:", cancelTick.Stderr, StringComparison.Ordinal);
        Assert.Empty(loop.Submitted);
        // No task ran twice; the running pilots were left to finish and idle out: never a failure.
        Assert.Equal(pool.Site.Ran().Count, pool.Site.Ran().Distinct().Count());
        foreach (var id in running)
        {
            await pool.Harness.WaitEndedAsync(id);
        }

        Assert.True((await pool.RunAsync("tick", "-v")).ExitCode == 0);
        var plan = await pool.PlanAsync();
        Assert.Equal("0", EndToEndHarness.Fact(plan, "pilot_failures"));
        Assert.Equal("no", EndToEndHarness.Fact(plan, "crash_loop"));
    }

    [Fact]
    public async Task Times_hs_wrote_in_another_time_zone_are_shown_right_by_logs()
    {
        // Issue 19, item 4: SQLite holds HyperShell's local clock time; read as UTC it was 9 h off.
        await using var pool = await SqlitePoolAsync();
        pool.Configure(new HsPoolSettings());
        var tokyo = new Dictionary<string, string?> { ["TZ"] = "Asia/Tokyo" };
        await pool.Site.SubmitAsync(1, "tz", extra: tokyo);
        var id = Assert.Single(await pool.Site.TasksAsync()).Id;

        var logs = await pool.RunAsync(tokyo, "logs", id, "--json");

        Assert.True(logs.ExitCode == 0, logs.ToString());
        var submitted = logs.Json().GetProperty("task").GetProperty("submit_time").GetDateTimeOffset();
        Assert.InRange(submitted, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddSeconds(5));
    }
}
