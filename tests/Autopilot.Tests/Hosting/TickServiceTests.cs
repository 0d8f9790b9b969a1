using System.Net.Sockets;
using System.Text;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Hosting;
using Autopilot.Schedulers.Local;
using Autopilot.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Tests.Hosting;

/// <summary>TickService with real parts (local scheduler, SQLite state store, a datagram socket); only the demand source is a stand-in.</summary>
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
        using var notifier = new SdNotifier(_socketPath);
        var service = new TickService(options, o => Engine(o, demand), _ => throw new InvalidOperationException("no reload here"), notifier, TimeProvider.System, NullLogger<TickService>.Instance)
        {
            HangLimit = TimeSpan.FromMinutes(1),
        };
        using var stop = new CancellationTokenSource();
        await service.StartAsync(stop.Token);
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
            await service.StopAsync(CancellationToken.None);
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
        using var notifier = new SdNotifier(_socketPath);
        var service = new TickService(options, o => { engines++; return Engine(o, new BlockingDemand()); }, _ => throw new InvalidOperationException(), notifier, TimeProvider.System, NullLogger<TickService>.Instance);
        await service.StartAsync(CancellationToken.None);
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
            await service.StopAsync(CancellationToken.None);
        }

        Assert.Equal("STOPPING=1", Receive());
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
