using System.Globalization;
using System.Text;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;

namespace Autopilot.IntegrationTests.EndToEnd.HyperShell;

/// <summary>The pool's settings for one scenario: small limits and short timeouts so each runs in well under 2 minutes.</summary>
public sealed record HsPoolSettings
{
    public string Kind { get; init; } = "slurm";
    public int MaxPilots { get; init; } = 3;
    public int MaxQueued { get; init; } = 3;
    public int MaxSubmitPerTick { get; init; } = 3;
    public int TasksPerPilot { get; init; } = 5;
    public string IdleTimeout { get; init; } = "4s";
    public string ScaleToZeroAfter { get; init; } = "5s";
    public string MinPilotRuntime { get; init; } = "1m";
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
    public string HsCommand { get; init; } = HyperShellSite.Hs;
}

/// <summary>What a run of ticks saw.</summary>
public sealed record TickLoopResult(int Ticks, int MostPilots, IReadOnlyList<string> Submitted, IReadOnlyList<string> Cancelled, TimeSpan Took, IReadOnlyList<CliRun> Runs);

/// <summary>
/// An autoscaled pool of real HyperShell clients: autopilot.toml with the shipped
/// &lt;scheduler&gt;/hypershell-pilot.sh template pointed at a <see cref="HyperShellSite"/>, and
/// `autopilot tick` run in a loop as cron would (every second instead of every minute). Job names
/// carry a prefix unique to the test; dispose removes this test's pilots only.
/// </summary>
public sealed class HyperShellPool(EndToEndHarness harness, HyperShellSite site) : IAsyncDisposable
{
    private HsPoolSettings _settings = new();

    public EndToEndHarness Harness { get; } = harness;

    public HyperShellSite Site { get; } = site;

    public string JobName => Harness.JobName;

    public string ScriptsDir => Path.Combine(Harness.StateDir, "scripts");

    public void Configure(HsPoolSettings settings)
    {
        _settings = settings;
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder(Harness.ConfigHead);
        text.AppendLine("[[pool]]");
        text.AppendLine(i, $"name = {EndToEndHarness.Quote(EndToEndHarness.Pool)}");
        text.AppendLine(i, $"template = {EndToEndHarness.Quote(Path.Combine(TestPaths.Repo, "bin-templates", settings.Kind, "hypershell-pilot.sh"))}");
        text.AppendLine(i, $"idle_timeout = {EndToEndHarness.Quote(settings.IdleTimeout)}");
        text.AppendLine("[pool.template_vars]");
        foreach (var (name, value) in Site.TemplateVars(settings.HsCommand))
        {
            text.AppendLine(i, $"{name} = {EndToEndHarness.Quote(value)}");
        }

        text.AppendLine("[pool.demand]");
        text.AppendLine(Site.Demand.Toml.Trim());
        text.AppendLine("[pool.scheduler]");
        text.AppendLine(i, $"kind = \"{settings.Kind}\"");
        text.AppendLine(i, $"queue = {EndToEndHarness.Quote(settings.Kind == "sge" ? TestServices.SgeQueue : TestServices.SlurmPartition)}");
        text.AppendLine("walltime = \"00:10:00\"");
        text.AppendLine("drain_lead = \"30s\"");
        text.AppendLine(i, $"extra_args = [{string.Join(", ", settings.ExtraArgs.Select(EndToEndHarness.Quote))}]");
        text.AppendLine("[pool.limits]");
        text.AppendLine(i, $"max_pilots = {settings.MaxPilots}");
        text.AppendLine(i, $"tasks_per_pilot = {settings.TasksPerPilot}");
        text.AppendLine(i, $"max_queued = {settings.MaxQueued}");
        text.AppendLine(i, $"max_submit_per_tick = {settings.MaxSubmitPerTick}");
        text.AppendLine(i, $"scale_to_zero_after = {EndToEndHarness.Quote(settings.ScaleToZeroAfter)}");
        text.AppendLine("[pool.policy]");
        text.AppendLine("scale_in_after = \"0s\"");
        text.AppendLine(i, $"min_pilot_runtime = {EndToEndHarness.Quote(settings.MinPilotRuntime)}");
        text.AppendLine("min_useful_walltime = \"1m\"");
        File.WriteAllText(Harness.ConfigPath, text.ToString());
    }

