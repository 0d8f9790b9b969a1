using System.Globalization;
using System.Text.Json;
using Autopilot.Engine;
using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.IntegrationTests.Service;
using Autopilot.Tests.Monitoring;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.Monitoring;

/// <summary>
/// Issue 17, "Done means": a crash loop on the real Slurm (a pilot template that exits 1) seen the
/// ways an operator sees it: the crashloop event, one stderr line from `tick -q` on the tick that
/// pauses (and none after), exit code 3, one alert to a webhook, the textfile, and
/// autopilot_pool_paused{reason="crash_loop"} 1 scraped from `autopilot run` by the real Prometheus
/// (tests/infra/start-prometheus.sh) and read back through its HTTP API. Twice: with the Slurm
/// commands on PATH, and with bin_dir wrappers for sbatch, squeue, scancel and sacct only.
/// </summary>
public sealed class CrashLoopMonitoringTests(ITestOutputHelper output)
{
    private static string PrometheusUrl => Environment.GetEnvironmentVariable("AUTOPILOT_TEST_PROMETHEUS_URL") ?? "http://127.0.0.1:9390";

    private static string PrometheusTargets => Environment.GetEnvironmentVariable("AUTOPILOT_TEST_PROMETHEUS_TARGETS") ?? "/var/lib/autopilot-test/prometheus/9390/targets";

    [Fact]
    public Task A_crash_loop_on_Slurm_is_an_event_one_quiet_line_exit_3_one_alert_and_a_paused_series_in_Prometheus() => CrashLoopAsync(wrappers: false);

    [Fact]
    public Task The_same_with_bin_dir_wrappers_that_lack_scontrol() => CrashLoopAsync(wrappers: true);

