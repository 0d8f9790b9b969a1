using Autopilot.Hosting;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Tests.Engine;

/// <summary>
/// Pools on different schedulers (hosts, clusters) are listed at the same time, and their demand
/// sources read at the same time, at most max_parallel_reads at once. Shown without timing: each listing waits for the others to have
/// started, which only concurrent reads can satisfy (the real hanging host is RemoteSchedulerTests).
/// </summary>
public sealed class ParallelReadsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-parallel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AutopilotOptions Options(int maxParallelReads, params string[] clusters) => new()
    {
        StateDir = Path.Combine(_dir, "state"),
        JobPrefix = "t" + Guid.NewGuid().ToString("N")[..8],
        MaxParallelReads = maxParallelReads,
        // One pool per cluster: a listing each (the seam below stands in for the schedulers).
        Pools = clusters.Select(c => new PoolOptions
        {
            Name = "pool-" + c,
            Demand = new Autopilot.DemandSources.Command.CommandOptions { Command = ["echo", "0"] },
            Scheduler = new SchedulerOptions { Kind = "slurm", Clusters = c },
        }).ToList(),
    };

    [Fact]
    public async Task Listings_of_different_clusters_run_at_the_same_time()
    {
        var meeting = new Meeting(expected: 3);
        var report = await Tick(Options(4, "east", "west", "north"), meeting);

        Assert.True(report.Ok, string.Join("; ", report.Pools.Select(p => p.Summary)));
        Assert.Equal(3, meeting.MostAtOnce);
    }

    [Fact]
    public async Task No_more_than_max_parallel_reads_listings_run_at_once()
    {
        // Each listing stays a while: without the bound the three would overlap.
        var meeting = new Meeting(expected: 1, hold: TimeSpan.FromMilliseconds(300));
        var report = await Tick(Options(1, "east", "west", "north"), meeting);

        Assert.True(report.Ok, string.Join("; ", report.Pools.Select(p => p.Summary)));
        Assert.Equal(1, meeting.MostAtOnce);
        Assert.Equal(3, meeting.Listed);
    }

    [Fact]
    public async Task Demand_sources_of_different_pools_are_read_at_the_same_time()
    {
        var meeting = new Meeting(expected: 3);
        var options = Options(4, "east", "west", "north");
        var production = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var components = production with
        {
            CreateScheduler = (_, _) => new MeetingScheduler(new Meeting(expected: 1)),
            CreateDemandSource = _ => new MeetingDemand(meeting),
        };

        var report = await new TickEngine(options, components, TimeProvider.System, NullLogger<TickEngine>.Instance)
            .RunAsync(new TickRequest(DryRun: true), CancellationToken.None);

        Assert.True(report.Ok, string.Join("; ", report.Pools.Select(p => p.Summary)));
        Assert.Equal(3, meeting.MostAtOnce);
    }

    private static async Task<TickReport> Tick(AutopilotOptions options, Meeting meeting)
    {
        var production = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var components = production with { CreateScheduler = (_, _) => new MeetingScheduler(meeting) };
        return await new TickEngine(options, components, TimeProvider.System, NullLogger<TickEngine>.Instance)
            .RunAsync(new TickRequest(DryRun: true), CancellationToken.None);
    }

    /// <summary>Each listing waits until <c>expected</c> listings are in flight together (or gives up after 20 s, failing the tick), then stays <c>hold</c> longer.</summary>
    private sealed class Meeting(int expected, TimeSpan hold = default)
    {
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;

        public int MostAtOnce { get; private set; }

        public int Listed { get; private set; }

        public async Task AttendAsync()
        {
            lock (_gate)
            {
                _inFlight++;
                Listed++;
                MostAtOnce = Math.Max(MostAtOnce, _inFlight);
                if (_inFlight >= expected)
                {
                    _all.TrySetResult();
                }
            }

            try
            {
                await _all.Task.WaitAsync(TimeSpan.FromSeconds(20));
                await Task.Delay(hold);
            }
            catch (TimeoutException)
            {
                throw new SchedulerException($"only {MostAtOnce} listing(s) ran at once, expected {expected}");
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight--;
                }
            }
        }
    }

    private sealed class MeetingDemand(Meeting meeting) : Autopilot.DemandSources.IDemandSource
    {
        public string Describe() => "meeting";

        public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
        {
            try
            {
                await meeting.AttendAsync();
            }
            catch (SchedulerException ex)
            {
                throw new Autopilot.DemandSources.DemandException(ex.Message);
            }

            return Demand.Of(0);
        }
    }

    private sealed class MeetingScheduler(Meeting meeting) : IScheduler
    {
        public string Kind => "slurm";

        public async Task<IReadOnlyList<Pilot>> ListAsync(PilotQuery query, CancellationToken cancellationToken)
        {
            await meeting.AttendAsync();
            return [];
        }

        public Task<SubmitResult> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CancelAsync(IReadOnlyList<string> pilotIds, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<OutcomeReport> OutcomesAsync(OutcomeQuery query, CancellationToken cancellationToken) => Task.FromResult(OutcomeReport.Unavailable("test"));

        public IReadOnlyList<SettingProblem> ValidateSettings(SchedulerOptions options, string jobName) => [];

        public Task<SubmitTest> TestSubmitAsync(SubmitRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
