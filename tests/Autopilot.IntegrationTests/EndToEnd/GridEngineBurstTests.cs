using System.Globalization;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 7 on the real Grid Engine, as `autopilot tick` processes: a burst of 8 is one array
/// (`qsub -t 1-8`) and a later scale-in deletes single queued elements. Pilots ask for a start an
/// hour ahead (`-a`), so they stay `qw` until deleted.
/// </summary>
public sealed class GridEngineBurstTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-sge-e2e-").FullName;
    private readonly string _prefix = TestServices.UniqueName("apsge");

    private string JobName => _prefix + "-main";

    private string Config => Path.Combine(_dir, "autopilot.toml");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in (await QstatAsync()).Select(j => j.Id.Split('.')[0]).Distinct())
        {
            await TestServices.RunUncheckedAsync("qdel", [id], TestServices.SgeEnvironment);
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_burst_of_8_is_one_array_and_scale_in_deletes_single_queued_elements()
    {
        var tasks = new PendingTasks(_dir, 80);
        var later = DateTime.Now.AddHours(1).ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
        File.WriteAllText(Config, $"""
            state_dir = {EndToEndHarness.Quote(Path.Combine(_dir, "state"))}
            job_prefix = {EndToEndHarness.Quote(_prefix)}
            [log]
            file = false
            [[pool]]
            name = "main"
            template = {EndToEndHarness.Quote(EndToEndHarness.Template)}
            [pool.template_vars]
            sleep_seconds = "300"
            exit_code = "0"
            [pool.demand]
            {tasks.Demand.Toml}
            [pool.scheduler]
            kind = "sge"
            queue = {EndToEndHarness.Quote(TestServices.SgeQueue)}
            walltime = "00:30:00"
            drain_lead = "10s"
            extra_args = ["-a", "{later}"]
            [pool.limits]
            max_pilots = 10
            tasks_per_pilot = 10
            max_queued = 8
            max_submit_per_tick = 8
            scale_to_zero_after = "1h"
            [pool.policy]
            scale_in_after = "0s"
            min_useful_walltime = "30s"
            """);

        var burst = await TickAsync();
        var qsubs = burst.Stderr.Split('\n').Where(l => l.Contains("DBG] run: qsub ", StringComparison.Ordinal)).ToList();
        output.WriteLine(string.Join('\n', qsubs));
        Assert.Contains(" -t 1-8 ", Assert.Single(qsubs), StringComparison.Ordinal);
        var queued = await QstatAsync();
        Assert.Equal(8, queued.Count);
        Assert.All(queued, j => Assert.Equal("qw", j.State));
        var arrayId = Assert.Single(queued.Select(j => j.Id.Split('.')[0]).Distinct());

        // Demand drops to 3 pilots' worth: the 5 newest elements go, one by one, the array stays.
        tasks.Set(30);
        var scaleIn = await TickAsync();
        output.WriteLine(scaleIn.Stderr);
        Assert.Contains("cancelled 5", scaleIn.Stderr, StringComparison.Ordinal);
        var left = await QstatAsync();
        Assert.Equal([$"{arrayId}.1", $"{arrayId}.2", $"{arrayId}.3"], left.Select(j => j.Id).Order(StringComparer.Ordinal));
    }

    private async Task<CliRun> TickAsync()
    {
        string[] args = ["tick", "-v", "--config", Config];
        var environment = new Dictionary<string, string?>(TestServices.SgeEnvironment);
        var result = await TestServices.Runner.RunAsync(new ProcessSpec(EndToEndHarness.Program, args, WorkingDirectory: _dir, Environment: environment, Timeout: TimeSpan.FromSeconds(90)), CancellationToken.None);
        var run = new CliRun(args, result.ExitCode, result.StandardOutput, result.StandardError);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    private async Task<IReadOnlyList<(string Id, string State)>> QstatAsync() => await GridEngineJobs.ListAsync(JobName);
}
