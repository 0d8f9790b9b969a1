using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.Smoke;

/// <summary>The real Grid Engine answers qsub, qstat and qdel the way the scheduler adapter expects.</summary>
public sealed class GridEngineSmokeTests
{
    [Fact]
    public async Task Qsub_job_shows_in_qstat_and_qdel_removes_it()
    {
        var env = TestServices.SgeEnvironment;
        var name = TestServices.UniqueName("apit-sge-");
        var submit = await TestServices.RunAsync("qsub",
        [
            "-terse", "-N", name, "-q", TestServices.SgeQueue, "-b", "y", "-j", "y", "-o", "/dev/null",
            "sleep", "300",
        ], env);
        var jobId = submit.StandardOutput.Trim();
        Assert.Matches("^[0-9]+$", jobId);
        try
        {
            // The listing cuts names to 10 characters, so the id finds the row and 'qstat -j' the full name.
            var listing = await TestServices.RunAsync("qstat", ["-u", "*"], env);
            var row = listing.StandardOutput.Split('\n')
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .SingleOrDefault(f => f.Length > 4 && f[0] == jobId);
            Assert.True(row is not null, $"job {jobId} not in qstat:\n{listing.StandardOutput}");
            Assert.Matches("^(qw|hqw|t|r)$", row![4]);

            var detail = await TestServices.RunAsync("qstat", ["-j", jobId], env);
            Assert.Contains($"job_name:                   {name}", detail.StandardOutput, StringComparison.Ordinal);

            await TestServices.RunAsync("qdel", [jobId], env);
            await TestServices.WaitUntilAsync(
                async () => (await TestServices.RunUncheckedAsync("qstat", ["-j", jobId], env)).ExitCode != 0,
                TimeSpan.FromSeconds(30),
                $"job {jobId} ({name}) gone from qstat after qdel");
        }
        finally
        {
            await TestServices.RunUncheckedAsync("qdel", [jobId], env);
        }
    }
}
