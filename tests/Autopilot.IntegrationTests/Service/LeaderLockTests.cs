using Xunit.Abstractions;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.Service;

/// <summary>
/// Two `autopilot run` controllers and the real PostgreSQL advisory lock. Each has its OWN state
/// directory, as on two login nodes with local disks: then the tick file lock cannot serialise
/// them, so only the leader lock stands between them and a double action. A controller that acted
/// without the lock would show it at once: a tick line in its log and STATUS, and a pilot of its
/// own (its local scheduler cannot see the other's pilots).
/// </summary>
public sealed class LeaderLockTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Exactly_one_of_two_controllers_acts_and_the_standby_takes_over_within_a_tick_after_kill_9()
    {
        using var site = new ServiceSite("apsvc-", pendingTasks: 1);
        var lockName = TestServices.UniqueName("apsvc-leader-");
        var leader = $$"""
            [leader]
            enabled = true
            name = "{{lockName}}"
            [leader.postgres]
            host = "{{TestServices.PgHost}}"
            port = {{TestServices.PgPort}}
            database = "{{TestServices.PgDatabase}}"
            user = "{{TestServices.PgUser}}"
            password_file = "{{TestServices.PgPasswordFile}}"
            connect_timeout = "5s"
            """;
        await using (await TestServices.OpenPostgresAsync(default))
        {
            // Fails here, with how to start it, when PostgreSQL is not there.
        }

        var configA = site.WriteConfig(site.Config(site.StateDir("a"), ["main"], extraTop: leader), Path.Combine(site.Dir, "a.toml"));
        var configB = site.WriteConfig(site.Config(site.StateDir("b"), ["main"], extraTop: leader), Path.Combine(site.Dir, "b.toml"));
        var socketA = Directory.CreateDirectory(Path.Combine(site.Dir, "sa")).FullName;
        var socketB = Directory.CreateDirectory(Path.Combine(site.Dir, "sb")).FullName;
        using var notifyA = new NotifyListener(socketA);
        using var notifyB = new NotifyListener(socketB);

        using var a = AutopilotProcess.Start(["run", "--config", configA], new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notifyA.SocketPath });
        await notifyA.WaitForAsync("STATUS=main: demand 1, 0 queued, 0 running, submitted 1", Startup);
        using var b = AutopilotProcess.Start(["run", "--config", configB], new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notifyB.SocketPath });
        var bReady = await notifyB.WaitForAsync("READY=1", Startup);

        // Both running for several ticks: A acts on each, B on none.
        var overlapFrom = notifyB.Now;
        await notifyB.WaitForAsync("STATUS=standby:", TimeSpan.FromSeconds(20), bReady.At);
        await Task.Delay(TimeSpan.FromSeconds(4));
        var bStatuses = notifyB.With("STATUS=").Where(n => n.At > bReady.At).ToList();
        Assert.True(bStatuses.Count(n => n.Message.StartsWith("STATUS=standby:", StringComparison.Ordinal)) >= 3, notifyB.Transcript());
        Assert.All(bStatuses.Skip(1), n => Assert.Equal($"STATUS=standby: another controller holds leader lock '{lockName}'", n.Message));
        Assert.DoesNotContain(b.Lines, l => l.Contains("pool main:", StringComparison.Ordinal));
        await b.WaitForLineAsync($"standby: leader lock '{lockName}' is held by another controller", TimeSpan.FromSeconds(5));
        Assert.False(File.Exists(Path.Combine(site.StateDir("b"), "local")), "the standby started a pilot");
        var aTicks = notifyA.With("STATUS=main:").Count;
        Assert.True(aTicks >= 4, $"the leader ticked {aTicks} times:\n{notifyA.Transcript()}");
        Assert.All(notifyA.With("STATUS=").Skip(2), n => Assert.StartsWith("STATUS=main: demand 1", n.Message, StringComparison.Ordinal));

        // kill -9 the leader: no goodbye, PostgreSQL drops its session and the lock with it.
        var killedAt = notifyB.Now;
        a.KillHard();
        var took = await notifyB.WaitForAsync("STATUS=main:", TimeSpan.FromSeconds(20), killedAt);
        var standbyTicksAfterKill = notifyB.With("STATUS=standby:").Count(n => n.At > killedAt && n.At < took.At);
        Assert.True(standbyTicksAfterKill <= 1, $"B stayed standby for {standbyTicksAfterKill} ticks after the kill:\n{notifyB.Transcript()}");
        Assert.True(took.At - killedAt < TimeSpan.FromSeconds(4), $"B took over {(took.At - killedAt).TotalSeconds:0.0} s after the kill:\n{notifyB.Transcript()}");
        output.WriteLine($"kill -9 of the leader -> standby acted after {(took.At - killedAt).TotalSeconds:0.00} s ({standbyTicksAfterKill} standby tick(s) in between)");
        Assert.Equal("STATUS=main: demand 1, 0 queued, 0 running, submitted 1", took.Message);
        // The notify socket can deliver STATUS before the test has read the log line written just before it.
        await b.WaitForLineAsync($"leader: this controller holds leader lock '{lockName}' and acts", TimeSpan.FromSeconds(5));

        // A comes back: now it is the standby, and a clean stop of B hands over at once.
        using var notifyA2 = new NotifyListener(Directory.CreateDirectory(Path.Combine(site.Dir, "sa2")).FullName);
        using var a2 = AutopilotProcess.Start(["run", "--config", configA], new Dictionary<string, string?> { ["NOTIFY_SOCKET"] = notifyA2.SocketPath });
        var a2Standby = await notifyA2.WaitForAsync("STATUS=standby:", Startup);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty(notifyA2.With("STATUS=main:"));
        var stoppedAt = notifyA2.Now;
        await b.SignalAsync("TERM");
        Assert.Equal(0, await b.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var a2Took = await notifyA2.WaitForAsync("STATUS=main:", TimeSpan.FromSeconds(20), stoppedAt);
        output.WriteLine($"SIGTERM of the leader -> standby acted after {(a2Took.At - stoppedAt).TotalSeconds:0.00} s");
        Assert.True(a2Took.At - stoppedAt < TimeSpan.FromSeconds(4), notifyA2.Transcript());
        Assert.True(a2Standby.At < stoppedAt);

        // Every tick that acted, by either controller, was while it alone held the lock.
        Assert.DoesNotContain(notifyB.With("STATUS=main:"), n => n.At < killedAt);
        Assert.True(overlapFrom < killedAt);
        await a2.SignalAsync("TERM");
        Assert.Equal(0, await a2.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }
}
