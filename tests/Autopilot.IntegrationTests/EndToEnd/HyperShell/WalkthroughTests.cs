using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd.HyperShell;

/// <summary>
/// docs/demand-hypershell.md's walkthrough, run as written: its marked shell blocks (site, server,
/// submit) with bash, its autopilot.toml block as the configuration, its autopilot commands, then
/// ticks until every task ran and no pilot is left. Only the site folder, port, host name and
/// partition are replaced, and the idle timeout and scale-to-zero delay shortened to seconds.
/// </summary>
public sealed partial class WalkthroughTests(ITestOutputHelper output)
{
    private const int Tasks = 10;

    [Fact]
    public async Task The_hypershell_walkthrough_runs_from_initdb_to_an_autoscaled_pool_and_back_to_zero()
    {
        var clock = Stopwatch.StartNew();
        await using var harness = new EndToEndHarness();
        var site = Path.Combine(harness.Dir, "srv-hs");
        var port = HyperShellSite.FreePort();
        var doc = await File.ReadAllTextAsync(Path.Combine(TestPaths.Repo, "docs", "demand-hypershell.md"));
        string Block(string name)
        {
            var match = MarkedBlock().Matches(doc).SingleOrDefault(m => m.Groups["name"].Value == name);
            Assert.True(match is not null, $"docs/demand-hypershell.md has no <!-- walkthrough:{name} --> block");
            return match.Groups["body"].Value
                .Replace("/srv/hs", site, StringComparison.Ordinal)
                .Replace("50001", port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("login1.example.org", Dns.GetHostName(), StringComparison.Ordinal)
                .Replace("queue = \"compute\"", $"queue = {EndToEndHarness.Quote(TestServices.SlurmPartition)}", StringComparison.Ordinal)
                .Replace("idle_timeout = \"30s\"", "idle_timeout = \"4s\"", StringComparison.Ordinal)
                .Replace("scale_to_zero_after = \"1m\"", "scale_to_zero_after = \"5s\"", StringComparison.Ordinal);
        }

        var ran = Path.Combine(harness.Dir, "ran.txt");
        await File.WriteAllLinesAsync(Path.Combine(harness.Dir, "tasks.txt"),
            Enumerable.Range(1, Tasks).Select(i => $"sh -c 'echo walk-{i}; echo walk-{i} >> {ran}'"));
        var script = Path.Combine(harness.Dir, "walkthrough.sh");
        await File.WriteAllTextAsync(script, "set -eu\nexport PATH=/usr/local/bin:$PATH\n" + Block("site") + Block("server") + Block("submit"));
        int? serverGroup = null;
        try
        {
            // setsid: the server the script leaves running is in a process group of its own, ended below.
            var setup = await TestServices.Runner.RunAsync(new ProcessSpec("setsid", ["bash", script], WorkingDirectory: harness.Dir, Timeout: TimeSpan.FromSeconds(60)), CancellationToken.None);
            var pidFile = Path.Combine(site, "server.pid");
            if (File.Exists(pidFile))
            {
                serverGroup = ProcessGroupOf(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
            }

            Assert.True(setup.ExitCode == 0, $"walkthrough steps 1-3 -> {setup.ExitCode}\n{setup.StandardOutput}\n{setup.StandardError}");
            await TestServices.WaitUntilAsync(
                () => Task.FromResult(File.Exists(Path.Combine(site, "lib", "tls", "server.crt")) && File.ReadAllText(Path.Combine(site, "server.log")).Contains("Server listening", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(30),
                "hs server started by the walkthrough listening with its certificate");

            await File.WriteAllTextAsync(harness.ConfigPath,
                harness.ConfigHead + "\n" + Block("autopilot.toml"));
            foreach (var line in Block("autopilot").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal("autopilot", words[0]);
                var run = await harness.RunAsync(words[1..]);
                Assert.True(run.ExitCode == 0, run.ToString());
                output.WriteLine(run.Stdout + run.Stderr);
            }

            var db = Path.Combine(site, "lib", "main.db");
            var ticks = 0;
            await TestServices.WaitUntilAsync(
                async () =>
                {
                    await harness.TickAsync();
                    ticks++;
                    await Task.Delay(1000);
                    return await CompletedAsync(db) == Tasks && (await harness.SqueueAsync()).Count == 0;
                },
                TimeSpan.FromSeconds(100),
                $"all {Tasks} walkthrough tasks done and no pilot left");

            Assert.Equal(Enumerable.Range(1, Tasks).Select(i => $"walk-{i}").Order(StringComparer.Ordinal), File.ReadAllLines(ran).Order(StringComparer.Ordinal));
            output.WriteLine($"walkthrough: {Tasks} tasks, {ticks} ticks after the documented commands, {clock.Elapsed.TotalSeconds:0.0} s in all");
        }
        finally
        {
            if (serverGroup is { } group)
            {
                await TestServices.RunUncheckedAsync("kill", ["-TERM", "--", "-" + group.ToString(CultureInfo.InvariantCulture)]);
            }
        }
    }

    private static async Task<long> CompletedAsync(string db)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM task WHERE completion_time IS NOT NULL AND exit_status = 0";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Field 5 of /proc/PID/stat (after the parenthesised command name).</summary>
    private static int ProcessGroupOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[2], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"<!-- walkthrough:(?<name>[a-z.]+) -->\n```[a-z]+\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();
}
