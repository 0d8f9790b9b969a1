using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Serilog;

namespace Autopilot.Hosting;

/// <summary>
/// The generic host of <c>autopilot run</c>: Serilog as its logger (Serilog.Extensions.Hosting),
/// <see cref="SystemdLifetime"/> when there is a $NOTIFY_SOCKET (READY=1 once started, STOPPING=1
/// on SIGTERM), an 80 s shutdown for a submission in flight. Services are added to the builder by
/// the caller, so another one (a metrics endpoint) is one more AddHostedService.
/// </summary>
public static class ServiceHost
{
    public static HostApplicationBuilder CreateBuilder(Serilog.ILogger log, ServiceNotifier notifier)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(log, dispose: false);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(80));
        builder.Services.AddSingleton<ISystemdNotifier>(notifier);
        // UseSystemd() switches only when systemd is the parent process; a $NOTIFY_SOCKET from any
        // supervisor (a container's init, the tests) is honoured the same way.
        if (notifier.IsEnabled)
        {
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        return builder;
    }

    /// <summary>The notifier of this process: systemd's $NOTIFY_SOCKET, or a no-op without one.</summary>
    public static ServiceNotifier Notifier() => new(new SystemdNotifier());

    /// <summary>
    /// Adds the tick service and builds the host. The service gets a task that completes once the
    /// host has started, after SystemdLifetime's READY=1: this registration comes before the
    /// lifetime's, and callbacks run last-registered first.
    /// </summary>
    public static (IHost Host, TickService Service) Build(HostApplicationBuilder builder, Func<Task, TickService> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(create);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var service = create(started.Task);
        builder.Services.AddHostedService(_ => service);
        var host = builder.Build();
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => started.TrySetResult());
        return (host, service);
    }

    /// <summary>
    /// Runs the host to its end: 0 after a clean stop, 1 when it or a service crashed, so systemd
    /// (Restart=on-failure) starts it again.
    /// </summary>
    public static async Task<int> RunAsync(IHost host, IEnumerable<BackgroundService> services, Microsoft.Extensions.Logging.ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(services);
        try
        {
            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogCritical(ex, "service crashed: {Message}", ex.Message);
            return 1;
        }

        foreach (var service in services)
        {
            if (service.ExecuteTask is { IsFaulted: true } crashed)
            {
                var ex = crashed.Exception.GetBaseException();
                logger.LogCritical(ex, "service crashed: {Message}", ex.Message);
                return 1;
            }
        }

        return 0;
    }
}
