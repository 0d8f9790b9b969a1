using System.Net.Sockets;
using System.Text;

namespace Autopilot.Hosting;

/// <summary>
/// sd_notify(3) over $NOTIFY_SOCKET (the Microsoft.Extensions.Hosting.Systemd stand-in): one
/// datagram per message, abstract socket names ('@' prefix) included. A no-op outside systemd.
/// </summary>
public sealed class SdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endpoint;
    private readonly Lock _gate = new();

    public SdNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket))
        {
            return;
        }

        // systemd writes abstract names with a leading '@'; the kernel wants a leading NUL.
        var path = notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket;
        _endpoint = new UnixDomainSocketEndPoint(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    public static SdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public bool Enabled => _socket is not null;

    /// <summary>The watchdog interval systemd asked for ($WATCHDOG_USEC, for this pid), or null.</summary>
    public static TimeSpan? WatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (string.IsNullOrEmpty(usec) || !long.TryParse(usec, out var value) || value <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(value);
    }

    public void Ready() => Send("READY=1");

    public void Reloading() => Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}");

    public void Stopping() => Send("STOPPING=1");

    public void Watchdog() => Send("WATCHDOG=1");

    public void Status(string status) => Send("STATUS=" + status.Replace('\n', ' '));

    /// <summary>Sends one raw notification ("KEY=value" lines). Failures are swallowed: systemd may be gone.</summary>
    public void Send(string message)
    {
        if (_socket is null || _endpoint is null)
        {
            return;
        }

        lock (_gate)
        {
            try
            {
                _socket.SendTo(Encoding.UTF8.GetBytes(message), _endpoint);
            }
            catch (SocketException)
            {
                // Notifications are advisory; the service keeps working without them.
            }
        }
    }

    public void Dispose() => _socket?.Dispose();

    private static long MonotonicMicroseconds() =>
        (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1_000_000.0 / System.Diagnostics.Stopwatch.Frequency));
}
