using System.Globalization;
using System.Text.Json;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.State;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd.HyperShell;

/// <summary>
/// Issue 16 "done means": real HyperShell clients in real Slurm and Grid Engine pilots run tasks and
/// then idle until their idle timeout; `autopilot tick` as cron would run it; then `report --format
/// json`. Its pilot time must equal what sacct / qacct say for the same jobs (within 1 %), and its
/// busy time what HyperShell's own task table says.
/// </summary>
public sealed class AccountingWithHyperShellTests(ITestOutputHelper output)
{
    private const int Tasks = 6;

    [Fact]
    public async Task Slurm_report_pilot_time_agrees_with_sacct_and_busy_time_with_the_task_table()
    {
        var pool = await RunAsync("slurm", async ids =>
        {
            // No slurmdbd on the test cluster: sacct -c (the job completion log), as Autopilot reads it.
            var sacct = await TestServices.RunAsync("sacct", ["-c", "--parsable2", "--noheader", "-X", "-j", string.Join(',', ids), "--format=JobID,Start,End"],
                new Dictionary<string, string?> { ["SLURM_TIME_FORMAT"] = "standard" });
            return sacct.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('|'))
                .ToDictionary(f => f[0], f => (DateTime.Parse(f[2], CultureInfo.InvariantCulture) - DateTime.Parse(f[1], CultureInfo.InvariantCulture)).TotalSeconds);
        });
        await using (pool)
        {
            // The budget says where its usage comes from, and the optional sshare cross-check says
            // that this Slurm (no slurmdbd) keeps no usage of its own.
            var config = File.ReadAllText(pool.Harness.ConfigPath).Replace("[pool.scheduler]\n", "[pool.scheduler]\naccount = \"acct-check\"\n", StringComparison.Ordinal);
            File.WriteAllText(pool.Harness.ConfigPath, config + "[pricing]\ncore_hour = 1\n[budget.pool.main]\namount = 1000\n[accounting]\nscheduler_usage_check = true\n");
            var plan = await pool.PlanAsync();
            Assert.StartsWith("Autopilot's own accounting", EndToEndHarness.Fact(plan, "budget_usage_from"), StringComparison.Ordinal);
            Assert.Equal("sshare shows no usage for account acct-check: this Slurm keeps no usage (no slurmdbd, or the account is unknown to it)", EndToEndHarness.Fact(plan, "budget_scheduler_check"));
        }
    }

    [Fact]
    public async Task Grid_engine_report_pilot_time_agrees_with_qacct_and_busy_time_with_the_task_table()
    {
        await using var pool = await RunAsync("sge", async ids =>
        {
            var seconds = new Dictionary<string, double>();
            foreach (var id in ids)
            {
                var qacct = await TestServices.RunAsync("qacct", ["-j", id], TestServices.SgeEnvironment);
                var f = qacct.StandardOutput.Split('\n').Select(l => l.Split(' ', 2, StringSplitOptions.TrimEntries)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
                DateTime Time(string key) => DateTime.ParseExact(string.Join(' ', f[key].Split(' ', StringSplitOptions.RemoveEmptyEntries)), "ddd MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture);
                seconds[id] = (Time("end_time") - Time("start_time")).TotalSeconds;
            }

            return seconds;
        });
    }

    /// <summary>The scenario; returns the pool (the caller disposes it) for further checks.</summary>
    private async Task<HyperShellPool> RunAsync(string kind, Func<IReadOnlyList<string>, Task<Dictionary<string, double>>> schedulerSeconds)
    {
        var harness = new EndToEndHarness();
        var pool = new HyperShellPool(harness, await HyperShellSite.StartSqliteAsync(harness.Dir));
        try
        {
            await ScenarioAsync(pool, kind, schedulerSeconds);
            return pool;
        }
        catch
        {
            await pool.DisposeAsync();
            throw;
        }
    }

    private async Task ScenarioAsync(HyperShellPool pool, string kind, Func<IReadOnlyList<string>, Task<Dictionary<string, double>>> schedulerSeconds)
    {
        var harness = pool.Harness;
        // One pilot per submission (no array), two at most, three tasks each: each pilot runs tasks
        // for about 6 s, then idles 4 s before its client exits.
        pool.Configure(new HsPoolSettings { Kind = kind, MaxPilots = 2, MaxQueued = 2, MaxSubmitPerTick = 1, TasksPerPilot = 3, IdleTimeout = "4s", ScaleToZeroAfter = "5s" });
        await pool.Site.SubmitAsync(Tasks, prefix: "acct", sleepSeconds: 2);

        var loop = await pool.TickUntilAsync(
            async () => (await pool.Site.TasksAsync()) is { Count: Tasks } rows && rows.All(r => r.Completed) && (await pool.PilotsAsync()).Count == 0,
            TimeSpan.FromSeconds(150),
            $"all {Tasks} tasks finished and no pilot left");
        var ids = loop.Submitted;
        Assert.NotEmpty(ids);

        // The ticks after the pilots left complete their rows from the scheduler's accounting.
        await pool.TickUntilAsync(
            async () =>
            {
                await using var store = await SqliteStateStore.OpenAsync(harness.StateDir, CancellationToken.None);
                var rows = await store.OpenPilotsAsync(EndToEndHarness.Pool, ids, CancellationToken.None);
                return rows.Count == ids.Count && rows.All(r => r.TimesFrom is not null);
            },
            TimeSpan.FromSeconds(60),
            "every pilot row completed from the scheduler's accounting");

        var report = await pool.RunAsync("report", "--since", "1h", "--format", "json");
        Assert.True(report.ExitCode == 0, report.ToString());
        var total = report.Json().GetProperty("total");
        var scheduler = await schedulerSeconds(ids);
        Assert.Equal(ids.Order(), scheduler.Keys.Order());
        var reported = total.GetProperty("pilot_seconds").GetDouble();
        var expected = scheduler.Values.Sum();
        output.WriteLine($"{kind}: {ids.Count} pilots ({string.Join(", ", ids)}), report {reported} s, scheduler {expected} s; busy {total.GetProperty("busy_seconds")} s, tasks {total.GetProperty("tasks")}, efficiency {total.GetProperty("efficiency")}");
        Assert.True(expected > 0 && Math.Abs(reported - expected) <= 0.01 * expected, $"report {reported} s, scheduler {expected} s");

        // Busy time: the union of each client's task intervals, from HyperShell's task table.
        var table = await BusyFromTaskTableAsync(pool.Site.DbFile);
        var busy = total.GetProperty("busy_seconds").GetDouble();
        Assert.True(Math.Abs(busy - table) <= Math.Max(0.05, 0.01 * table), $"report busy {busy} s, task table {table} s");
        Assert.Equal(Tasks, total.GetProperty("tasks").GetInt32());
        var efficiency = total.GetProperty("efficiency").GetDouble();
        Assert.InRange(efficiency, 0.01, 0.99); // the pilots idled before they left

        // One pilot's lifetime names its HyperShell client and its share of the tasks.
        var pilots = new List<JsonElement>();
        foreach (var id in ids)
        {
            var one = await pool.RunAsync("report", "--pilot", id, "--format", "json");
            Assert.True(one.ExitCode == 0, one.ToString());
            pilots.Add(one.Json());
        }

        Assert.Equal(Tasks, pilots.Sum(p => p.GetProperty("tasks").GetInt32()));
        Assert.All(pilots.Where(p => p.GetProperty("tasks").GetInt32() > 0), p => Assert.Matches("^[0-9a-f-]{36}$", p.GetProperty("client_id").GetString()!));
        // Slurm without slurmdbd: Autopilot reads the job completion log file; the test checked it against sacct -c.
        Assert.All(pilots, p => Assert.Equal(kind == "sge" ? "qacct" : "jobcomp log", p.GetProperty("times_from").GetString()));
    }

    private static async Task<double> BusyFromTaskTableAsync(string dbFile)
    {
        var byClient = new Dictionary<string, List<(DateTime Start, DateTime End)>>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT client_id, start_time, completion_time FROM task WHERE start_time IS NOT NULL";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var client = reader.GetString(0);
            (byClient.TryGetValue(client, out var list) ? list : byClient[client] = []).Add(
                (DateTime.Parse(reader.GetString(1), CultureInfo.InvariantCulture), DateTime.Parse(reader.GetString(2), CultureInfo.InvariantCulture)));
        }

        double seconds = 0;
        foreach (var intervals in byClient.Values)
        {
            DateTime? start = null, end = null;
            foreach (var (s, e) in intervals.OrderBy(i => i.Start))
            {
                if (end is { } open && s <= open)
                {
                    end = e > open ? e : open;
                    continue;
                }

                seconds += start is { } a && end is { } b ? (b - a).TotalSeconds : 0;
                (start, end) = (s, e);
            }

            seconds += start is { } a2 && end is { } b2 ? (b2 - a2).TotalSeconds : 0;
        }

        return seconds;
    }
}
