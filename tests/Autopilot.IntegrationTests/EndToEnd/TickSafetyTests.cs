using Xunit.Abstractions;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>Issue 3's safety points on the real Slurm: overlapping ticks, and a controller that is down.</summary>
public sealed class TickSafetyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ten_ticks_started_at_once_submit_exactly_what_one_tick_would()
    {
        await using var harness = new EndToEndHarness();
        await using var db = await TaskDatabases.CreateAsync("sqlite", tagged: false, harness.Dir);
        harness.WriteConfig(new PoolSpec(db.Demand) { ExtraArgs = EndToEndHarness.StayQueued });

        var runs = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => harness.RunAsync("tick", "-v"))));

        foreach (var run in runs)
        {
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        // One tick would submit 2 (max_queued 2): the lock lets one act; the rest either found it
        // held or ran after it and saw the queue full.
        var pilots = await harness.SqueueAsync();
        Assert.Equal(2, pilots.Count);
        Assert.Equal(2, runs.Sum(r => EndToEndHarness.SbatchCalls(r).Count == 0 ? 0 : EndToEndHarness.Submitted(r)));
        Assert.Single(runs, r => EndToEndHarness.SbatchCalls(r).Count > 0);
        var busy = runs.Count(r => r.Stderr.Contains("another tick is running", StringComparison.Ordinal));
        var full = runs.Count(r => r.Stderr.Contains("pilots 2 queued", StringComparison.Ordinal));
        Assert.Equal(9, busy + full);
        output.WriteLine($"10 ticks: 1 submitted, {busy} found the lock held, {full} ran after it and saw the queue full");
    }

    [Fact]
    public async Task Slurmctld_down_attempts_no_sbatch_exits_1_and_logs_one_line_naming_squeue()
    {
        await using var harness = new EndToEndHarness();
        await using var db = await TaskDatabases.CreateAsync("sqlite", tagged: false, harness.Dir);
        harness.WriteConfig(new PoolSpec(db.Demand) { ExtraArgs = EndToEndHarness.StayQueued });

        CliRun tick;
        try
        {
            await StopSlurmctldAsync();
            tick = await harness.RunAsync("tick", "-v");
        }
        finally
        {
            await StartSlurmAsync();
        }

        Assert.True(tick.ExitCode == 1, tick.ToString());
        Assert.Empty(EndToEndHarness.SbatchCalls(tick));
        var errors = tick.ErrLines.Where(l => l.Contains(" ERR]", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains("pool main: nothing done: cannot list pilots", error, StringComparison.Ordinal);
        Assert.Contains("squeue --me --name=" + harness.JobName, error, StringComparison.Ordinal);
        Assert.Contains("Unable to contact slurm controller", error, StringComparison.Ordinal);
        Assert.Empty(await harness.SqueueAsync());
        output.WriteLine(error);

        // Back up: the next tick acts normally.
        var next = await harness.TickAsync();
        Assert.Equal(2, EndToEndHarness.Submitted(next));
    }

    private const string CtldPidFile = "/run/slurmctld.pid";

    internal static async Task StopSlurmctldAsync()
    {
        var pid = (await File.ReadAllTextAsync(CtldPidFile)).Trim();
        Assert.Equal("slurmctld", (await File.ReadAllTextAsync($"/proc/{pid}/comm")).Trim());
        await TestServices.RunAsync("kill", ["-TERM", pid]);
        await TestServices.WaitUntilAsync(() => Task.FromResult(Gone(pid)), TimeSpan.FromSeconds(30), $"slurmctld {pid} stopped");
    }

    /// <summary>No such process, or a zombie nobody reaped (no init in a container): either way it stopped serving.</summary>
    private static bool Gone(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>tests/infra/start-slurm.sh: starts what is not running, never touches queued jobs.</summary>
    internal static async Task StartSlurmAsync()
    {
        var script = Path.Combine(TestPaths.Infra, "start-slurm.sh");
        var result = await TestServices.Runner.RunAsync(new ProcessSpec("bash", [script], Timeout: TimeSpan.FromMinutes(3)), CancellationToken.None);
        Assert.True(result.Succeeded, result.Describe());
    }
}
