using Autopilot.Configuration;
using Prometheus;

namespace Autopilot.Monitoring;

/// <summary>
/// The /metrics endpoint of `autopilot run`: prometheus-net's standalone MetricServer (an
/// HttpListener, no ASP.NET Core), on [metrics] address:port, 127.0.0.1:9467 unless configured.
/// </summary>
public sealed class MetricsEndpoint : IDisposable
{
    private readonly MetricServer _server;

    private MetricsEndpoint(MetricServer server, string url)
    {
        _server = server;
        Url = url;
    }

    /// <summary>Where it answers, e.g. http://127.0.0.1:9467/metrics.</summary>
    public string Url { get; }

    /// <summary>Starts listening; null when metrics are off.</summary>
    /// <exception cref="MetricsEndpointException">The address cannot be listened on (in use, not ours, no permission).</exception>
    public static MetricsEndpoint? Start(MetricsOptions options, AutopilotMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        if (!options.Enabled)
        {
            return null;
        }

        // HttpListener wants brackets around an IPv6 address.
        var host = options.Address.Contains(':', StringComparison.Ordinal) ? $"[{options.Address}]" : options.Address;
        var url = $"http://{host}:{options.Port}/metrics";
        var server = new MetricServer(host, options.Port, "metrics/", metrics.Registry);
        try
        {
            server.Start();
        }
        catch (Exception ex) when (ex is System.Net.HttpListenerException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            server.Dispose();
            throw new MetricsEndpointException($"metrics: cannot listen on {url}: {ex.Message} (set [metrics] address/port)", ex);
        }

        return new MetricsEndpoint(server, url);
    }

    public void Dispose() => _server.Dispose();
}

/// <summary>The metrics endpoint could not be started; the message names the address.</summary>
public sealed class MetricsEndpointException(string message, Exception? inner = null) : Exception(message, inner);
