using Autopilot.DemandSources.HyperQueue;

namespace Autopilot.Tests.DemandSources;

public sealed class HyperQueueJobListTests
{
    private static string Fixture(string name) => File.ReadAllText(SourcesTestPaths.Fixture("hyperqueue", name));

    [Fact]
    public void Sums_waiting_and_running_over_every_listed_job()
    {
        var counts = HyperQueueJobList.Parse(Fixture("job-list-mixed.json"));

        Assert.Equal(new HyperQueueTaskCounts(Jobs: 3, Waiting: 1030, Running: 11), counts);
    }

    [Fact]
    public void An_empty_list_is_zero_tasks()
    {
        Assert.Equal(new HyperQueueTaskCounts(0, 0, 0), HyperQueueJobList.Parse(Fixture("job-list-empty.json")));
    }

    [Fact]
    public void Older_output_with_resources_and_without_is_open_parses()
    {
        Assert.Equal(new HyperQueueTaskCounts(1, 0, 0), HyperQueueJobList.Parse(Fixture("job-list-0.7-docs.json")));
    }

    [Fact]
    public void The_error_object_is_reported_not_read_as_zero()
    {
        var ex = Assert.Throws<FormatException>(() => HyperQueueJobList.Parse(Fixture("error-no-server.json")));
        Assert.Contains("No online server found", ex.Message);
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("Job list is empty", "not JSON")]
    [InlineData("{\"id\": 1}", "expected a JSON array")]
    [InlineData("[{\"id\": 7, \"name\": \"x\"}]", "job 7 has no task_stats")]
    [InlineData("[{\"id\": 7, \"task_stats\": {\"running\": 1}}]", "job 7: task_stats has no 'waiting'")]
    [InlineData("[{\"id\": 7, \"task_stats\": {\"running\": \"1\", \"waiting\": 2}}]", "task_stats.running is \"1\"")]
    [InlineData("[{\"id\": 7, \"task_stats\": {\"running\": -1, \"waiting\": 2}}]", "task_stats.running is -1")]
    [InlineData("[{\"id\": 7, \"task_stats\": {\"running\": 1.5, \"waiting\": 2}}]", "task_stats.running is 1.5")]
    public void Output_that_is_not_a_job_list_says_what_is_wrong(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => HyperQueueJobList.Parse(json));
        Assert.Contains(expected, ex.Message);
    }
}
