using System.Globalization;
using System.Text;
using System.Text.Json;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Autopilot.Testing;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>What one run of the real `autopilot` program left behind.</summary>
public sealed record CliRun(string[] Arguments, int ExitCode, string Stdout, string Stderr)
{
    public IEnumerable<string> ErrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>For assertion messages: the command and everything it printed.</summary>
    public override string ToString() => $"autopilot {string.Join(' ', Arguments)} -> exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    public JsonElement Json() => JsonDocument.Parse(Stdout).RootElement;
}

/// <summary>One line of <c>squeue -r</c> for a pilot.</summary>
public sealed record SqueueRow(string Id, string RawId, string State, string Reason)
{
    public bool Pending => State == "PENDING";

    public bool Running => State == "RUNNING";
}

/// <summary>The demand part of a pool, as TOML lines under [pool.demand].</summary>
public sealed record DemandSpec(string Toml);

/// <summary>A pool's settings for one generated autopilot.toml; defaults are issue 3's scenario.</summary>
public sealed record PoolSpec(DemandSpec Demand)
{
    public int TasksPerPilot { get; init; } = 10;
    public int MaxPilots { get; init; } = 10;
    public int MaxQueued { get; init; } = 2;
    public int MaxSubmitPerTick { get; init; } = 4;
    public string ScaleToZeroAfter { get; init; } = "3s";
    public string ScaleInAfter { get; init; } = "0s";
    public string Walltime { get; init; } = "00:30:00";
    public bool UseArrays { get; init; } = true;
    public int SleepSeconds { get; init; } = 300;
    public int ExitCode { get; init; }
    public string MinPilotRuntime { get; init; } = "1m";
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>scheduler.bin_dir (site wrappers); null: the commands on PATH.</summary>
    public string? BinDir { get; init; }

    /// <summary>policy.backoff (TOML array text, e.g. ["1s"]); null: the default.</summary>
    public string? Backoff { get; init; }
}

/// <summary>
/// Runs the real `autopilot` program (the apphost built from src/Autopilot.Cli) against the real
/// Slurm with a generated autopilot.toml: state_dir in a temporary folder and a job_prefix unique to
/// the test, so no test ever sees another's pilots. Dispose cancels this test's pilots by name.
/// </summary>
public sealed class EndToEndHarness : IAsyncDisposable
{
    public const string Pool = "main";

    /// <summary>
    /// Keeps a pilot PENDING (reason BeginTime) until the test starts it with
    /// <see cref="StartAsync"/> (scontrol update StartTime=now). This is what makes "queued" and
    /// "running" deterministic on a node with free CPUs: nothing starts unless the test says so.
    /// </summary>
    public static readonly string[] StayQueued = ["--begin=now+1hour"];

    public EndToEndHarness()
    {
        Dir = Directory.CreateTempSubdirectory("ap-e2e-").FullName;
        Prefix = TestServices.UniqueName("ape2e");
    }

    public string Dir { get; }

    public string StateDir => Path.Combine(Dir, "state");

    public string ConfigPath => Path.Combine(Dir, "autopilot.toml");

    public string Prefix { get; }

    public string JobName => $"{Prefix}-{Pool}";

    /// <summary>The program under test (<see cref="AutopilotBinary"/>).</summary>
    public static string Program => AutopilotBinary.Path;

    public static string Template => Path.Combine(TestPaths.Fixtures, "templates", "sleep-pilot.sh");

    public static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>The top of every generated autopilot.toml: this test's state_dir and job_prefix, no log file.</summary>
    public string ConfigHead => $"state_dir = {Quote(StateDir)}\njob_prefix = {Quote(Prefix)}\n[log]\nfile = false\n";

