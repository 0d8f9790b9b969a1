using System.Text.Json;
using Autopilot.DemandSources.HyperShell;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Autopilot.Testing;

namespace Autopilot.IntegrationTests.Parity;

/// <summary>
/// One pool on one scheduler kind, driven through the real <c>autopilot</c> program: 30 pending
/// HyperShell tasks, tasks_per_pilot 10, max_queued 4, max_submit_per_tick 4. Every kind must give
/// the same answers (see <see cref="ParityAssertions"/>); only how the test reads back what was
/// submitted differs per kind.
/// </summary>
internal sealed class ParityScenario : IDisposable
{
    public const int PendingTasks = 30;
    public const int TasksPerPilot = 10;
    public const int ExpectedPilots = 3;

    private static readonly Lazy<string> Program = new(() => AutopilotBinary.Path);

    public ParityScenario(string kind, string? binDir = null, string? queue = null)
    {
        Kind = kind;
        Dir = Directory.CreateTempSubdirectory($"ap-parity-{kind}-").FullName;
        // Short, starts with a letter: valid for Torque's 15 characters and Grid Engine's no-leading-digit rule.
        JobPrefix = "ap" + Guid.NewGuid().ToString("N")[..6];
        JobName = JobPrefix + "-p";
        StateDir = Path.Combine(Dir, "state");
        var db = Path.Combine(Dir, "main.db");
        HyperShellTestDatabase.CreateSqlite(db, HyperShellSchemaVersion.Classic, new HyperShellTaskBatch(HyperShellTaskState.Pending, PendingTasks));
        var template = Path.Combine(Dir, "pilot.sh");
        // The pilot only has to stay alive while the test looks at it; the test cancels it.
        File.WriteAllText(template, "#!/bin/sh\n# pool {{pool}}\nsleep 600\n");
        File.SetUnixFileMode(template, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ConfigPath = Path.Combine(Dir, "autopilot.toml");
        File.WriteAllText(ConfigPath, $"""
            state_dir = "{StateDir}"
            job_prefix = "{JobPrefix}"

            [log]
            file = false

            [[pool]]
            name = "p"
            template = "{template}"

            [pool.demand]
            kind = "hypershell"
            path = "{db}"

            [pool.scheduler]
            kind = "{kind}"
            walltime = "00:30:00"
            drain_lead = "5m"
            {(queue is null ? "" : $"queue = \"{queue}\"")}
            {(binDir is null ? "" : $"bin_dir = \"{binDir}\"")}

            [pool.limits]
            max_pilots = 10
            tasks_per_pilot = {TasksPerPilot}
            max_queued = 4
            max_submit_per_tick = 4
            """);
    }

    public string Kind { get; }

    public string Dir { get; }

    public string JobPrefix { get; }

    /// <summary>The pilots' job name: &lt;job_prefix&gt;-&lt;pool&gt;.</summary>
    public string JobName { get; }

    public string StateDir { get; }

    public string ConfigPath { get; }

    /// <summary>Runs <c>autopilot &lt;args&gt; --config &lt;this config&gt;</c>.</summary>
    public async Task<ProcessResult> RunAsync(params string[] args)
    {
        var environment = new Dictionary<string, string?>(TestServices.SgeEnvironment)
        {
            ["AUTOPILOT_CONFIG"] = null,
            ["DOTNET_NOLOGO"] = "1",
        };
        var spec = new ProcessSpec(Program.Value, [.. args, "--config", ConfigPath], Environment: environment, Timeout: TimeSpan.FromSeconds(120));
        return await new ProcessRunner().RunAsync(spec, CancellationToken.None);
    }

    /// <summary>Runs the command, requires exit 0, and returns its JSON output's first pool.</summary>
    public async Task<JsonElement> RunJsonAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"{Kind}: `autopilot {string.Join(' ', args)}` exited {result.ExitCode}\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");
        using var doc = JsonDocument.Parse(result.StandardOutput);
        var pools = doc.RootElement.GetProperty("pools");
        Assert.Equal(1, pools.GetArrayLength());
        return pools[0].Clone();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What every scheduler kind must show for the scenario, whatever the kind.</summary>
internal static class ParityAssertions
{
    /// <summary><c>plan --json</c> before any pilot exists: scale out to 3, submit 3.</summary>
    public static async Task PlanBeforeTickAsync(ParityScenario s)
    {
        var pool = await s.RunJsonAsync("plan", "--json");
        Assert.True(pool.GetProperty("ok").GetBoolean(), $"{s.Kind}: plan not ok: {pool}");
        Assert.Equal(s.JobName, pool.GetProperty("job_name").GetString());
        Assert.Equal(ParityScenario.PendingTasks, pool.GetProperty("demand").GetProperty("tasks").GetInt64());
        Assert.Equal("ScaleOut", pool.GetProperty("rule").GetString());
        Assert.Equal(ParityScenario.ExpectedPilots, pool.GetProperty("desired").GetInt32());
        Assert.Equal(ParityScenario.ExpectedPilots, pool.GetProperty("submit").GetInt32());
        Assert.Equal(0, Total(pool.GetProperty("pilots")));
    }

    public static async Task TickAsync(ParityScenario s)
    {
        var result = await s.RunAsync("tick");
        Assert.True(result.ExitCode == 0, $"{s.Kind}: `autopilot tick` exited {result.ExitCode}\nstdout:\n{result.StandardOutput}\nstderr:\n{result.StandardError}");
    }

    /// <summary><c>jobs --json</c> after the tick: three pilots, queued or running, distinct ids.</summary>
    public static async Task<IReadOnlyList<string>> JobsAfterTickAsync(ParityScenario s)
    {
        var pool = await s.RunJsonAsync("jobs", "--json");
        Assert.True(pool.GetProperty("ok").GetBoolean(), $"{s.Kind}: jobs not ok: {pool}");
        Assert.Equal(ParityScenario.PendingTasks, pool.GetProperty("demand").GetInt64());
        Assert.Equal(ParityScenario.ExpectedPilots, pool.GetProperty("desired").GetInt32());
        var pilots = pool.GetProperty("pilots").EnumerateArray().ToList();
        Assert.True(pilots.Count == ParityScenario.ExpectedPilots, $"{s.Kind}: expected {ParityScenario.ExpectedPilots} pilots, got {pool}");
        foreach (var pilot in pilots)
        {
            Assert.Contains(pilot.GetProperty("state").GetString(), new[] { "queued", "running" });
            Assert.False(string.IsNullOrEmpty(pilot.GetProperty("raw_state").GetString()));
        }

        var ids = pilots.Select(p => p.GetProperty("id").GetString()!).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        return ids;
    }

    /// <summary><c>plan --json</c> once the pilots exist: steady at 3, nothing to submit or cancel.</summary>
    public static async Task PlanAfterTickAsync(ParityScenario s)
    {
        var pool = await s.RunJsonAsync("plan", "--json");
        Assert.Equal("Steady", pool.GetProperty("rule").GetString());
        Assert.Equal(ParityScenario.ExpectedPilots, pool.GetProperty("desired").GetInt32());
        Assert.Equal(0, pool.GetProperty("submit").GetInt32());
        Assert.Equal(0, pool.GetProperty("cancel").GetArrayLength());
        Assert.Equal(ParityScenario.ExpectedPilots, Total(pool.GetProperty("pilots")));
    }

    private static int Total(JsonElement counts) =>
        counts.ValueKind == JsonValueKind.Null
            ? 0
            : counts.EnumerateObject().Where(p => p.Name is "queued" or "held" or "running" or "completing").Sum(p => p.Value.GetInt32());
}
