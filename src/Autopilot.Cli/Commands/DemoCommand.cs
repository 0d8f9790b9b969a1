using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Logging;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Autopilot.Hosting;

namespace Autopilot.Cli.Commands;

/// <summary>
/// `autopilot demo`: a self-running tour on embedded defaults. A HyperShell-schema SQLite task
/// database with a few hundred short tasks, the local scheduler, and demo pilots that really
/// consume those tasks; ticks every few seconds until the pool has scaled out and back to zero.
/// </summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var tasks = new Option<int>("--tasks") { Description = "Tasks to put in the demo database", DefaultValueFactory = _ => 300 };
        var taskSeconds = new Option<double>("--task-seconds") { Description = "How long each demo task takes", DefaultValueFactory = _ => 0.25 };
        var interval = new Option<double>("--interval") { Description = "Seconds between ticks", DefaultValueFactory = _ => 2 };
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary directory (database, state, pilot logs)" };
        var command = new Command("demo", """
            Self-running demo, no cluster needed: creates a HyperShell task database with a few hundred short
            tasks, runs pilots with the local scheduler, and ticks until it has scaled out and back to zero.

            Example: autopilot demo --tasks 200
            """)
        {
            tasks,
            taskSeconds,
            interval,
            keep,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var dir = Directory.CreateTempSubdirectory("autopilot-demo-").FullName;
            var db = Path.Combine(dir, "main.db");
            HyperShellTestDatabase.CreateSqlite(db, HyperShellSchemaVersion.Classic, new HyperShellTaskBatch(HyperShellTaskState.Pending, Math.Max(1, parse.GetValue(tasks))));
            var options = DemoOptions(dir, db, parse.GetValue(taskSeconds));
            using var loggers = AutopilotLogging.Create(options.Log, options.StateDir, parse.GetValue(GlobalOptions.Verbose), quiet: true);
            var time = TimeProvider.System;
            var engine = new TickEngine(options, Composition.Production(new Processes.ProcessRunner(loggers.CreateLogger<Processes.ProcessRunner>()), loggers, time), time, loggers.CreateLogger<TickEngine>());

            output.WriteLine($"demo: {parse.GetValue(tasks)} tasks in {db}; local pilots, {options.Pools[0].Limits.TasksPerPilot} tasks per pilot, at most {options.Pools[0].Limits.MaxPilots} pilots");
            var clock = Stopwatch.StartNew();
            var peak = 0;
            var exit = 0;
            try
            {
                while (clock.Elapsed < TimeSpan.FromSeconds(110))
                {
                    var report = await engine.RunAsync(new TickRequest(), ct);
                    var pool = report.Pools[0];
                    output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0}s] {pool.Summary}");
                    if (!pool.Ok)
                    {
                        exit = 1;
                        break;
                    }

                    var active = pool.Pilots!.Count(p => p.IsActive) + pool.Submitted.Count;
                    peak = Math.Max(peak, active);
                    // Settled once pilots have come and gone with the work done: a small demo that one
                    // pilot covers never scales past one, and that is the policy working, not a stall.
                    if (peak > 0 && pool.Demand!.Tasks == 0 && active == 0)
                    {
                        output.WriteLine($"demo: done in {clock.Elapsed.TotalSeconds:0.0}s: scaled out to {peak} {(peak == 1 ? "pilot" : "pilots")} and back to zero; {Completed(db)} tasks completed");
                        break;
                    }

                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.2, parse.GetValue(interval))), ct);
                }

                if (exit == 0 && clock.Elapsed >= TimeSpan.FromSeconds(110))
                {
                    output.WriteLine("demo: did not settle in time");
                    exit = 1;
                }
            }
            finally
            {
                await CleanupAsync(options, loggers, time, output, dir, parse.GetValue(keep));
            }

            return exit;
        });
        return command;
    }

    /// <summary>Cancels the demo pilots still active and removes (or keeps) the temporary directory.</summary>
    private static async Task CleanupAsync(AutopilotOptions options, ILoggerFactory loggers, TimeProvider time, TextWriter output, string dir, bool keep)
    {
        var cleanup = Schedulers.SchedulerFactory.Create(options.Pools[0].Scheduler, new Processes.ProcessRunner(), options.StateDir, loggers, time);
        var left = await cleanup.ListAsync(new Schedulers.PilotQuery([TickEngine.JobName(options, options.Pools[0])]), CancellationToken.None);
        var ids = left.Where(p => p.IsActive).Select(p => p.Id).ToList();
        if (ids.Count > 0)
        {
            await cleanup.CancelAsync(ids, CancellationToken.None);
        }

        if (keep)
        {
            output.WriteLine($"demo: kept {dir}");
        }
        else
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static AutopilotOptions DemoOptions(string dir, string db, double taskSeconds) => new()
    {
        StateDir = Path.Combine(dir, "state"),
        JobPrefix = "demo",
        Log = new LogOptions { File = false },
        Pools =
        [
            new PoolOptions
            {
                Name = "demo",
                Template = "local/demo-pilot.sh",
                IdleTimeout = TimeSpan.FromSeconds(3),
                TemplateVars = new Dictionary<string, string>
                {
                    ["autopilot"] = Path.Combine(AppContext.BaseDirectory, "autopilot"),
                    ["task_seconds"] = taskSeconds.ToString(CultureInfo.InvariantCulture),
                },
                Demand = new HyperShellOptions { Backend = "sqlite", Path = db },
                Scheduler = new SchedulerOptions { Kind = Schedulers.SchedulerKinds.Local.Name, Walltime = TimeSpan.FromMinutes(30), DrainLead = TimeSpan.FromMinutes(1) },
                Limits = new LimitOptions
                {
                    MinPilots = 0,
                    MaxPilots = 6,
                    TasksPerPilot = 50,
                    MaxQueued = 2,
                    MaxSubmitPerTick = 2,
                    ScaleToZeroAfter = TimeSpan.FromSeconds(4),
                },
                Policy = new PolicyOptions { ScaleInAfter = TimeSpan.FromSeconds(4) },
            },
        ],
    };

    private static long Completed(string db)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM task WHERE completion_time IS NOT NULL AND exit_status = 0";
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}