    /// <summary>Writes autopilot.toml for one pool of the given spec (rewritten between phases of a test).</summary>
    public void WriteConfig(PoolSpec spec)
    {
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder(ConfigHead);
        text.AppendLine("[[pool]]");
        text.AppendLine(i, $"name = {Quote(Pool)}");
        text.AppendLine(i, $"template = {Quote(Template)}");
        text.AppendLine("[pool.template_vars]");
        text.AppendLine(i, $"sleep_seconds = \"{spec.SleepSeconds}\"");
        text.AppendLine(i, $"exit_code = \"{spec.ExitCode}\"");
        text.AppendLine("[pool.demand]");
        text.AppendLine(spec.Demand.Toml.Trim());
        text.AppendLine("[pool.scheduler]");
        text.AppendLine("kind = \"slurm\"");
        text.AppendLine(i, $"queue = {Quote(TestServices.SlurmPartition)}");
        text.AppendLine(i, $"walltime = {Quote(spec.Walltime)}");
        text.AppendLine("drain_lead = \"10s\"");
        text.AppendLine(i, $"use_arrays = {(spec.UseArrays ? "true" : "false")}");
        text.AppendLine(i, $"extra_args = [{string.Join(", ", spec.ExtraArgs.Select(Quote))}]");
        if (spec.BinDir is not null)
        {
            text.AppendLine(i, $"bin_dir = {Quote(spec.BinDir)}");
        }

        text.AppendLine("[pool.limits]");
        text.AppendLine(i, $"max_pilots = {spec.MaxPilots}");
        text.AppendLine(i, $"tasks_per_pilot = {spec.TasksPerPilot}");
        text.AppendLine(i, $"max_queued = {spec.MaxQueued}");
        text.AppendLine(i, $"max_submit_per_tick = {spec.MaxSubmitPerTick}");
        text.AppendLine(i, $"scale_to_zero_after = {Quote(spec.ScaleToZeroAfter)}");
        text.AppendLine("[pool.policy]");
        text.AppendLine(i, $"scale_in_after = {Quote(spec.ScaleInAfter)}");
        text.AppendLine(i, $"min_pilot_runtime = {Quote(spec.MinPilotRuntime)}");
        text.AppendLine("min_useful_walltime = \"30s\"");
        if (spec.Backoff is not null)
        {
            text.AppendLine(i, $"backoff = {spec.Backoff}");
        }

        File.WriteAllText(ConfigPath, text.ToString());
    }

