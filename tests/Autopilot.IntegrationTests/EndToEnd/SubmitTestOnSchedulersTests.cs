using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// `autopilot check --submit-test` as a real process against the real Slurm (`sbatch --test-only`) and
/// the real Grid Engine (`qsub -w v`): a pool with a partition/queue that exists passes, one that does
/// not fails with the scheduler's own message, and neither leaves a job behind.
/// </summary>
public sealed class SubmitTestOnSchedulersTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-submit-test-").FullName;
    private readonly string _prefix = TestServices.UniqueName("apst");

    private string Config => Path.Combine(_dir, "autopilot.toml");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Slurm_validates_the_good_partition_and_refuses_the_bad_one_in_its_own_words()
    {
        WriteConfig("slurm", TestServices.SlurmPartition, "nosuchpartition");

        var good = await CheckAsync("good", null);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("submit test: sbatch: Job", good.Stdout, StringComparison.Ordinal);
        Assert.Contains($"in partition {TestServices.SlurmPartition}", good.Stdout, StringComparison.Ordinal);

        var bad = await CheckAsync("bad", null);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("submit test refused by slurm", bad.Stdout, StringComparison.Ordinal);
        Assert.Contains("sbatch --test-only", bad.Stdout, StringComparison.Ordinal);
        Assert.Contains("invalid partition specified: nosuchpartition", bad.Stdout, StringComparison.Ordinal);
        Assert.Contains("pool:1:scheduler", bad.Stdout, StringComparison.Ordinal);

        // Without a pool name every enabled pool is tried: the bad one fails the whole check.
        var all = await CheckAsync(null, null);
        Assert.Equal(2, all.ExitCode);
        Assert.Contains("1 problem found", all.Stdout, StringComparison.Ordinal);

        var left = await TestServices.RunAsync("squeue", ["-h", "--name=" + _prefix + "-good", "-o", "%i"]);
        Assert.Equal("", left.StandardOutput.Trim());
    }

    [Fact]
    public async Task Grid_Engine_verifies_the_good_queue_and_refuses_the_bad_one_in_its_own_words()
    {
        WriteConfig("sge", TestServices.SgeQueue, "nosuch.q");
        var env = new Dictionary<string, string?>(TestServices.SgeEnvironment);

        var good = await CheckAsync("good", env);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("submit test: verification: found suitable queue(s)", good.Stdout, StringComparison.Ordinal);

        var bad = await CheckAsync("bad", env);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("submit test refused by sge", bad.Stdout, StringComparison.Ordinal);
        Assert.Contains("-w v", bad.Stdout, StringComparison.Ordinal);
        Assert.Contains("job requests unknown queue \"nosuch.q\"", bad.Stdout, StringComparison.Ordinal);

        var left = await TestServices.RunAsync("qstat", ["-u", Environment.UserName], env);
        Assert.DoesNotContain(_prefix, left.StandardOutput, StringComparison.Ordinal);
    }

    private void WriteConfig(string kind, string goodQueue, string badQueue)
    {
        var text = $"""
            state_dir = {EndToEndHarness.Quote(Path.Combine(_dir, "state"))}
            job_prefix = {EndToEndHarness.Quote(_prefix)}
            [log]
            file = false
            """;
        foreach (var (name, queue) in new[] { ("good", goodQueue), ("bad", badQueue) })
        {
            text += $"""

                [[pool]]
                name = "{name}"
                template = {EndToEndHarness.Quote(EndToEndHarness.Template)}
                [pool.demand]
                kind = "command"
                command = ["echo", "0"]
                [pool.scheduler]
                kind = "{kind}"
                queue = {EndToEndHarness.Quote(queue)}
                walltime = "00:10:00"
                drain_lead = "10s"
                [pool.policy]
                min_useful_walltime = "30s"
                """;
        }

        File.WriteAllText(Config, text + "\n");
    }

    private async Task<CliRun> CheckAsync(string? pool, IReadOnlyDictionary<string, string?>? environment)
    {
        string[] args = pool is null ? ["check", "--submit-test", "--config", Config] : ["check", "--submit-test", pool, "--config", Config];
        var result = await TestServices.Runner.RunAsync(
            new ProcessSpec(EndToEndHarness.Program, args, WorkingDirectory: _dir, Environment: environment, Timeout: TimeSpan.FromSeconds(90)), CancellationToken.None);
        var run = new CliRun(args, result.ExitCode, result.StandardOutput, result.StandardError);
        output.WriteLine(run.ToString());
        return run;
    }
}
