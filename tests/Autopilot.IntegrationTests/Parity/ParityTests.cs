using System.Xml.Linq;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Schedulers.Local;

namespace Autopilot.IntegrationTests.Parity;

/// <summary>
/// `autopilot tick`, `plan` and `jobs` behave the same on every scheduler kind (issue 4): the same
/// configuration but for scheduler.kind gives the same plan, one submission of the same size (a job
/// array where the scheduler has them), and the same pilots listed afterwards. PBS, Torque and LSF
/// run against the fakes in tests/fakes (no server is installable here); local runs real processes.
/// </summary>
public sealed class ParityWithFakesAndLocalTests
{
    [Theory]
    [InlineData("pbs")]
    [InlineData("torque")]
    [InlineData("lsf")]
    public async Task Tick_plan_and_jobs_agree_on_a_faked_scheduler(string kind)
    {
        using var cluster = new FakeCluster(kind);
        using var s = new ParityScenario(kind, binDir: cluster.Dir);

        await ParityAssertions.PlanBeforeTickAsync(s);
        Assert.Empty(cluster.Submissions());

        await ParityAssertions.TickAsync(s);
        var submission = Assert.Single(cluster.Submissions());
        Assert.Equal(ParityScenario.ExpectedPilots, submission.Size);
        cluster.Sync();

        var ids = await ParityAssertions.JobsAfterTickAsync(s);
        var expected = kind switch
        {
            "pbs" => Enumerable.Range(1, 3).Select(k => $"{submission.Id}[{k}].srv"),
            "torque" => Enumerable.Range(1, 3).Select(k => $"{submission.Id}[{k}].head"),
            _ => Enumerable.Range(1, 3).Select(k => $"{submission.Id}[{k}]"),
        };
        Assert.Equal(expected, ids.Order(StringComparer.Ordinal));

        await ParityAssertions.PlanAfterTickAsync(s);
        await ParityAssertions.TickAsync(s);
        Assert.Single(cluster.Submissions());
    }

    [Fact]
    public async Task Tick_plan_and_jobs_agree_on_the_local_scheduler()
    {
        using var s = new ParityScenario("local");
        var local = new LocalScheduler(s.StateDir, cancelGrace: TimeSpan.FromSeconds(2));
        try
        {
            await ParityAssertions.PlanBeforeTickAsync(s);
            await ParityAssertions.TickAsync(s);

            // No arrays here: one process per pilot.
            var ids = await ParityAssertions.JobsAfterTickAsync(s);
            Assert.Equal(ParityScenario.ExpectedPilots, ids.Count);

            await ParityAssertions.PlanAfterTickAsync(s);
            await ParityAssertions.TickAsync(s);
            var pilots = await local.ListAsync(new Autopilot.Schedulers.PilotQuery([s.JobName]), default);
            Assert.Equal(ids.Order(StringComparer.Ordinal), pilots.Select(p => p.Id).Order(StringComparer.Ordinal));
        }
        finally
        {
            var left = await local.ListAsync(new Autopilot.Schedulers.PilotQuery([s.JobName]), default);
            await local.CancelAsync(left.Select(p => p.Id).ToList(), default);
        }
    }
}

/// <summary>
/// The same scenario on the real single-node Slurm and Grid Engine of this machine (the assembly
/// runs one test class at a time, see AssemblyInfo.cs, so nothing else submits meanwhile).
/// </summary>
public sealed class ParityOnRealSchedulersTests
{
    [Fact]
    public async Task Tick_plan_and_jobs_agree_on_real_Slurm()
    {
        using var s = new ParityScenario("slurm", queue: TestServices.SlurmPartition);
        try
        {
            await ParityAssertions.PlanBeforeTickAsync(s);
            await ParityAssertions.TickAsync(s);
            var tasks = await SlurmTasksAsync(s.JobName);
            Assert.Equal(ParityScenario.ExpectedPilots, tasks.Count);
            var arrayId = Assert.Single(tasks.Select(t => t.ArrayJobId).Distinct());
            Assert.Equal(["1", "2", "3"], tasks.Select(t => t.TaskId).Order(StringComparer.Ordinal));

            var ids = await ParityAssertions.JobsAfterTickAsync(s);
            Assert.Equal(["1", "2", "3"], ids.Select(id => id[(arrayId.Length + 1)..]).Order(StringComparer.Ordinal));
            Assert.All(ids, id => Assert.StartsWith(arrayId + "_", id, StringComparison.Ordinal));

            await ParityAssertions.PlanAfterTickAsync(s);
            await ParityAssertions.TickAsync(s);
            Assert.Equal(ParityScenario.ExpectedPilots, (await SlurmTasksAsync(s.JobName)).Count);
        }
        finally
        {
            await TestServices.RunUncheckedAsync("scancel", ["--name=" + s.JobName]);
        }
    }

    [Fact]
    public async Task Tick_plan_and_jobs_agree_on_real_Grid_Engine()
    {
        using var s = new ParityScenario("sge", queue: TestServices.SgeQueue);
        try
        {
            await ParityAssertions.PlanBeforeTickAsync(s);
            await ParityAssertions.TickAsync(s);
            var jobNumber = Assert.Single(await SgeJobNumbersAsync(s.JobName));

            var ids = await ParityAssertions.JobsAfterTickAsync(s);
            Assert.Equal([$"{jobNumber}.1", $"{jobNumber}.2", $"{jobNumber}.3"], ids.Order(StringComparer.Ordinal));

            await ParityAssertions.PlanAfterTickAsync(s);
            await ParityAssertions.TickAsync(s);
            Assert.Single(await SgeJobNumbersAsync(s.JobName));
        }
        finally
        {
            foreach (var number in await SgeJobNumbersAsync(s.JobName))
            {
                await TestServices.RunUncheckedAsync("qdel", [number], TestServices.SgeEnvironment);
            }
        }
    }

    /// <summary>Every array task of the name, from squeue itself: (array job id, task id).</summary>
    private static async Task<List<(string ArrayJobId, string TaskId)>> SlurmTasksAsync(string name)
    {
        var result = await TestServices.RunAsync("squeue", ["-h", "-r", "--name=" + name, "-o", "%F|%K"]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('|'))
            .Select(p => (p[0], p[1]))
            .ToList();
    }

    /// <summary>The distinct job numbers Grid Engine holds under the name, from qstat -xml itself.</summary>
    private static async Task<List<string>> SgeJobNumbersAsync(string name)
    {
        var result = await TestServices.RunAsync("qstat", ["-xml", "-u", "*"], TestServices.SgeEnvironment);
        return XDocument.Parse(result.StandardOutput).Descendants("job_list")
            .Where(j => (string?)j.Element("JB_name") == name)
            .Select(j => (string)j.Element("JB_job_number")!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }
}
