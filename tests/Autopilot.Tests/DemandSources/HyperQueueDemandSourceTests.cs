using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.HyperQueue;
using Autopilot.Domain;
using Autopilot.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Tests.DemandSources;

/// <summary>End to end through the real process runner and the fake `hq` in tests/fakes/hq.</summary>
public sealed class HyperQueueDemandSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string ServerDir => _dir.Path;

    private string State => Path.Combine(ServerDir, "fake-hq");

    public void Dispose() => _dir.Dispose();

    private HyperQueueDemandSource Source(TimeSpan? timeout = null) =>
        new(
            new HyperQueueOptions { Hq = SourcesTestPaths.FakeHq, ServerDir = ServerDir, Timeout = timeout ?? TimeSpan.FromSeconds(10) },
            new ProcessRunner(),
            NullLogger.Instance);

    private void Answer(string response, int exit = 0, string? stderr = null, int? sleep = null)
    {
        Directory.CreateDirectory(State);
        File.WriteAllText(Path.Combine(State, "response"), response);
        File.WriteAllText(Path.Combine(State, "exit"), exit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (stderr is not null)
        {
            File.WriteAllText(Path.Combine(State, "stderr"), stderr);
        }

        if (sleep is not null)
        {
            File.WriteAllText(Path.Combine(State, "sleep"), sleep.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task Demand_is_waiting_plus_running_read_through_hq_job_list()
    {
        Answer(File.ReadAllText(SourcesTestPaths.Fixture("hyperqueue", "job-list-mixed.json")));

        var demand = await Source().MeasureAsync(long.MaxValue, CancellationToken.None);

        Assert.Equal(1041, demand.Tasks);
        Assert.False(demand.Saturated);
        Assert.Equal(
            new[] { new DemandMeasure("waiting", 1030), new DemandMeasure("running", 11), new DemandMeasure("jobs", 3) },
            demand.Measures);
        var argv = File.ReadAllLines(Path.Combine(State, "argv"));
        Assert.Equal(
            new[] { "--server-dir", ServerDir, "--output-mode", "json", "job", "list", "--filter", "waiting,running", "--" },
            argv);
    }

    [Fact]
    public async Task No_jobs_is_zero_demand()
    {
        Answer("[]\n");

        var demand = await Source().MeasureAsync(long.MaxValue, CancellationToken.None);

        Assert.Equal(0, demand.Tasks);
    }

    [Fact]
    public async Task A_server_that_is_not_running_is_an_error_with_hqs_message()
    {
        // No fake-hq folder: the fake answers like hq without a server.
        var ex = await Assert.ThrowsAsync<DemandException>(() => Source().MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("exited with 1", ex.Message);
        Assert.Contains("No online server found", ex.Message);
        Assert.Contains("--server-dir", ex.Message);
    }

    [Fact]
    public async Task Garbage_output_is_an_error_naming_the_command()
    {
        Answer("Job list is empty\n");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Source().MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("cannot be read", ex.Message);
        Assert.Contains("job list", ex.Message);
    }

    [Fact]
    public async Task A_failing_hq_is_reported_with_its_stderr()
    {
        Answer("", exit: 2, stderr: "error: unexpected argument '--filter' found");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Source().MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("exited with 2", ex.Message);
        Assert.Contains("unexpected argument '--filter'", ex.Message);
    }

    [Fact]
    public async Task A_hung_hq_times_out()
    {
        Answer("[]", sleep: 30);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DemandException>(() => Source(TimeSpan.FromSeconds(1)).MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("timed out after 1 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_missing_hq_executable_is_an_error()
    {
        var source = new HyperQueueDemandSource(
            new HyperQueueOptions { Hq = Path.Combine(_dir.Path, "no-such-hq"), ServerDir = ServerDir },
            new ProcessRunner(),
            NullLogger.Instance);

        var ex = await Assert.ThrowsAsync<DemandException>(() => source.MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("could not be started", ex.Message);
        Assert.Contains("demand.hq", ex.Message);
    }

    [Fact]
    public void Factory_builds_it_and_describe_names_the_server_dir()
    {
        var source = DemandSourceFactory.Create(
            new HyperQueueOptions { ServerDir = "/scratch/hq" }, new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

        Assert.IsType<HyperQueueDemandSource>(source);
        Assert.Equal("hyperqueue hq --server-dir /scratch/hq", source.Describe());
    }
}