    /// <summary>Variables set for every `autopilot` run (besides the allow-listed ones every child gets).</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs `autopilot ARGS --config autopilot.toml` and returns whatever it did.</summary>
    public async Task<CliRun> RunAsync(params string[] arguments)
    {
        string[] args = [.. arguments, "--config", ConfigPath];
        var spec = new ProcessSpec(Program, args, WorkingDirectory: Dir, Environment: Environment, Timeout: TimeSpan.FromSeconds(90));
        var result = await TestServices.Runner.RunAsync(spec, CancellationToken.None);
        Assert.False(result.TimedOut, $"autopilot {string.Join(' ', arguments)} timed out after 90 s:\n{result.StandardError}");
        return new CliRun(arguments, result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>`autopilot tick -v`, which must exit <paramref name="exitCode"/> (0; 3 once the crash-loop rule paused the pool).</summary>
    public async Task<CliRun> TickAsync(int exitCode = 0)
    {
        var run = await RunAsync("tick", "-v");
        Assert.True(run.ExitCode == exitCode, run.ToString());
        return run;
    }

    /// <summary>How many pilots a tick submitted (from the debug log of the sbatch calls and the pool's summary line).</summary>
    public static int Submitted(CliRun run)
    {
        var line = run.ErrLines.Single(l => l.Contains($"pool {Pool}: demand", StringComparison.Ordinal));
        var at = line.IndexOf(": submitted ", StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var digits = new string(line[(at + ": submitted ".Length)..].TakeWhile(char.IsAsciiDigit).ToArray());
        return int.Parse(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>The ids a tick submitted, from its summary line ("submitted 2 (45_1 45_2)").</summary>
    public static IReadOnlyList<string> SubmittedIds(CliRun run) => IdsAfter(run, ": submitted ");

    /// <summary>The ids a tick cancelled, from its summary line ("cancelled 2 (45 46)"; a long list elides its middle as "...").</summary>
    public static IReadOnlyList<string> CancelledIds(CliRun run) => IdsAfter(run, "cancelled ").Where(id => id != "...").ToList();

    private static IReadOnlyList<string> IdsAfter(CliRun run, string what)
    {
        var line = run.ErrLines.Single(l => l.Contains($"pool {Pool}: demand", StringComparison.Ordinal));
        var at = line.IndexOf(what, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        var open = line.IndexOf('(', at);
        var close = line.IndexOf(')', open);
        return line[(open + 1)..close].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The sbatch command lines a tick ran (from -v).</summary>
    public static IReadOnlyList<string> SbatchCalls(CliRun run) =>
        run.ErrLines.Where(l => l.Contains("DBG] run: sbatch ", StringComparison.Ordinal)).ToList();

    /// <summary>This test's pilots as squeue sees them, array elements one per row.</summary>
    public async Task<IReadOnlyList<SqueueRow>> SqueueAsync()
    {
        var result = await TestServices.RunAsync("squeue", ["--me", "-h", "-r", "--name=" + JobName, "-o", "%i|%A|%T|%r"]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split('|'))
            .Select(f => new SqueueRow(f[0], f[1], f[2], f[3]))
            .OrderBy(r => r.Id, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>`autopilot plan --json` for the pool (exit 0 asserted).</summary>
    public async Task<System.Text.Json.JsonElement> PlanAsync()
    {
        var plan = await RunAsync("plan", "--json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        return plan.Json().GetProperty("pools")[0];
    }

    /// <summary>One named input or limit of a plan (inputs and limits of `plan --json`).</summary>
    public static string? Fact(System.Text.Json.JsonElement pool, string name)
    {
        foreach (var list in new[] { "inputs", "limits" })
        {
            foreach (var fact in pool.GetProperty(list).EnumerateArray())
            {
                if (fact.GetProperty("name").GetString() == name)
                {
                    return fact.GetProperty("value").GetString();
                }
            }
        }

        return null;
    }

    /// <summary>Waits until squeue shows every given pilot pending for <paramref name="reason"/>.</summary>
    public async Task WaitReasonAsync(IReadOnlyCollection<string> ids, string reason)
    {
        await TestServices.WaitUntilAsync(
            async () => (await SqueueAsync()).Count(r => ids.Contains(r.Id) && r.Reason == reason) == ids.Count,
            TimeSpan.FromSeconds(60),
            $"pilots {string.Join(", ", ids)} pending for {reason}");
    }

    /// <summary>Lets BeginTime pilots start now and waits until squeue shows them RUNNING.</summary>
    public async Task StartAsync(IEnumerable<string> ids)
    {
        var wanted = ids.ToList();
        foreach (var id in wanted)
        {
            await TestServices.RunAsync("scontrol", ["update", "JobId=" + id, "StartTime=now"]);
        }

        await TestServices.WaitUntilAsync(
            async () => (await SqueueAsync()).Count(r => wanted.Contains(r.Id) && r.Running) == wanted.Count,
            TimeSpan.FromSeconds(60),
            $"pilots {string.Join(", ", wanted)} running");
    }

    /// <summary>Waits until a pilot has left squeue and its end is in the job completion log.</summary>
    public async Task WaitEndedAsync(string id)
    {
        await TestServices.WaitUntilAsync(
            async () =>
            {
                if ((await SqueueAsync()).Any(r => r.Id == id))
                {
                    return false;
                }

                if (id.Contains('_', StringComparison.Ordinal))
                {
                    // sacct -c names array elements by their raw ids; the filetxt log itself has N_i.
                    var config = await TestServices.RunUncheckedAsync("scontrol", ["show", "config"]);
                    var (_, location) = Autopilot.Schedulers.Slurm.JobCompLog.FromConfig(config.StandardOutput);
                    return location is not null && File.Exists(location)
                        && Autopilot.Schedulers.Slurm.JobCompLog.Parse(Autopilot.Schedulers.Slurm.JobCompLog.ReadTailLines(location, Autopilot.Schedulers.Slurm.JobCompLog.All)).Any(r => r.Id == id);
                }

                var sacct = await TestServices.RunUncheckedAsync("sacct", ["-c", "-X", "-P", "-n", "-o", "JobIDRaw,State"]);
                return sacct.StandardOutput.Split('\n').Any(l => l.StartsWith(id + "|", StringComparison.Ordinal));
            },
            TimeSpan.FromSeconds(150),
            $"pilot {id} ended and in the job completion log");
    }

    public async ValueTask DisposeAsync()
    {
        // Only this test's pilots: the job name carries the test's unique prefix.
        await TestServices.RunUncheckedAsync("scancel", ["--name=" + JobName]);
        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException)
        {
            // A pilot still writing its log; the temp folder is left for the OS.
        }
    }
}
