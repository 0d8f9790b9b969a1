using System.Text.RegularExpressions;

namespace Autopilot.IntegrationTests.Service;

/// <summary>
/// `autopilot run` as systemd sees it: the real apphost, a real $NOTIFY_SOCKET datagram socket, a
/// HyperShell SQLite task database and the local scheduler, ticking every second.
/// </summary>
public sealed class RunNotifyTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Ready_status_per_tick_watchdog_at_half_the_interval_then_stopping_on_SIGTERM_and_exit_0()
    {
        using var site = new ServiceSite("apsvc-", pendingTasks: 3);
        using var notify = new NotifyListener(site.Dir);
        site.WriteConfig(site.Config(site.StateDir(), ["main"], maxPilots: 1));
        using var run = AutopilotProcess.Start(
            ["run", "--config", site.ConfigPath],
            new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.SocketPath, ["WATCHDOG_USEC"] = "2000000" });

        var ready = await notify.WaitForAsync("READY=1", Startup);
        var first = await notify.WaitForAsync("STATUS=main:", TimeSpan.FromSeconds(20), ready.At);
        Assert.Equal("STATUS=main: demand 3, 0 queued, 0 running, submitted 1", first.Message);

        // Watchdog: WATCHDOG_USEC=2000000 means a ping every second. Count over 6 s from here.
        var from = notify.Now;
        await Task.Delay(TimeSpan.FromSeconds(6));
        var to = notify.Now;
        var pings = notify.With("WATCHDOG=1").Where(n => n.At >= from && n.At < to).ToList();
        Assert.True(pings.Count is >= 4 and <= 8, $"expected about 6 watchdog pings in {(to - from).TotalSeconds:0.0} s, got {pings.Count}:\n{notify.Transcript()}");
        var gaps = pings.Zip(pings.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).ToList();
        Assert.True(gaps.Average() is > 0.7 and < 1.4, $"mean watchdog gap {gaps.Average():0.00} s, want about 1 s:\n{notify.Transcript()}");

        await run.SignalAsync("TERM");
        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"exit code {exit}; output:\n{run.Output}");
        var received = notify.Received;
        Assert.Equal("STOPPING=1", received[^1].Message);
        Assert.Single(received, n => n.Message == "READY=1");

        // One STATUS per tick: every tick logs one line for the pool and sends one STATUS line.
        var tickStatuses = received.Count(n => n.Message.StartsWith("STATUS=main: demand 3", StringComparison.Ordinal));
        var tickLogs = run.Lines.Count(l => l.Contains("pool main: demand 3", StringComparison.Ordinal));
        Assert.True(tickLogs >= 5, $"only {tickLogs} ticks in over 6 s:\n{run.Output}");
        Assert.Equal(tickLogs, tickStatuses);
        // After the first tick the one pilot is there (starting or running): nothing is submitted twice.
        Assert.All(
            received.Where(n => n.At > first.At && n.Message.StartsWith("STATUS=main", StringComparison.Ordinal)),
            n => Assert.Matches(@"^STATUS=main: demand 3, (0 queued, 1 running|1 queued, 0 running)$", n.Message));
        Assert.Contains(run.Lines, l => Regex.IsMatch(l, @"service stopped after \d+ tick\(s\)"));
    }

    [Fact]
    public async Task SIGHUP_with_a_broken_file_keeps_the_old_config_and_logs_every_error_then_a_good_file_takes_effect()
    {
        using var site = new ServiceSite("apsvc-", pendingTasks: 2);
        using var notify = new NotifyListener(site.Dir);
        var stateDir = site.StateDir();
        var good = site.Config(stateDir, ["main"], maxPilots: 1);
        site.WriteConfig(good);
        using var run = AutopilotProcess.Start(["run", "--config", site.ConfigPath], new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notify.SocketPath });
        var ready = await notify.WaitForAsync("READY=1", Startup);
        await notify.WaitForAsync("STATUS=main:", TimeSpan.FromSeconds(20), ready.At);

        // Three errors a reader can only find by line: a bad type, a bad walltime, a bad count.
        var broken = site.Config(stateDir, ["main"], maxPilots: 1, extraTop: "max_pilots = \"lots\"", tasksPerPilot: -3)
            .Replace("walltime = \"00:30:00\"", "walltime = \"forever\"", StringComparison.Ordinal);
        site.WriteConfig(broken);
        var brokenLines = broken.Split('\n');
        int LineOf(string text) => Array.FindIndex(brokenLines, l => l.Trim() == text) + 1;
        var expected = new[]
        {
            $"reload: {site.ConfigPath}:{LineOf("max_pilots = \"lots\"")}:1: max_pilots: ",
            $"reload: {site.ConfigPath}:{LineOf("walltime = \"forever\"")}:1: pool:0:scheduler:walltime: ",
            $"reload: {site.ConfigPath}:{LineOf("tasks_per_pilot = -3")}:1: pool:0:limits:tasks_per_pilot: ",
        };
        Assert.All(expected, e => Assert.DoesNotContain(":0:1:", e, StringComparison.Ordinal));

        var beforeHup = notify.Now;
        await run.SignalAsync("HUP");
        var reloading = await notify.WaitForAsync("RELOADING=1", TimeSpan.FromSeconds(20), beforeHup);
        Assert.Matches(@"^RELOADING=1\nMONOTONIC_USEC=\d+$", reloading.Message);
        var readyAgain = await notify.WaitForAsync("READY=1", TimeSpan.FromSeconds(20), reloading.At);
        await run.WaitForLineAsync("error(s); keeping the old one", TimeSpan.FromSeconds(10));
        foreach (var line in expected)
        {
            Assert.Contains(run.Lines, l => l.Contains(line, StringComparison.Ordinal));
        }

        Assert.Contains(run.Lines, l => l.Contains("reload: the new configuration has 3 error(s); keeping the old one", StringComparison.Ordinal));

        // The old configuration keeps ticking, and STATUS says the reload was rejected.
        var after = await notify.WaitForAsync("STATUS=main: demand 2", TimeSpan.FromSeconds(20), readyAgain.At);
        Assert.Contains("reload rejected", after.Message, StringComparison.Ordinal);

        // The log file under <state_dir>/logs has every error too (the journal is not the only record).
        var logFile = Directory.GetFiles(Path.Combine(stateDir, "logs")).Single();
        var logged = await ReadSharedAsync(logFile);
        Assert.All(expected, e => Assert.Contains(e, logged, StringComparison.Ordinal));

        // A good changed file: a second pool appears.
        site.WriteConfig(site.Config(stateDir, ["main", "extra"], maxPilots: 1));
        var beforeGood = notify.Now;
        await run.SignalAsync("HUP");
        var reloading2 = await notify.WaitForAsync("RELOADING=1", TimeSpan.FromSeconds(20), beforeGood);
        var ready2 = await notify.WaitForAsync("READY=1", TimeSpan.FromSeconds(20), reloading2.At);
        var both = await notify.WaitForAsync("STATUS=main:", TimeSpan.FromSeconds(20), ready2.At, m => m.Contains("; extra: demand 2", StringComparison.Ordinal));
        Assert.DoesNotContain("reload rejected", both.Message, StringComparison.Ordinal);
        await run.WaitForLineAsync("reload: configuration reloaded: schedule '*/1 * * * * *', 2 pool(s)", TimeSpan.FromSeconds(5));

        // No WATCHDOG_USEC, no pings.
        Assert.Empty(notify.With("WATCHDOG=1"));

        await run.SignalAsync("TERM");
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("STOPPING=1", notify.Received[^1].Message);
    }

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }
}
