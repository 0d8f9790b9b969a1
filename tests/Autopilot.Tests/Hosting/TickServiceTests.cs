using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Hosting;
using Autopilot.Schedulers.Local;
using Autopilot.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Autopilot.Tests.Hosting;

/// <summary>
/// TickService in the host of `autopilot run` (SystemdLifetime, a real datagram socket) with real
/// parts (local scheduler, SQLite state store); only the demand source is a stand-in.
/// </summary>
[Collection(NotifySocket.Collection)]
public sealed class TickServiceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-ticksvc-").FullName;
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string _socketPath;

    public TickServiceTests()
    {
        _socketPath = Path.Combine(_dir, "notify.sock");
        _socket.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _socket.ReceiveTimeout = 10_000;
    }

    public void Dispose()
    {
        _socket.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task A_tick_running_past_the_hang_limit_stops_the_watchdog_pings_until_it_ends()
    {
        var demand = new BlockingDemand();
        var options = Options();
        using var stop = new CancellationTokenSource();
        var (host, service) = await StartAsync((notifier, started) => new TickService(options, o => Engine(o, demand), _ => throw new InvalidOperationException("no reload here"), notifier, TimeProvider.System, NullLogger<TickService>.Instance, hostStarted: started)
        {
            HangLimit = TimeSpan.FromMinutes(1),
        });
        using var disposeHost = host;
        try
        {
            Assert.Equal("READY=1", Receive());
            await demand.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));
            Drain();

            service.WatchdogPing(stop.Token);
            Assert.Equal("WATCHDOG=1", Receive());

            // The same tick, now judged against a limit it has passed.
            service.HangLimit = TimeSpan.FromMilliseconds(100);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
            service.WatchdogPing(stop.Token);
            Assert.StartsWith("STATUS=HUNG: a tick has been running for more than", Receive(), StringComparison.Ordinal);
            service.WatchdogPing(stop.Token);
            Assert.Equal(0, _socket.Available);

            // The tick finishes after all: pings resume.
            service.HangLimit = TimeSpan.FromMinutes(1);
            demand.Release.SetResult();
            Assert.Equal("STATUS=main: demand 0, 0 queued, 0 running", Receive());
            service.WatchdogPing(stop.Token);
            var next = Receive();
            for (var i = 0; i < 5 && next.StartsWith("STATUS=main:", StringComparison.Ordinal); i++)
            {
                next = Receive();   // ticks every second go on meanwhile
            }

            Assert.Equal("WATCHDOG=1", next);
        }
        finally
        {
            demand.Release.TrySetResult();
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task With_the_leader_database_unreachable_it_never_acts_and_STATUS_says_why()
    {
        var password = Path.Combine(_dir, "pg.pass");
        await File.WriteAllTextAsync(password, "secret");
        File.SetUnixFileMode(password, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var options = Options() with
        {
            Leader = new LeaderOptions
            {
                Enabled = true,
                Name = "unit",
                Postgres = new PostgresOptions { Host = "127.0.0.1", Port = 1, Database = "none", User = "none", PasswordFile = password, ConnectTimeout = TimeSpan.FromSeconds(2) },
            },
        };
        var engines = 0;
        var (host, service) = await StartAsync((notifier, started) => new TickService(options, o => { engines++; return Engine(o, new BlockingDemand()); }, _ => throw new InvalidOperationException(), notifier, TimeProvider.System, NullLogger<TickService>.Instance, hostStarted: started));
        using var disposeHost = host;
        try
        {
            Assert.Equal("READY=1", Receive());
            Assert.StartsWith("STATUS=started", Receive(), StringComparison.Ordinal);
            var status = Receive();
            Assert.StartsWith("STATUS=standby: cannot check leader lock 'unit' on 127.0.0.1:1: ", status, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", status, StringComparison.Ordinal);
            Assert.StartsWith("STATUS=standby: cannot check leader lock", Receive(), StringComparison.Ordinal);
            Assert.Equal(0, engines);
            Assert.Equal(0, service.Ticks);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }

        Assert.Equal("STOPPING=1", Receive());
    }

    /// <summary>
    /// Issue 14 problem 6: the ticks around both clock changes of Europe/Amsterdam are exactly those
    /// Cronos lists (written out here in UTC): no hour skipped in autumn, no tick doubled.
    /// </summary>
    [Theory]
    // Autumn 2026 (25 Oct, 03:00 CEST -> 02:00 CET at 01:00 UTC): every 15 minutes of real time, both 02:xx hours.
    [InlineData("*/15 * * * *", "2026-10-24T23:50:00Z", "2026-10-25T02:10:00Z", "00:00 00:15 00:30 00:45 01:00 01:15 01:30 01:45 02:00")]
    // A time of day in the repeated hour fires once, in the first (CEST) pass.
    [InlineData("30 2 * * *", "2026-10-24T20:00:00Z", "2026-10-25T23:00:00Z", "00:30")]
    // Spring 2027 (28 Mar, 02:00 CET -> 03:00 CEST at 01:00 UTC): the interval keeps its real spacing.
    [InlineData("*/15 * * * *", "2027-03-28T00:20:00Z", "2027-03-28T01:20:00Z", "00:30 00:45 01:00 01:15")]
    // A time of day in the skipped hour fires once, right after the jump (03:00 CEST).
    [InlineData("30 2 * * *", "2027-03-27T12:00:00Z", "2027-03-28T12:00:00Z", "01:00")]
    public async Task Ticks_around_the_Amsterdam_clock_changes_are_exactly_those_Cronos_lists(string schedule, string from, string to, string expectedUtc)
    {
        var start = DateTimeOffset.Parse(from, System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.Parse(to, System.Globalization.CultureInfo.InvariantCulture);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Amsterdam");
        var cronos = Cronos.CronExpression.Parse(schedule).GetOccurrences(start, end, zone, fromInclusive: false, toInclusive: true).ToList();
        Assert.Equal(expectedUtc, string.Join(' ', cronos.Select(t => t.UtcDateTime.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture))));

        var time = new FakeTimeProvider(start);
        var demand = new RecordingDemand(time);
        var waits = Channel.CreateUnbounded<DateTimeOffset>();
        var options = Options() with { Schedule = schedule, TimeZone = "Europe/Amsterdam" };
        var (host, _) = await StartAsync(
            (notifier, started) => new TickService(options, o => Engine(o, demand), _ => throw new InvalidOperationException(), notifier, time, NullLogger<TickService>.Instance, hostStarted: started)
            {
                Waiting = t => waits.Writer.TryWrite(t),
            },
            socketPath: null);
        using var disposeHost = host;
        var waited = new List<DateTimeOffset>();
        try
        {
            while (true)
            {
                DateTimeOffset next;
                try
                {
                    next = await waits.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"no next tick after {string.Join(", ", waited.Select(w => w.ToString("u", System.Globalization.CultureInfo.InvariantCulture)))}; ticks {string.Join(", ", demand.Times.Select(w => w.ToString("u", System.Globalization.CultureInfo.InvariantCulture)))}; service {host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Single().ExecuteTask?.Exception}");
                    throw;
                }

                if (next > end)
                {
                    break;
                }

                // Called once the sleep has begun, so moving the clock now wakes it.
                waited.Add(next);
                // In UTC: FakeTimeProvider keeps the offset it is given, and an offset going back an hour would look like time going back.
                time.SetUtcNow(next.ToUniversalTime());
            }
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }

        Assert.Equal(cronos, waited);
        Assert.Equal(cronos.Select(t => t.UtcDateTime), demand.Times.Select(t => t.UtcDateTime));
    }

    /// <summary>Issue 14 problem 7: a next tick more than 49.7 days away (Task.Delay's limit) is waited for in steps.</summary>
    [Fact]
    public async Task A_tick_months_away_is_waited_for_without_crashing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var demand = new RecordingDemand(time);
        var waits = Channel.CreateUnbounded<DateTimeOffset>();
        var options = Options() with { Schedule = "0 0 1 3 *", TimeZone = "Europe/Amsterdam" };
        var (host, service) = await StartAsync(
            (notifier, started) => new TickService(options, o => Engine(o, demand), _ => throw new InvalidOperationException(), notifier, time, NullLogger<TickService>.Instance, hostStarted: started)
            {
                Waiting = t => waits.Writer.TryWrite(t),
            },
            socketPath: null);
        using var disposeHost = host;
        try
        {
            var next = await waits.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(new DateTimeOffset(2027, 2, 28, 23, 0, 0, TimeSpan.Zero), next.ToUniversalTime());

            time.Advance(TimeSpan.FromDays(60));
            await Task.Delay(300);
            Assert.False(service.ExecuteTask!.IsCompleted, $"the service ended: {service.ExecuteTask.Exception}");
            Assert.Empty(demand.Times);

            time.SetUtcNow(next.ToUniversalTime());
            var after = next;
            while (after == next)
            {
                // One call per sleep of at most a day: skip those still towards the first tick.
                after = await waits.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }

            Assert.Equal(new DateTimeOffset(2028, 2, 29, 23, 0, 0, TimeSpan.Zero), after.ToUniversalTime());
            Assert.Equal([next.UtcDateTime], demand.Times.Select(t => t.UtcDateTime));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Issue 14 problem 7: a crash of the service makes `run` exit non-zero, so systemd restarts it; a stop exits 0.</summary>
    [Fact]
    public async Task A_crashed_service_exits_1_and_a_stopped_one_exits_0()
    {
        var options = Options() with { Leader = new LeaderOptions { Enabled = true, Name = "unit" } };
        var (crashing, _) = ServiceHost.Build(
            ServiceHost.CreateBuilder(Serilog.Core.Logger.None, NotifySocket.Notifier(null)),
            started => new TickService(options, o => Engine(o, new RecordingDemand(TimeProvider.System)), _ => throw new InvalidOperationException(), NotifySocket.Notifier(null), TimeProvider.System, NullLogger<TickService>.Instance, _ => throw new InvalidOperationException("leader lock broke"), started));
        using (crashing)
        {
            var exit = await ServiceHost.RunAsync(crashing, crashing.Services.GetServices<IHostedService>().OfType<BackgroundService>(), NullLogger.Instance, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(1, exit);
        }

        var demand = new RecordingDemand(TimeProvider.System);
        var (stopping, _) = ServiceHost.Build(
            ServiceHost.CreateBuilder(Serilog.Core.Logger.None, NotifySocket.Notifier(null)),
            started => new TickService(Options(), o => Engine(o, demand), _ => throw new InvalidOperationException(), NotifySocket.Notifier(null), TimeProvider.System, NullLogger<TickService>.Instance, hostStarted: started));
        using (stopping)
        {
            using var stop = new CancellationTokenSource();
            demand.Measured += () => stop.Cancel();
            var exit = await ServiceHost.RunAsync(stopping, stopping.Services.GetServices<IHostedService>().OfType<BackgroundService>(), NullLogger.Instance, stop.Token).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, exit);
        }
    }

    /// <summary>The service in the host `autopilot run` builds, with the notifier on this test's socket; started.</summary>
    private async Task<(IHost Host, TickService Service)> StartAsync(Func<ServiceNotifier, Task, TickService> create, string? socketPath = "")
    {
        var notifier = NotifySocket.Notifier(socketPath == "" ? _socketPath : socketPath);
        var built = ServiceHost.Build(ServiceHost.CreateBuilder(Serilog.Core.Logger.None, notifier), started => create(notifier, started));
        await built.Host.StartAsync();
        return built;
    }

    private AutopilotOptions Options() => new()
    {
        StateDir = Path.Combine(_dir, "state"),
        Schedule = "*/1 * * * * *",
        JobPrefix = "unit",
        Pools = [new PoolOptions { Name = "main" }],
    };

    private TickEngine Engine(AutopilotOptions options, IDemandSource demand) => new(
        options,
        new TickComponents(
            (_, stateDir) => new LocalScheduler(stateDir),
            _ => demand,
            (_, _, _) => throw new InvalidOperationException("no pilot is submitted here"),
            async (stateDir, ct) => await SqliteStateStore.OpenAsync(stateDir, ct)),
        TimeProvider.System,
        NullLogger<TickEngine>.Instance);

    private string Receive()
    {
        var buffer = new byte[4096];
        var n = _socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private void Drain()
    {
        while (_socket.Available > 0)
        {
            Receive();
        }
    }

    /// <summary>No demand; records the (possibly fake) time of each measurement, i.e. of each tick.</summary>
    private sealed class RecordingDemand(TimeProvider time) : IDemandSource
    {
        private readonly ConcurrentQueue<DateTimeOffset> _times = new();

        public event Action? Measured;

        public IReadOnlyList<DateTimeOffset> Times => [.. _times];

        public string Describe() => "recording";

        public Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
        {
            _times.Enqueue(time.GetUtcNow());
            Measured?.Invoke();
            return Task.FromResult(Demand.Of(0));
        }
    }

    /// <summary>Demand that blocks until released (a hung task database), then reports none.</summary>
    private sealed class BlockingDemand : IDemandSource
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Describe() => "blocking";

        public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return Demand.Of(0);
        }
    }
}
