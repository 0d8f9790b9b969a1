using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Autopilot.Hosting;

/// <summary>A configuration reload: the new options, or every error that kept the old ones.</summary>
public sealed record ConfigReload(AutopilotOptions? Options, IReadOnlyList<string> Errors);

/// <summary>
/// `autopilot run`: ticks on the configured cron schedule, never overlapping (it takes the same
/// file lock as `autopilot tick`), reloads on SIGHUP, tells systemd what it does (STATUS per tick,
/// WATCHDOG, RELOADING; READY and STOPPING come from the host's <c>SystemdLifetime</c>), and keeps
/// going through failing pools.
/// </summary>
public sealed class TickService : BackgroundService
{
    private readonly Func<AutopilotOptions, TickEngine> _engineFor;
    private readonly Func<CancellationToken, Task<ConfigReload>> _reload;
    private readonly ServiceNotifier _notifier;
    private readonly Task _hostStarted;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<LeaderOptions, LeaderLock> _leaderFor;
    private readonly Dictionary<string, int> _failing = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private volatile bool _reloadRequested;
    private AutopilotOptions _options;
    private LeaderLock? _leader;
    private bool? _leading;
    private long _busySince;
    private int _hangReported;
    private string _reloadNote = "";

    public TickService(
        AutopilotOptions options,
        Func<AutopilotOptions, TickEngine> engineFor,
        Func<CancellationToken, Task<ConfigReload>> reload,
        ServiceNotifier notifier,
        TimeProvider time,
        ILogger<TickService> logger,
        Func<LeaderOptions, LeaderLock>? leaderFor = null,
        Task? hostStarted = null)
    {
        _hostStarted = hostStarted ?? Task.CompletedTask;
        _options = options;
        _engineFor = engineFor;
        _reload = reload;
        _notifier = notifier;
        _time = time;
        _logger = logger;
        _leaderFor = leaderFor ?? (o => new LeaderLock(o, logger));
    }

    /// <summary>Ticks completed since start (for tests and STATUS).</summary>
    public int Ticks { get; private set; }

    public AutopilotOptions Options => _options;

    /// <summary>
    /// A tick (or reload) running longer than this is hung: the watchdog stops pinging so systemd
    /// restarts the service. Each scheduler command and query has its own timeout well below it.
    /// </summary>
    public TimeSpan HangLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Asks for a configuration reload before the next tick (SIGHUP).</summary>
    public void RequestReload()
    {
        _reloadRequested = true;
        _wake.Release();
    }

    /// <summary>
    /// Longest single wait: <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> refuses
    /// more than about 49.7 days, and a wait re-measured daily also follows a stepped clock.
    /// </summary>
    internal static readonly TimeSpan MaxWaitStep = TimeSpan.FromDays(1);

