using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.Smoke;

/// <summary>The real Slurm answers sbatch, squeue and scancel the way the scheduler adapter expects.</summary>
public sealed class SlurmSmokeTests
{
    [Fact]
    public async Task Sbatch_job_shows_in_squeue_and_scancel_removes_it()
    {
        var name = TestServices.UniqueName("apit-slurm-");
        var submit = await TestServices.RunAsync("sbatch",
        [
            "--parsable", "--partition", TestServices.SlurmPartition, "--job-name", name,
            "--ntasks", "1", "--cpus-per-task", "1", "--time", "00:05:00",
            "--output", "/dev/null", "--wrap", "sleep 300",
        ]);
        var jobId = submit.StandardOutput.Trim().Split(';')[0];
        Assert.Matches("^[0-9]+$", jobId);
        try
        {
            // By name, so only our job is looked at; default states are the live ones.
            var line = (await SqueueByNameAsync(name)).Trim();
            var fields = line.Split('|');
            Assert.Equal([jobId, name, TestServices.SlurmPartition], fields[..3]);
            Assert.Contains(fields[3], new[] { "PENDING", "CONFIGURING", "RUNNING" });

            await TestServices.RunAsync("scancel", [jobId]);
            await TestServices.WaitUntilAsync(
                async () => (await SqueueByNameAsync(name)).Trim().Length == 0,
                TimeSpan.FromSeconds(30),
                $"job {jobId} ({name}) gone from squeue after scancel");
        }
        finally
        {
            await TestServices.RunUncheckedAsync("scancel", [jobId]);
        }
    }

    private static async Task<string> SqueueByNameAsync(string name)
    {
        var result = await TestServices.RunAsync("squeue", ["--noheader", "--name", name, "--format", "%i|%j|%P|%T"]);
        return result.StandardOutput;
    }
}
