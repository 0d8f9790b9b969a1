using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Monitoring;
using Autopilot.State;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Monitoring;

/// <summary>Issue 17: the metrics a tick's report gives, and the textfile of cron mode.</summary>
public sealed class AutopilotMetricsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = ConfigTestSupport.TempDir();

    public void Dispose() => Directory.Delete(_dir, true);

    private static TickReport Report(params PoolTickResult[] pools) => new(Now, pools, LockBusy: false, DryRun: false);

    private static PoolTickResult Pool(string name, string? pausedBy = null, string? error = null, bool submitFailed = false, params string[] submitted) => new(
        name, "ap-" + name, Demand.Of(42),
        [
            new Pilot("1", "ap-" + name, PilotState.Queued, "PENDING", SubmitTime: Now.AddMinutes(-90)),
            new Pilot("2", "ap-" + name, PilotState.Queued, "PENDING", SubmitTime: Now.AddMinutes(-5)),
            new Pilot("3", "ap-" + name, PilotState.Running, "RUNNING", SubmitTime: Now.AddHours(-3)),
        ],
        null, submitted, ["9"], error, "summary", pausedBy, submitFailed);

    [Fact]
    public async Task A_report_becomes_the_documented_series()
    {
        var metrics = new AutopilotMetrics();
        metrics.ObserveCommand("/usr/bin/squeue", TimeSpan.FromMilliseconds(20));

        metrics.Observe(Report(Pool("main", EventKinds.CrashLoopPause), Pool("gpu", submitted: ["7", "8"])), TimeSpan.FromSeconds(0.3));
        var text = await metrics.ExportAsync(CancellationToken.None);

        Assert.Contains("autopilot_pool_paused{pool=\"main\",reason=\"crash_loop\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_paused{pool=\"main\",reason=\"operator\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_paused{pool=\"gpu\",reason=\"crash_loop\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_demand_tasks{pool=\"main\"} 42", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_pilots{pool=\"main\",state=\"queued\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_pilots{pool=\"main\",state=\"running\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_oldest_queued_pilot_seconds{pool=\"main\"} 5400", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_submissions_total{pool=\"gpu\",result=\"submitted\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_cancellations_total{pool=\"gpu\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_tick_duration_seconds_count 1", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_scheduler_command_duration_seconds_count{command=\"squeue\"} 1", text, StringComparison.Ordinal);
        Assert.Contains($"autopilot_last_successful_tick_timestamp_seconds {Now.ToUnixTimeSeconds()}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_tick_keeps_the_last_success_time_and_counts_the_failed_submission()
    {
        var metrics = new AutopilotMetrics();

        metrics.Observe(Report(Pool("main", error: "submit failed (1 in a row): sbatch: error", submitFailed: true)), TimeSpan.FromSeconds(1));
        var text = await metrics.ExportAsync(CancellationToken.None);

        Assert.Contains("autopilot_submissions_total{pool=\"main\",result=\"failed\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_pool_up{pool=\"main\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_last_successful_tick_timestamp_seconds 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_textfile_is_replaced_whole_and_the_next_process_counts_on_from_it()
    {
        var next = await NextCronTickAsync(Pool("gpu", submitted: ["7", "8"]));
        next.Observe(Report(Pool("gpu", error: "cannot read demand: x", submitted: ["9"])), TimeSpan.FromSeconds(1));
        await next.WriteTextfileAsync(CancellationToken.None);

        var text = File.ReadAllText(Textfile);
        Assert.Contains("autopilot_submissions_total{pool=\"gpu\",result=\"submitted\"} 3", text, StringComparison.Ordinal);
        Assert.Contains("autopilot_cancellations_total{pool=\"gpu\"} 2", text, StringComparison.Ordinal);
        Assert.Contains($"autopilot_last_successful_tick_timestamp_seconds {Now.ToUnixTimeSeconds()}", text, StringComparison.Ordinal);
        Assert.Equal([AutopilotMetrics.TextfileName], Directory.GetFiles(TextfileDir).Select(Path.GetFileName));
    }

    private static Autopilot.Configuration.AutopilotOptions Configured(params (string Name, bool Enabled)[] pools) =>
        new() { Pools = pools.Select(p => new Autopilot.Configuration.PoolOptions { Name = p.Name, Enabled = p.Enabled }).ToList() };

    private string TextfileDir => Path.Combine(_dir, "textfile");

    private string Textfile => Path.Combine(TextfileDir, AutopilotMetrics.TextfileName);

    /// <summary>The textfile of a cron tick over <paramref name="pools"/>, and the metrics of the next cron tick (a new process) continued from it.</summary>
    private async Task<AutopilotMetrics> NextCronTickAsync(params PoolTickResult[] pools)
    {
        var first = new AutopilotMetrics(TextfileDir);
        first.Observe(Report(pools), TimeSpan.FromSeconds(1));
        await first.WriteTextfileAsync(CancellationToken.None);
        var next = new AutopilotMetrics(TextfileDir);
        next.ContinueFrom(Textfile);
        return next;
    }

    /// <summary>What the engine does with the metrics after a tick of <paramref name="pools"/> under <paramref name="options"/>; the textfile written.</summary>
    private async Task<string> TickAsync(AutopilotMetrics metrics, Autopilot.Configuration.AutopilotOptions options, params PoolTickResult[] pools)
    {
        var report = Report(pools);
        metrics.KeepPoolsOf(options, report);
        metrics.Observe(report, TimeSpan.FromSeconds(1));
        await metrics.WriteTextfileAsync(CancellationToken.None);
        return File.ReadAllText(Textfile);
    }

    private static void AssertSamples(string text, params string[] samples)
    {
        foreach (var sample in samples)
        {
            Assert.Contains(sample, text, StringComparison.Ordinal);
        }
    }

    private static bool HasPool(string text, string pool) =>
        text.Contains($"pool=\"{pool}\"", StringComparison.Ordinal);

    [Fact]
    public async Task A_reload_drops_every_series_of_a_removed_or_disabled_pool_and_keeps_the_others()
    {
        var metrics = new AutopilotMetrics();
        metrics.Observe(Report(Pool("main"), Pool("gone", EventKinds.CrashLoopPause, submitted: ["7"]), Pool("off", EventKinds.OperatorPause)), TimeSpan.FromSeconds(1));
        Assert.True(HasPool(await metrics.ExportAsync(CancellationToken.None), "gone"));

        // `run` after a reload: "gone" is no longer configured, "off" is there with enabled = false.
        metrics.KeepPoolsOf(Configured(("main", true), ("off", false)));
        var text = await metrics.ExportAsync(CancellationToken.None);

        Assert.False(HasPool(text, "gone"), text);
        Assert.False(HasPool(text, "off"), text);
        AssertSamples(
            text,
            "autopilot_pool_up{pool=\"main\"} 1",
            "autopilot_pool_pilots{pool=\"main\",state=\"queued\"} 2",
            "autopilot_cancellations_total{pool=\"main\"} 1",
            "autopilot_tick_duration_seconds_count 1");
    }

    [Fact]
    public async Task Counters_of_a_pool_gone_from_the_configuration_are_not_continued_from_the_old_textfile()
    {
        var next = await NextCronTickAsync(Pool("main", submitted: ["1"]), Pool("gone", EventKinds.CrashLoopPause, submitted: ["7", "8"]));

        // The configuration was edited between the two cron ticks: "gone" removed.
        var text = await TickAsync(next, Configured(("main", true)), Pool("main", submitted: ["2"]));

        Assert.False(HasPool(text, "gone"), text);
        Assert.Contains("autopilot_submissions_total{pool=\"main\",result=\"submitted\"} 2", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tick_of_some_pools_keeps_the_last_series_of_the_other_configured_pools()
    {
        var next = await NextCronTickAsync(Pool("main"), Pool("gpu", EventKinds.CrashLoopPause, submitted: ["7"]));

        // `tick --pool main`: the next process measures only "main".
        var text = await TickAsync(next, Configured(("main", true), ("gpu", true)), Pool("main"));

        AssertSamples(
            text,
            "autopilot_pool_up{pool=\"gpu\"} 1",
            "autopilot_pool_paused{pool=\"gpu\",reason=\"crash_loop\"} 1",
            "autopilot_pool_demand_tasks{pool=\"gpu\"} 42",
            "autopilot_pool_pilots{pool=\"gpu\",state=\"queued\"} 2",
            "autopilot_pool_oldest_queued_pilot_seconds{pool=\"gpu\"} 5400",
            "autopilot_submissions_total{pool=\"gpu\",result=\"submitted\"} 1",
            "autopilot_cancellations_total{pool=\"main\"} 2");
    }

    [Fact]
    public async Task The_endpoint_serves_the_registry_on_loopback()
    {
        var metrics = new AutopilotMetrics();
        metrics.Observe(Report(Pool("main", EventKinds.CrashLoopPause)), TimeSpan.FromSeconds(1));
        var port = LocalWebhook.FreePort();

        using var endpoint = MetricsEndpoint.Start(new Autopilot.Configuration.MetricsOptions { Enabled = true, Port = port }, metrics)!;
        using var http = new HttpClient();
        var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics");

        Assert.Equal($"http://127.0.0.1:{port}/metrics", endpoint.Url);
        Assert.Contains("autopilot_pool_paused{pool=\"main\",reason=\"crash_loop\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_port_in_use_is_an_error_naming_the_address_and_off_starts_nothing()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var ex = Assert.Throws<MetricsEndpointException>(() => MetricsEndpoint.Start(new Autopilot.Configuration.MetricsOptions { Enabled = true, Port = port }, new AutopilotMetrics()));

        Assert.StartsWith($"metrics: cannot listen on http://127.0.0.1:{port}/metrics: ", ex.Message, StringComparison.Ordinal);
        Assert.Null(MetricsEndpoint.Start(new Autopilot.Configuration.MetricsOptions(), new AutopilotMetrics()));
    }
}