/// <summary>The demo pilot's worker: claims pending tasks from the demo database, "runs" them, marks them done.</summary>
public static class DemoWorkerCommand
{
    public static Command Build()
    {
        var db = new Option<string>("--db") { Required = true, Description = "HyperShell SQLite database" };
        var idle = new Option<double>("--idle-timeout") { Description = "Exit after this many seconds without a task", DefaultValueFactory = _ => 5 };
        var taskSeconds = new Option<double>("--task-seconds") { Description = "Simulated run time of one task", DefaultValueFactory = _ => 0.25 };
        var command = new Command("demo-worker", "Demo pilot worker used by `autopilot demo` (a stand-in for `hs client`).\n\nExample: autopilot demo-worker --db /tmp/main.db")
        {
            db,
            idle,
            taskSeconds,
        };
        command.Hidden = true;
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(db)!;
            var idleFor = TimeSpan.FromSeconds(parse.GetValue(idle));
            var work = TimeSpan.FromSeconds(parse.GetValue(taskSeconds));
            var clientId = Guid.NewGuid().ToString();
            var host = Environment.MachineName;
            var lastWork = Stopwatch.StartNew();
            var done = 0;
            using var drain = new CancellationTokenSource();
            using var usr1 = System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)10, s =>
            {
                s.Cancel = true;
                drain.Cancel();
            });
            while (!ct.IsCancellationRequested && !drain.IsCancellationRequested && lastWork.Elapsed < idleFor)
            {
                var id = Claim(path, clientId, host);
                if (id is null)
                {
                    await Task.Delay(250, ct);
                    continue;
                }

                await Task.Delay(work, ct);
                Complete(path, id, work);
                done++;
                lastWork.Restart();
            }

            parse.InvocationConfiguration.Output.WriteLine($"demo-worker {clientId}: {done} tasks done, idle for {idleFor.TotalSeconds:0}s: exiting");
            return 0;
        });
        return command;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=30000";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private static string? Claim(string path, string clientId, string host)
    {
        using var connection = Open(path);
        using var tx = connection.BeginTransaction(deferred: false);
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            UPDATE task SET schedule_time = $now, start_time = $now, client_id = $client, client_host = $host
            WHERE id = (SELECT id FROM task WHERE schedule_time IS NULL AND exit_status IS NULL ORDER BY submit_time, id LIMIT 1)
            RETURNING id
            """;
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        cmd.Parameters.AddWithValue("$now", now);
        cmd.Parameters.AddWithValue("$client", clientId);
        cmd.Parameters.AddWithValue("$host", host);
        var id = cmd.ExecuteScalar() as string;
        tx.Commit();
        return id;
    }

    private static void Complete(string path, string id, TimeSpan took)
    {
        using var connection = Open(path);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "UPDATE task SET completion_time = $now, exit_status = 0, duration = $duration WHERE id = $id";
        cmd.Parameters.AddWithValue("$now", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$duration", (long)took.TotalSeconds);
        cmd.Parameters.AddWithValue("$id", id);
        cmd.ExecuteNonQuery();
    }
}
