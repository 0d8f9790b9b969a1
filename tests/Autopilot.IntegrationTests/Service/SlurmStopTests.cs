using System.Diagnostics;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.State;

namespace Autopilot.IntegrationTests.Service;

/// <summary>
/// SIGTERM while a tick is half-way through an sbatch against the real Slurm: the submission is
/// allowed to finish and is recorded, so the queue and the state store agree, and the next tick
/// does not submit the same pilots again. sbatch is slowed by a wrapper in the pool's bin_dir.
/// </summary>
public sealed class SlurmStopTests : IDisposable
{
    private readonly ServiceSite _site = new("apsvc-", pendingTasks: 2);
    private readonly string _started;
    private readonly string _jobName;

    public SlurmStopTests()
    {
        var bin = Path.Combine(_site.Dir, "bin");
        Directory.CreateDirectory(bin);
        _started = Path.Combine(_site.Dir, "sbatch-started");
        foreach (var command in new[] { "squeue", "scancel", "sacct", "scontrol", "sinfo" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, command), Which(command));
        }

        // The marker tells the test the submission is under way; the sleep keeps it there.
        var sbatch = Path.Combine(bin, "sbatch");
        File.WriteAllText(sbatch, $"#!/bin/sh\necho $$ >> '{_started}'\nsleep 3\nexec '{Which("sbatch")}' \"$@\"\n");
        File.SetUnixFileMode(sbatch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _jobName = _site.JobPrefix + "-main";
        _site.WriteConfig(_site.Config(
            _site.StateDir(),
            ["main"],
            maxPilots: 2,
            tasksPerPilot: 1,
            scheduler: $"kind = \"slurm\"\nqueue = \"{TestServices.SlurmPartition}\"\nbin_dir = \"{bin}\"",
            extraPool: "[pool.policy]\nmin_useful_walltime = \"1m\""));
    }

    public void Dispose()
    {
        // Only this test's pilots: the job name carries a unique prefix.
        TestServices.RunUncheckedAsync("scancel", ["--name=" + _jobName]).GetAwaiter().GetResult();
        _site.Dispose();
    }

    [Fact]
    public async Task SIGTERM_to_run_during_sbatch_records_what_was_submitted_and_the_next_tick_submits_nothing()
    {
        using var run = AutopilotProcess.Start(["run", "--config", _site.ConfigPath]);
        await WaitForSbatchAsync(run);
        var term = Stopwatch.StartNew();
        await run.SignalAsync("TERM");
        var exit = await run.WaitForExitAsync(TimeSpan.FromSeconds(80));
        Assert.True(exit == 0, $"exit {exit}; output:\n{run.Output}");

        // It waited for sbatch (about 3 s) instead of dying at once.
        Assert.True(term.Elapsed > TimeSpan.FromSeconds(1), $"stopped after {term.Elapsed.TotalSeconds:0.0} s: the submission cannot have finished");
        Assert.Contains(run.Lines, l => l.Contains("pool main: demand 2", StringComparison.Ordinal) && l.Contains("submitted 2", StringComparison.Ordinal));
        var queued = await AssertQueueMatchesEventsAsync(expected: 2, run.Output);

        await AssertNextTickSubmitsNothingAsync(queued);
    }

    [Fact]
    public async Task SIGTERM_to_a_cron_tick_during_sbatch_records_what_was_submitted()
    {
        using var tick = AutopilotProcess.Start(["tick", "--config", _site.ConfigPath]);
        await WaitForSbatchAsync(tick);
        await tick.SignalAsync("TERM");
        var exit = await tick.WaitForExitAsync(TimeSpan.FromSeconds(90));
        Assert.True(exit == 0, $"exit {exit}; output:\n{tick.Output}");
        var queued = await AssertQueueMatchesEventsAsync(expected: 2, tick.Output);

        await AssertNextTickSubmitsNothingAsync(queued);
    }

    private async Task WaitForSbatchAsync(AutopilotProcess process) =>
        await TestServices.WaitUntilAsync(
            () => Task.FromResult(File.Exists(_started) || process.HasExited),
            TimeSpan.FromSeconds(60),
            $"sbatch started by autopilot; output so far:\n{process.Output}");

    private async Task AssertNextTickSubmitsNothingAsync(IReadOnlySet<string> queued)
    {
        File.Delete(_started);
        var (code, output) = await AutopilotProcess.RunAsync(["tick", "--config", _site.ConfigPath], TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"tick exit {code}:\n{output}");
        Assert.Contains("no change", output, StringComparison.Ordinal);
        Assert.False(File.Exists(_started), $"the next tick ran sbatch again:\n{output}");
        Assert.Equal(queued.Order(), (await QueueAsync()).Order());
        Assert.Equal(queued.Order(), (await SubmittedEventsAsync()).Order());
    }

    /// <summary>The pilots in squeue under this test's job name are exactly those the state store recorded.</summary>
    private async Task<IReadOnlySet<string>> AssertQueueMatchesEventsAsync(int expected, string output)
    {
        var queue = await QueueAsync();
        var recorded = await SubmittedEventsAsync();
        Assert.True(queue.SetEquals(recorded), $"squeue has [{string.Join(' ', queue.Order())}], the state store recorded [{string.Join(' ', recorded.Order())}]; output:\n{output}");
        Assert.Equal(expected, queue.Count);
        Assert.Single(File.ReadAllLines(_started));
        return queue;
    }

    private async Task<HashSet<string>> QueueAsync()
    {
        // -r: one line per array element, the way autopilot records them.
        var result = await TestServices.RunAsync("squeue", ["-h", "-r", "--name=" + _jobName, "-o", "%i"]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }

    private async Task<HashSet<string>> SubmittedEventsAsync()
    {
        await using var store = await SqliteStateStore.OpenAsync(_site.StateDir(), default);
        var events = await store.EventsAsync(DateTimeOffset.UtcNow - TimeSpan.FromDays(1), "main", default);
        return events.Where(e => e.Kind == EventKind.Submitted).SelectMany(e => e.JobIds).ToHashSet(StringComparer.Ordinal);
    }

    private static string Which(string command)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var path = Path.Combine(dir, command);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"{command} is not on PATH: is Slurm installed? {TestServices.StartHint}");
    }
}
