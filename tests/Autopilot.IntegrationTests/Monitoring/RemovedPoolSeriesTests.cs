using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.IntegrationTests.Service;
using Autopilot.Tests.Monitoring;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.Monitoring;

/// <summary>
/// Issue 17 leftover: a pool removed from the configuration stops looking alive in the metrics, in
/// the cron textfile and on the /metrics of `autopilot run` after a SIGHUP reload, while a tick
/// limited to one pool keeps the other configured pool's series. Two pools on the real Slurm with no
/// demand (nothing is submitted), through the real `autopilot` program.
/// </summary>
public sealed class RemovedPoolSeriesTests(ITestOutputHelper output)
{
    private const string Gone = "gone";

    [Fact]
    public async Task A_removed_pool_leaves_the_textfile_and_the_run_endpoint_and_a_one_pool_tick_keeps_the_other()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 0);
        var textfileDir = Path.Combine(harness.Dir, "textfile");
        var textfile = Path.Combine(textfileDir, "autopilot.prom");
        var port = LocalWebhook.FreePort();
        harness.WriteConfig(new PoolSpec(tasks.Demand));
        var head = "schedule = \"* * * * * *\"\n" + harness.ConfigHead;
        var main = File.ReadAllText(harness.ConfigPath)[harness.ConfigHead.Length..];
        var metrics = $"[metrics]\nenabled = true\nport = {port}\ntextfile_dir = {EndToEndHarness.Quote(textfileDir)}\n";
        var second = main.Replace($"name = \"{EndToEndHarness.Pool}\"", $"name = \"{Gone}\"", StringComparison.Ordinal);
        var both = head + metrics + main + second;
        var onlyMain = head + metrics + main;
        const string GoneUp = "autopilot_pool_up{pool=\"gone\"} 1";
        const string MainUp = "autopilot_pool_up{pool=\"main\"} 1";

        // Cron mode: a tick of one pool keeps the other's series; an edit that removes it drops them.
        File.WriteAllText(harness.ConfigPath, both);
        await harness.TickAsync();
        Assert.Contains(GoneUp, File.ReadAllText(textfile), StringComparison.Ordinal);
        var one = await harness.RunAsync("tick", "--pool", EndToEndHarness.Pool);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains(GoneUp, File.ReadAllText(textfile), StringComparison.Ordinal);
        File.WriteAllText(harness.ConfigPath, onlyMain);
        await harness.TickAsync();
        var text = File.ReadAllText(textfile);
        Assert.DoesNotContain("pool=\"gone\"", text, StringComparison.Ordinal);
        Assert.Contains(MainUp, text, StringComparison.Ordinal);
        await CrashLoopMonitoringTests.PromtoolCheckMetricsAsync(text);

        // `run`: the pool removed by a SIGHUP reload is gone from the very next scrape.
        File.WriteAllText(harness.ConfigPath, both);
        using var run = AutopilotProcess.Start(["run", "--config", harness.ConfigPath]);
        try
        {
            await run.WaitForLineAsync($"metrics served on http://127.0.0.1:{port}/metrics", TimeSpan.FromSeconds(30));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var url = $"http://127.0.0.1:{port}/metrics";
            await TestServices.WaitUntilAsync(async () => (await http.GetStringAsync(url)).Contains(GoneUp, StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the second pool's series on /metrics");

            File.WriteAllText(harness.ConfigPath, onlyMain);
            await run.SignalAsync("HUP");
            await run.WaitForLineAsync("reload: configuration reloaded", TimeSpan.FromSeconds(30));
            var scraped = await http.GetStringAsync(url);
            Assert.DoesNotContain("pool=\"gone\"", scraped, StringComparison.Ordinal);
            Assert.Contains(MainUp, scraped, StringComparison.Ordinal);
            await CrashLoopMonitoringTests.PromtoolCheckMetricsAsync(scraped);
        }
        finally
        {
            await run.SignalAsync("TERM");
            Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            output.WriteLine(run.Output);
        }
    }
}
