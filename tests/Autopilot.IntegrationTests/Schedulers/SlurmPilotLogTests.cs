using Autopilot.Configuration;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.IntegrationTests.Schedulers;

/// <summary>
/// Pilot logs are safe to archive by sync: a pilot never rewrites an existing file of its name (job ids
/// restart after a slurmctld state reset, and sbatch truncates by default). On the real Slurm.
/// </summary>
public sealed class SlurmPilotLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-slurm-log-").FullName;
    private readonly string _name = TestServices.UniqueName("aplog-");

    public void Dispose()
    {
        TestServices.RunUncheckedAsync("scancel", ["--name=" + _name]).GetAwaiter().GetResult();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task A_pilot_appends_to_a_log_file_of_its_name_instead_of_emptying_it()
    {
        var script = Path.Combine(_dir, "pilot.sh");
        File.WriteAllText(script, "#!/bin/bash\necho \"pilot $SLURM_JOB_ID ran\"\n");
        var logs = Path.Combine(_dir, "logs");
        var request = new SubmitRequest("it", _name, script, 1,
            new SchedulerOptions { Kind = "slurm", Queue = TestServices.SlurmPartition, Walltime = TimeSpan.FromMinutes(5), ExtraArgs = ["--hold"] },
            logs);

        // Held, so its log file does not exist yet: an older, closed log of the same name is put there.
        var id = Assert.Single((await new SlurmScheduler(new ProcessRunner()).SubmitAsync(request, default)).JobIds);
        var log = Path.Combine(logs, $"{_name}-{id}.out");
        File.WriteAllText(log, "an earlier pilot's closed log\n");
        await TestServices.RunAsync("scontrol", ["release", id]);

        await TestServices.WaitUntilAsync(
            () => Task.FromResult(File.ReadAllText(log).Contains($"pilot {id} ran", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60),
            $"pilot {id} wrote its log");
        Assert.Equal($"an earlier pilot's closed log\npilot {id} ran\n", File.ReadAllText(log));
    }
}
