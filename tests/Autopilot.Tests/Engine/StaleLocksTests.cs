using Autopilot.Configuration;
using Autopilot.Engine;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Autopilot.DemandSources.PiCaS;
using Autopilot.Hosting;

namespace Autopilot.Tests.Engine;

/// <summary>
/// The stale-lock pass refuses before it touches CouchDB when it cannot tell which pilots run
/// (a scheduler whose listing fails is the narrow seam; the CouchDB address is unreachable, so any
/// attempt to read or reset would show as a connection error instead).
/// </summary>
public sealed class StaleLocksTests
{
    private static readonly AutopilotOptions Options = new()
    {
        StateDir = Path.Combine(Path.GetTempPath(), "autopilot-stale-" + Guid.NewGuid().ToString("N")),
        Pools =
        [
            new PoolOptions
            {
                Name = "tokens",
                Demand = new PiCaSOptions { Url = "http://127.0.0.1:9", Database = "tokens", StaleLockAfter = TimeSpan.FromHours(1) },
                Scheduler = new SchedulerOptions { Kind = "slurm" },
            },
        ],
    };

    private static StaleLocks Create(IScheduler scheduler)
    {
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System) with { CreateScheduler = (_, _) => scheduler };
        var engine = new TickEngine(Options, components, TimeProvider.System, NullLogger<TickEngine>.Instance);
        return new StaleLocks(Options, engine, NullLogger.Instance, TimeProvider.System);
    }

    [Fact]
    public async Task An_unreadable_pilot_listing_resets_nothing()
    {
        var scheduler = new Mock<IScheduler>(MockBehavior.Strict);
        scheduler.Setup(s => s.ListAsync(It.IsAny<Autopilot.Schedulers.PilotQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SchedulerException("`squeue ...` exited with 1: Unable to contact slurm controller"));

        var report = Assert.Single(await Create(scheduler.Object).RunAsync(Options.Pools, null, null, dryRun: false, store: null, CancellationToken.None));

        Assert.StartsWith("nothing reset: cannot tell which pilots are running", report.Error, StringComparison.Ordinal);
        Assert.Contains("Unable to contact slurm controller", report.Error, StringComparison.Ordinal);
        Assert.True(report.Failed);
        Assert.Empty(report.Resets);
    }

    [Fact]
    public async Task Without_a_limit_nothing_is_judged()
    {
        var scheduler = new Mock<IScheduler>(MockBehavior.Strict);
        scheduler.Setup(s => s.ListAsync(It.IsAny<Autopilot.Schedulers.PilotQuery>(), It.IsAny<CancellationToken>())).ReturnsAsync([]);
        var pool = Options.Pools[0] with { Demand = (PiCaSOptions)Options.Pools[0].Demand with { StaleLockAfter = null } };

        var report = Assert.Single(await Create(scheduler.Object).RunAsync([pool], null, null, dryRun: true, store: null, CancellationToken.None));

        Assert.Contains("stale_lock_after is not set", report.Error, StringComparison.Ordinal);
    }
}
