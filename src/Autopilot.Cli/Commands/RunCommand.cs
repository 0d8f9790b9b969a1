using System.CommandLine;
using System.Runtime.InteropServices;
using Autopilot.Configuration;
using Autopilot.Hosting;
using Autopilot.Monitoring;
using Autopilot.State;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli.Commands;

public static class RunCommand
{
    public static Command Build()
    {
        var command = new Command("run", """
            Run as a service: tick on the configured cron schedule (sd_notify READY/STATUS/WATCHDOG/STOPPING
            when started by systemd), reload the configuration on SIGHUP, stop cleanly on SIGTERM.
            Exits 1 if the service crashes, so systemd restarts it.

            Example: autopilot run --config /etc/autopilot/autopilot.toml
            """);
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            var request = new ConfigRequest
            {
                ConfigPath = parse.GetValue(GlobalOptions.Config),
                Overrides = parse.GetValue(GlobalOptions.Set) ?? [],
            };
            // Metrics: their own type, started before READY so a port in use fails the start loudly.
            var metrics = ctx.Metrics(endpoint: true);
            MetricsEndpoint? endpoint = null;
            try
            {
                endpoint = metrics is null ? null : MetricsEndpoint.Start(ctx.Options.Metrics, metrics);
            }
            catch (MetricsEndpointException ex)
            {
                ctx.Err.WriteLine(ex.Message);
                return 2;
            }

            using var metricsEndpoint = endpoint;
            if (endpoint is not null)
            {
                ctx.Loggers.CreateLogger("Autopilot.Metrics").LogInformation("metrics served on {Url}", endpoint.Url);
            }

            var notifier = ServiceHost.Notifier();
            var builder = ServiceHost.CreateBuilder(ctx.Log, notifier);
            var (host, service) = ServiceHost.Build(builder, started => new TickService(
                ctx.Options,
                options => ctx.Engine(options, metrics),
                async reloadCt => await ReloadAndRecordAsync(ctx, request, metrics, reloadCt),
                notifier,
                ctx.Time,
                ctx.Loggers.CreateLogger<TickService>(),
                hostStarted: started));
            using var disposeHost = host;
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                service.RequestReload();
            });
            return await ServiceHost.RunAsync(host, [service], ctx.Loggers.CreateLogger("Autopilot.Service"), ct);
        });
        return command;
    }

    /// <summary>
    /// A reload, recorded as a configreloaded or configrejected event (and alerted like any event).
    /// One that is taken drops the series of pools it no longer watches at once, not a tick later.
    /// </summary>
    private static async Task<ConfigReload> ReloadAndRecordAsync(CliContext ctx, ConfigRequest request, AutopilotMetrics? metrics, CancellationToken ct)
    {
        var reload = Reload(request);
        if (reload.Options is not null)
        {
            metrics?.KeepPoolsOf(reload.Options);
        }

        var (kind, reason) = reload.Options is not null
            ? (EventKind.ConfigReloaded, $"{request.ConfigPath ?? "configuration"} reloaded: {reload.Options.Pools.Count} pool(s)")
            : (EventKind.ConfigRejected, $"{reload.Errors.Count} error(s), running the previous configuration: {string.Join("; ", reload.Errors.Take(3))}");
        try
        {
            var alerts = (reload.Options ?? ctx.Options).Alerts;
            await using var store = await Composition.OpenStoreAsync(ctx.StateDir, alerts, ctx.Runner(), ctx.Loggers, ctx.Time, ct);
            await store.AppendEventAsync(new PoolEvent(ctx.Time.GetUtcNow(), "", kind, [], reason), ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            ctx.Loggers.CreateLogger("Autopilot.Cli").LogWarning("cannot record the {Kind} event: {Message}", EventKinds.Name(kind), ex.Message);
        }

        return reload;
    }

    /// <summary>A SIGHUP reload: the file read again, refused for exactly what refuses a start.</summary>
    internal static ConfigReload Reload(ConfigRequest request)
    {
        var loaded = ConfigLoader.Load(request);
        var problems = CliContext.StartProblems(loaded);
        return problems.Count > 0 ? new ConfigReload(null, problems) : new ConfigReload(loaded.Options, []);
    }
}