    /// <summary>Runs `autopilot ARGS --config ...` with the Grid Engine variables (and any extra environment).</summary>
    public async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?>? extra, params string[] arguments)
    {
        string[] args = [.. arguments, "--config", Harness.ConfigPath];
        var environment = new Dictionary<string, string?>(TestServices.SgeEnvironment);
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var result = await TestServices.Runner.RunAsync(new ProcessSpec(EndToEndHarness.Program, args, WorkingDirectory: Harness.Dir, Environment: environment, Timeout: TimeSpan.FromSeconds(90)), CancellationToken.None);
        Assert.False(result.TimedOut, $"autopilot {string.Join(' ', arguments)} timed out");
        return new CliRun(arguments, result.ExitCode, result.StandardOutput, result.StandardError);
    }

    public Task<CliRun> RunAsync(params string[] arguments) => RunAsync(null, arguments);

    /// <summary>This pool's pilots in the scheduler now: id and whether it waits in the queue.</summary>
    public async Task<IReadOnlyList<(string Id, bool Queued)>> PilotsAsync()
    {
        if (_settings.Kind == "sge")
        {
            return (await GridEngineJobs.ListAsync(JobName)).Select(j => (j.Id, j.State.Contains('q', StringComparison.Ordinal))).ToList();
        }

        return (await Harness.SqueueAsync()).Select(r => (r.Id, r.Pending)).ToList();
    }

    /// <summary>`plan --json` of the pool.</summary>
    public async Task<System.Text.Json.JsonElement> PlanAsync()
    {
        var plan = await RunAsync("plan", "--json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        return plan.Json().GetProperty("pools")[0];
    }

    /// <summary>
    /// `autopilot tick -v` once a second, as cron would once a minute, until <paramref name="done"/>
    /// holds after a tick; every tick must exit 0 (or 3 once the crash-loop rule paused the pool).
    /// Counts this pool's pilots after each tick.
    /// </summary>
    public async Task<TickLoopResult> TickUntilAsync(Func<Task<bool>> done, TimeSpan within, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var runs = new List<CliRun>();
        var submitted = new List<string>();
        var cancelled = new List<string>();
        var most = 0;
        while (true)
        {
            var tick = await RunAsync("tick", "-v");
            Assert.True(tick.ExitCode is Autopilot.Engine.TickReport.ExitOk or Autopilot.Engine.TickReport.ExitPoolPaused, tick.ToString());
            runs.Add(tick);
            submitted.AddRange(EndToEndHarness.SubmittedIds(tick));
            cancelled.AddRange(EndToEndHarness.CancelledIds(tick));
            most = Math.Max(most, (await PilotsAsync()).Count);
            if (await done())
            {
                return new TickLoopResult(runs.Count, most, submitted, cancelled, clock.Elapsed, runs);
            }

            if (clock.Elapsed > within)
            {
                throw new TimeoutException($"after {within.TotalSeconds:0} s and {runs.Count} ticks still not true: {what}\nlast tick:\n{tick}\nhs server log:\n{File.ReadAllText(Site.ServerLog)}");
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>Processes of this pool's pilots (batch shell, `hs client`, tasks): found by the job name in their environment.</summary>
    public IReadOnlyList<(int Pid, string Environ, string Cmdline)> PilotProcesses()
    {
        var marker = (_settings.Kind == "sge" ? "JOB_NAME=" : "SLURM_JOB_NAME=") + JobName;
        var found = new List<(int, string, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Split('\0').Contains(marker))
                {
                    found.Add((pid, environ, File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ')));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile, or a kernel thread
            }
        }

        return found;
    }

    /// <summary>Every process's command line on this machine (the key must be on none).</summary>
    public static IEnumerable<string> AllCommandLines()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            string? text = null;
            try
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    text = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }

            if (text is not null)
            {
                yield return text;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_settings.Kind == "sge")
        {
            foreach (var id in (await GridEngineJobs.ListAsync(JobName)).Select(j => j.Id.Split('.')[0]).Distinct())
            {
                await TestServices.RunUncheckedAsync("qdel", [id], TestServices.SgeEnvironment);
            }
        }

        await Site.DisposeAsync();
        await Harness.DisposeAsync();
    }
}