    /// <summary>Called with the tick time the service waits for, each time a sleep towards it has begun (tests follow the schedule with it).</summary>
    internal Action<DateTimeOffset>? Waiting { get; init; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The host says READY=1 once every service has started; no STATUS and no tick before it.
        await _hostStarted.WaitAsync(stoppingToken).ConfigureAwait(false);
        _notifier.Status("started; waiting for the first tick");
        _logger.LogInformation("service started: schedule '{Schedule}'{Zone}, {Pools} pool(s)", _options.Schedule, ZoneNote(), _options.Pools.Count);
        using var watchdog = StartWatchdog(stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var next = CronSchedule.Of(_options).Next(_time.GetUtcNow());
                if (next is null)
                {
                    // Refused at load and reload; only a clock far in the future gets here.
                    _logger.LogError("schedule '{Schedule}' has no further occurrence; checking again in a day", _options.Schedule);
                    _notifier.Status($"schedule '{_options.Schedule}' has no further occurrence");
                    await WaitUntilAsync(_time.GetUtcNow() + MaxWaitStep, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await WaitUntilAsync(next.Value, stoppingToken).ConfigureAwait(false);
                if (stoppingToken.IsCancellationRequested)
                {
                    break;
                }

                if (_reloadRequested)
                {
                    await ReloadAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }

                await TickOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the tick in progress stopped at a safe point.
        }
        finally
        {
            if (_leader is not null)
            {
                await _leader.DisposeAsync().ConfigureAwait(false);
            }

            _logger.LogInformation("service stopped after {Ticks} tick(s)", Ticks);
        }
    }

    private async Task TickOnceAsync(CancellationToken stoppingToken)
    {
        if (_options.Leader.Enabled)
        {
            _leader ??= _leaderFor(_options.Leader);
            var leading = await _leader.EnsureAsync(stoppingToken).ConfigureAwait(false);
            if (leading != _leading)
            {
                // Once per change, not once per tick: a standby ticking every few seconds would flood the log.
                if (leading)
                {
                    _logger.LogInformation("leader: this controller holds leader lock '{Name}' and acts", _options.Leader.Name);
                }
                else
                {
                    _logger.LogInformation("standby: leader lock '{Name}' is held by another controller (or cannot be checked); not acting", _options.Leader.Name);
                }

                _leading = leading;
            }

            if (!leading)
            {
                _notifier.Status(_leader.Problem is { } problem
                    ? $"standby: cannot check leader lock '{_options.Leader.Name}' on {problem}"
                    : $"standby: another controller holds leader lock '{_options.Leader.Name}'");
                return;
            }
        }

        try
        {
            Busy(true);
            var report = await _engineFor(_options).RunAsync(new TickRequest(), stoppingToken).ConfigureAwait(false);
            Ticks++;
            _notifier.Status(StatusLine(report) + _reloadNote);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A tick that blows up must not take the service down; the next tick tries again.
            Ticks++;
            _logger.LogError(ex, "tick failed: {Message}", ex.Message);
            _notifier.Status($"tick failed: {ex.Message}");
        }
        finally
        {
            Busy(false);
        }
    }

    private void Busy(bool busy)
    {
        Interlocked.Exchange(ref _busySince, busy ? Math.Max(1, _time.GetTimestamp()) : 0);
        if (!busy && Interlocked.Exchange(ref _hangReported, 0) == 1)
        {
            _logger.LogWarning("watchdog: the hung tick finished after all; pinging again");
        }
    }

    private string StatusLine(TickReport report)
    {
        if (report.LockBusy)
        {
            return "skipped a tick: another tick held the lock";
        }

        var parts = new List<string>();
        foreach (var pool in report.Pools)
        {
            if (pool.Ok)
            {
                _failing.Remove(pool.Pool);
                var pilots = (pool.Pilots ?? []).Where(p => !p.Foreign).ToList();
                var queued = pilots.Count(p => p.State == PilotState.Queued);
                var running = pilots.Count(p => p.State is PilotState.Running or PilotState.Completing);
                var action = pool.Submitted.Count > 0 ? $", submitted {pool.Submitted.Count}" : "";
                action += pool.Cancelled.Count > 0 ? $", cancelled {pool.Cancelled.Count}" : "";
                parts.Add($"{pool.Pool}: demand {pool.Demand?.Tasks}, {queued} queued, {running} running{action}");
            }
            else
            {
                var count = _failing.GetValueOrDefault(pool.Pool) + 1;
                _failing[pool.Pool] = count;
                parts.Add($"{pool.Pool}: FAILING ({count} tick{(count == 1 ? "" : "s")}): {pool.Error}");
            }
        }

        return parts.Count == 0 ? "no pools" : string.Join("; ", parts);
    }

    private async Task ReloadAsync(CancellationToken stoppingToken)
    {
        _reloadRequested = false;
        _notifier.Reloading();
        ConfigReload reload;
        try
        {
            reload = await _reload(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // A reload that cannot even be read must not take the running service down.
            reload = new ConfigReload(null, [$"cannot load the configuration: {ex.Message}"]);
        }

        try
        {
            if (reload.Options is null || reload.Errors.Count > 0)
            {
                foreach (var error in reload.Errors)
                {
                    _logger.LogError("reload: {Error}", error);
                }

                _logger.LogError("reload: the new configuration has {Count} error(s); keeping the old one", reload.Errors.Count);
                // Kept on every STATUS line until a reload succeeds, so `systemctl status` shows it.
                var note = $"reload rejected at {_time.GetLocalNow():HH:mm:ss}: {reload.Errors.Count} error(s), see the log; running the previous configuration";
                _reloadNote = $" [{note}]";
                _notifier.Status(note);
            }
            else
            {
                var leaderChanged = reload.Options.Leader != _options.Leader;
                _options = reload.Options;
                _reloadNote = "";
                if (leaderChanged && _leader is not null)
                {
                    await _leader.DisposeAsync().ConfigureAwait(false);
                    _leader = null;
                    _leading = null;
                }

                _logger.LogInformation("reload: configuration reloaded: schedule '{Schedule}'{Zone}, {Pools} pool(s)", _options.Schedule, ZoneNote(), _options.Pools.Count);
            }
        }
        finally
        {
            _notifier.Ready();
        }
    }

    private string ZoneNote() => _options.TimeZone is null ? "" : $" in {_options.TimeZone}";

    /// <summary>Sleeps until <paramref name="when"/> in steps of at most <see cref="MaxWaitStep"/>; a reload request wakes it.</summary>
    private async Task WaitUntilAsync(DateTimeOffset when, CancellationToken stoppingToken)
    {
        while (true)
        {
            var delay = when - _time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                return;
            }

            if (await SleepAsync(delay < MaxWaitStep ? delay : MaxWaitStep, when, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>One sleep; true when a reload request (or the stop) ended it early.</summary>
    private async Task<bool> SleepAsync(TimeSpan delay, DateTimeOffset when, CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var sleep = Task.Delay(delay, _time, linked.Token);
        Waiting?.Invoke(when);
        var wake = _wake.WaitAsync(linked.Token);
        var first = await Task.WhenAny(sleep, wake).ConfigureAwait(false);
        await linked.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(sleep, wake).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Whichever did not finish was cancelled on purpose.
        }

        return first == wake || stoppingToken.IsCancellationRequested;
    }

    private ITimer? StartWatchdog(CancellationToken stoppingToken)
    {
        var interval = ServiceNotifier.WatchdogInterval();
        if (interval is null || !_notifier.IsEnabled)
        {
            return null;
        }

        var every = interval.Value / 2;
        _logger.LogDebug("watchdog: pinging every {Ms} ms", every.TotalMilliseconds);
        return _time.CreateTimer(_ => WatchdogPing(stoppingToken), null, TimeSpan.Zero, every);
    }

    /// <summary>
    /// One watchdog ping, unless a tick has been running past <see cref="HangLimit"/>: a timer that
    /// pinged regardless would keep a hung service alive forever.
    /// </summary>
    internal void WatchdogPing(CancellationToken stoppingToken)
    {
        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        var since = Interlocked.Read(ref _busySince);
        if (since != 0 && _time.GetElapsedTime(since) > HangLimit)
        {
            if (Interlocked.Exchange(ref _hangReported, 1) == 0)
            {
                _logger.LogError("watchdog: a tick has been running for more than {Limit}; no more pings, so systemd can restart the service", HangLimit);
                _notifier.Status($"HUNG: a tick has been running for more than {HangLimit}");
            }

            return;
        }

        _notifier.Watchdog();
    }
}