    private async Task CrashLoopAsync(bool wrappers)
    {
        await using var harness = new EndToEndHarness();
        using var hook = new LocalWebhook();
        var tasks = new PendingTasks(harness.Dir, 30);
        string? binDir = null;
        if (wrappers)
        {
            binDir = Path.Combine(harness.Dir, "site-bin");
            Directory.CreateDirectory(binDir);
            foreach (var command in new[] { "sbatch", "squeue", "scancel", "sacct" })
            {
                var file = Path.Combine(binDir, command);
                File.WriteAllText(file, $"#!/bin/sh\n# site wrapper\nexec /usr/bin/{command} \"$@\"\n");
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var secret = Path.Combine(harness.Dir, "hook.secret");
        File.WriteAllText(secret, "Bearer crash-test\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var textfileDir = Path.Combine(harness.Dir, "textfile");
        var port = LocalWebhook.FreePort();
        // sacct -c cannot name array elements, so the wrapper site submits one job per pilot.
        harness.WriteConfig(new PoolSpec(tasks.Demand) { MaxQueued = 3, MaxSubmitPerTick = 3, SleepSeconds = 0, ExitCode = 1, UseArrays = !wrappers, BinDir = binDir });
        File.WriteAllText(harness.ConfigPath, "schedule = \"*/2 * * * * *\"\n" + File.ReadAllText(harness.ConfigPath) + $"""
            [alerts]
            webhook = "{hook.Url}"
            webhook_secret_file = "{secret}"
            [metrics]
            enabled = true
            port = {port}
            textfile_dir = "{textfileDir}"

            """);

        if (wrappers)
        {
            // check names every command the Slurm path runs from bin_dir, and the one it lacks.
            var check = await harness.RunAsync("check");
            Assert.True(check.ExitCode == 0, check.ToString());
            Assert.Contains(check.Stdout.Split('\n'), l => l.StartsWith("warning: ", StringComparison.Ordinal) && l.Contains($"command 'scontrol' is not in bin_dir {binDir}", StringComparison.Ordinal));
            Assert.Contains($"runs {binDir}/sbatch {binDir}/squeue {binDir}/scancel {binDir}/sacct", check.Stdout, StringComparison.Ordinal);
        }

        var first = await harness.RunAsync("tick", "-q");
        Assert.True(first.ExitCode == TickReport.ExitOk && !Quiet(first).Any(), first.ToString());
        var ids = (await EventsAsync(harness)).Where(e => e.GetProperty("kind").GetString() == "submitted")
            .SelectMany(e => e.GetProperty("job_ids").EnumerateArray().Select(i => i.GetString()!)).ToList();
        Assert.Equal(3, ids.Count);
        foreach (var id in ids)
        {
            await harness.WaitEndedAsync(id);
        }

        // The tick that pauses: exit 3 and exactly one line for cron to mail.
        var pausing = await harness.RunAsync("tick", "-q");
        output.WriteLine(pausing.ToString());
        Assert.True(pausing.ExitCode == TickReport.ExitPoolPaused, pausing.ToString());
        var line = Assert.Single(Quiet(pausing));
        Assert.Contains("pool main: paused by the crash-loop rule: crash loop: 3 pilots in a row failed", line, StringComparison.Ordinal);

        // Still paused a minute later: the same exit code, nothing printed, nothing sent again.
        var still = await harness.RunAsync("tick", "-q");
        Assert.True(still.ExitCode == TickReport.ExitPoolPaused && !Quiet(still).Any(), still.ToString());

        var crashEvents = (await EventsAsync(harness)).Where(e => e.GetProperty("kind").GetString() == "crashloop").ToList();
        Assert.Single(crashEvents);
        var alert = Assert.Single(hook.Received);
        Assert.Equal("Bearer crash-test", alert.Authorization);
        using (var body = JsonDocument.Parse(alert.Body))
        {
            Assert.Equal(("main", "crashloop"), (body.RootElement.GetProperty("pool").GetString(), body.RootElement.GetProperty("kind").GetString()));
        }

        // The cron-mode textfile, checked by promtool.
        var textfile = File.ReadAllText(Path.Combine(textfileDir, "autopilot.prom"));
        Assert.Contains("autopilot_pool_paused{pool=\"main\",reason=\"crash_loop\"} 1", textfile, StringComparison.Ordinal);
        await PromtoolCheckMetricsAsync(textfile);

        // The service: its /metrics scraped by the real Prometheus, read back through the HTTP API.
        var targetFile = Path.Combine(PrometheusTargets, harness.Prefix + ".json");
        using var run = AutopilotProcess.Start(["run", "--config", harness.ConfigPath]);
        try
        {
            await run.WaitForLineAsync($"metrics served on http://127.0.0.1:{port}/metrics", TimeSpan.FromSeconds(30));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var scraped = "";
            await TestServices.WaitUntilAsync(
                async () => (scraped = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics")).Contains("autopilot_pool_paused{pool=\"main\",reason=\"crash_loop\"} 1", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30), "the paused series on the run's /metrics");
            await PromtoolCheckMetricsAsync(scraped);

            File.WriteAllText(targetFile, $$$"""[{"targets": ["127.0.0.1:{{{port}}}"], "labels": {"autopilot_test": "{{{harness.Prefix}}}"}}]""");
            var query = Uri.EscapeDataString($"autopilot_pool_paused{{pool=\"main\",reason=\"crash_loop\",autopilot_test=\"{harness.Prefix}\"}}");
            string? value = null;
            await TestServices.WaitUntilAsync(
                async () =>
                {
                    using var answer = JsonDocument.Parse(await http.GetStringAsync($"{PrometheusUrl}/api/v1/query?query={query}"));
                    var result = answer.RootElement.GetProperty("data").GetProperty("result");
                    value = result.GetArrayLength() == 1 ? result[0].GetProperty("value")[1].GetString() : null;
                    return value is not null;
                },
                TimeSpan.FromSeconds(60), "Prometheus to have scraped autopilot_pool_paused");
            Assert.Equal("1", value);
        }
        finally
        {
            File.Delete(targetFile);
            await run.SignalAsync("TERM");
            Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        // The service's ticks found the pool still paused: no second alert.
        Assert.Single(hook.Received);
    }

    /// <summary>
    /// What `tick -q` printed, without the warning every command prints when run as root (as the
    /// tests and CI are; a site runs it as a service account, where that line does not exist).
    /// </summary>
    private static IEnumerable<string> Quiet(CliRun run) =>
        run.ErrLines.Where(l => !l.Contains("running as root.", StringComparison.Ordinal));

    private static async Task<List<JsonElement>> EventsAsync(EndToEndHarness harness)
    {
        var events = await harness.RunAsync("events", "--json", "--since", "1h");
        Assert.True(events.ExitCode == 0, events.ToString());
        return events.Json().EnumerateArray().ToList();
    }

    /// <summary>promtool check metrics (stdin), which must pass without a lint problem.</summary>
    internal static async Task PromtoolCheckMetricsAsync(string text)
    {
        var result = await TestServices.Runner.RunAsync(new Autopilot.Processes.ProcessSpec("promtool", ["check", "metrics"], StandardInput: text, Timeout: TimeSpan.FromSeconds(30)), CancellationToken.None);
        Assert.True(result.Succeeded && result.StandardError.Trim().Length == 0 && result.StandardOutput.Trim().Length == 0,
            $"promtool check metrics: {result.Describe()}\n{result.StandardOutput}\n--- input\n{text}");
    }
}
