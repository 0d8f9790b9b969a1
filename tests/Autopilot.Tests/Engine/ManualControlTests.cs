using Autopilot.Configuration;
using Autopilot.Engine;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.State;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Autopilot.DemandSources.Command;
using Autopilot.Hosting;

namespace Autopilot.Tests.Engine;

/// <summary>
/// `submit` and `cancel` with real parts (the local scheduler's detached processes, the SQLite state
/// store); a scheduler whose listing fails is the one narrow seam.
/// </summary>
public sealed class ManualControlTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("autopilot-manual-").FullName;
    private readonly AutopilotOptions _options;
    private readonly TickComponents _components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

    public ManualControlTests()
    {
        var template = Path.Combine(_dir, "sleep-pilot.sh");
        File.WriteAllText(template, "#!/bin/sh\n# pool {{pool}}\nexec sleep 60\n");
        var pool = new PoolOptions
        {
            Name = "main",
            Template = template,
            Demand = new CommandOptions { Command = ["echo", "0"] },
            Scheduler = new SchedulerOptions { Kind = "local", Walltime = TimeSpan.FromHours(1), DrainLead = TimeSpan.FromMinutes(1) },
            Limits = new LimitOptions { MaxPilots = 2, TasksPerPilot = 1, MaxQueued = 4, MaxSubmitPerTick = 4 },
        };
        _options = new AutopilotOptions { StateDir = Path.Combine(_dir, "state"), JobPrefix = "m" + Guid.NewGuid().ToString("N")[..8], Pools = [pool] };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var local = _components.CreateScheduler(_options.Pools[0].Scheduler, _options.StateDir);
        var left = await local.ListAsync(new PilotQuery([TickEngine.JobName(_options, _options.Pools[0])]), CancellationToken.None);
        if (left.Any(p => p.IsActive))
        {
            await local.CancelAsync(left.Where(p => p.IsActive).Select(p => p.Id).ToList(), CancellationToken.None);
        }

        Directory.Delete(_dir, recursive: true);
    }

    private ManualControl Manual(TickComponents components) =>
        new(_options, components, new TickEngine(_options, components, TimeProvider.System, NullLogger<TickEngine>.Instance), TimeProvider.System);

    [Fact]
    public async Task Submit_stops_at_max_pilots_unless_forced_and_records_the_force()
    {
        var manual = Manual(_components);

        var first = await manual.SubmitAsync("main", 2, force: false, "alice", CancellationToken.None);
        Assert.Null(first.Refused);
        Assert.Equal(2, first.Submitted.Count);

        var refused = await manual.SubmitAsync("main", 1, force: false, "alice", CancellationToken.None);
        Assert.Empty(refused.Submitted);
        Assert.Contains("max_pilots 2 (2 counted)", refused.Refused, StringComparison.Ordinal);

        var forced = await manual.SubmitAsync("main", 1, force: true, "alice", CancellationToken.None);
        Assert.Null(forced.Refused);
        Assert.Single(forced.Submitted);

        await using var store = await SqliteStateStore.OpenAsync(_options.StateDir, CancellationToken.None);
        var events = await store.EventsAsync(DateTimeOffset.UtcNow.AddMinutes(-5), "main", CancellationToken.None);
        Assert.Equal([EventKind.ManualSubmit, EventKind.ManualSubmit], events.Select(e => e.Kind));
        Assert.Contains("by alice", events[0].Reason, StringComparison.Ordinal);
        Assert.Contains("--force past max_pilots 2", events[1].Reason, StringComparison.Ordinal);
        Assert.Equal(forced.Submitted, events[1].JobIds);
    }

    [Fact]
    public async Task Cancel_refuses_every_id_when_one_is_not_our_pilot_and_cancels_our_own()
    {
        var manual = Manual(_components);
        var ours = (await manual.SubmitAsync("main", 1, force: false, "bob", CancellationToken.None)).Submitted[0];

        var refused = await manual.CancelAsync([ours, "4242424"], "bob", CancellationToken.None);
        Assert.Empty(refused.Cancelled);
        Assert.Contains("4242424: not a pilot of this configuration", refused.Error, StringComparison.Ordinal);
        Assert.Equal("main", refused.Pilots.Single(p => p.Id == ours).Pool);

        var done = await manual.CancelAsync([ours], "bob", CancellationToken.None);
        Assert.Null(done.Error);
        Assert.Equal([ours], done.Cancelled);
        await using var store = await SqliteStateStore.OpenAsync(_options.StateDir, CancellationToken.None);
        var last = (await store.EventsAsync(DateTimeOffset.UtcNow.AddMinutes(-5), "main", CancellationToken.None))[^1];
        Assert.Equal(EventKind.ManualCancel, last.Kind);
        Assert.Equal([ours], last.JobIds);
    }

    [Fact]
    public async Task With_a_global_max_pilots_another_pool_s_unreadable_listing_refuses_submit()
    {
        var slurm = new Mock<IScheduler>(MockBehavior.Strict);
        slurm.Setup(s => s.ListAsync(It.IsAny<PilotQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SchedulerException("`squeue ...` exited with 1: Unable to contact slurm controller"));
        var other = _options.Pools[0] with { Name = "other", Scheduler = new SchedulerOptions { Kind = "slurm" } };
        var options = _options with { MaxPilots = 10, Pools = [_options.Pools[0], other] };
        var components = _components with { CreateScheduler = (o, dir) => o.Kind == "slurm" ? slurm.Object : _components.CreateScheduler(o, dir) };
        var manual = new ManualControl(options, components, new TickEngine(options, components, TimeProvider.System, NullLogger<TickEngine>.Instance), TimeProvider.System);

        var result = await manual.SubmitAsync("main", 1, force: false, "dave", CancellationToken.None);

        Assert.Empty(result.Submitted);
        Assert.Equal("nothing submitted: the global max_pilots cannot be counted: pool other: cannot list pilots: `squeue ...` exited with 1: Unable to contact slurm controller", result.Refused);
    }

    [Fact]
    public async Task An_unreadable_listing_refuses_submit_even_forced_and_cancel()
    {
        var scheduler = new Mock<IScheduler>(MockBehavior.Strict);
        scheduler.Setup(s => s.ListAsync(It.IsAny<PilotQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SchedulerException("`squeue ...` exited with 1: Unable to contact slurm controller"));
        var manual = Manual(_components with { CreateScheduler = (_, _) => scheduler.Object });

        var submit = await manual.SubmitAsync("main", 1, force: true, "carol", CancellationToken.None);
        var cancel = await manual.CancelAsync(["123"], "carol", CancellationToken.None);

        Assert.Contains("Unable to contact slurm controller", submit.Refused, StringComparison.Ordinal);
        Assert.Contains("nothing cancelled", cancel.Error, StringComparison.Ordinal);
        Assert.Contains("Unable to contact slurm controller", cancel.Error, StringComparison.Ordinal);
        scheduler.Verify(s => s.SubmitAsync(It.IsAny<SubmitRequest>(), It.IsAny<CancellationToken>()), Times.Never);
        scheduler.Verify(s => s.CancelAsync(It.IsAny<IReadOnlyList<string>>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
