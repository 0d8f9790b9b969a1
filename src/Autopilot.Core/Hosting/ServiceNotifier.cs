using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting.Systemd;

namespace Autopilot.Hosting;

/// <summary>
/// What <c>autopilot run</c> tells systemd, through Microsoft.Extensions.Hosting.Systemd's
/// <see cref="ISystemdNotifier"/> (READY=1 and STOPPING=1 come from <see cref="SystemdLifetime"/>,
/// which uses this same notifier). It adds the two rules the service needs on top: a notification
/// that fails (systemd gone, socket removed) never takes the service down, and nothing is sent
/// after STOPPING=1, so a late STATUS or WATCHDOG cannot follow the goodbye.
/// </summary>
public sealed class ServiceNotifier(ISystemdNotifier inner) : ISystemdNotifier
{
    private readonly Lock _gate = new();
    private bool _stopped;

    public bool IsEnabled => inner.IsEnabled;

    /// <summary>The watchdog interval systemd asked for ($WATCHDOG_USEC, for this pid), or null.</summary>
    public static TimeSpan? WatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (string.IsNullOrEmpty(usec) || !long.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(value);
    }

    public void Notify(ServiceState state)
    {
        lock (_gate)
        {
            if (_stopped || !inner.IsEnabled)
            {
                return;
            }

            _stopped = state.ToString() == ServiceState.Stopping.ToString();
            try
            {
                inner.Notify(state);
            }
            catch (SocketException)
            {
                // Notifications are advisory; the service keeps working without them.
            }
        }
    }

    public void Status(string status) => Notify(new ServiceState("STATUS=" + status.Replace('\n', ' ')));

    public void Watchdog() => Notify(new ServiceState("WATCHDOG=1"));

    /// <summary>RELOADING=1 with the monotonic time systemd wants beside it (Type=notify-reload).</summary>
    public void Reloading() => Notify(new ServiceState(string.Create(CultureInfo.InvariantCulture, $"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}")));

    public void Ready() => Notify(ServiceState.Ready);

    private static long MonotonicMicroseconds() =>
        (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));
}
