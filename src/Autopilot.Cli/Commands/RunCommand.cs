using System.CommandLine;
using System.Runtime.InteropServices;
using Autopilot.Configuration;
using Autopilot.Hosting;
using Autopilot.Monitoring;
using Autopilot.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli.Commands;

public static class RunCommand
{
    public static Command Build()
    {
        var command = new Command("run", """
            Run as a service: tick on the configured cron schedule (sd_notify READY/STATUS/WATCHDOG/STOPPING
            when started by systemd), reload the configuration on SIGHUP, stop cleanly on SIGTERM.

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

            using var notifier = SdNotifier.FromEnvironment();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(ctx.Loggers);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(80));
            var service = new TickService(
                ctx.Options,
                options => ctx.Engine(options, metrics),
                async reloadCt => await ReloadAndRecordAsync(ctx, request, reloadCt),
                notifier,
                ctx.Time,
                ctx.Loggers.CreateLogger<TickService>());
            builder.Services.AddHostedService(_ => service);
            using var host = builder.Build();
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
            {
                signal.Cancel = true;
                service.RequestReload();
            });
            await host.RunAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>A reload, recorded as a configreloaded or configrejected event (and alerted like any event).</summary>
    private static async Task<ConfigReload> ReloadAndRecordAsync(CliContext ctx, ConfigRequest request, CancellationToken ct)
    {
        var reload = Reload(request);
        var (kind, reason) = reload.Options is not null
            ? (EventKind.ConfigReloaded, $"{request.ConfigPath ?? "configuration"} reloaded: {reload.Options.Pools.Count} pool(s)")
            : (EventKind.ConfigRejected, $"{reload.Errors.Count} error(s), running the previous configuration: {string.Join("; ", reload.Errors.Take(3))}");
        try
        {
            var alerts = (reload.Options ?? ctx.Options).Alerts;
            await using var store = await CliContext.OpenStoreAsync(ctx.StateDir, alerts, ctx.Runner(), ctx.Loggers, ctx.Time, ct);
            await store.AppendEventAsync(new PoolEvent(ctx.Time.GetUtcNow(), "", kind, [], reason), ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            ctx.Loggers.CreateLogger("Autopilot.Cli").LogWarning("cannot record the {Kind} event: {Message}", EventKinds.Name(kind), ex.Message);
        }

        return reload;
    }

    private static ConfigReload Reload(ConfigRequest request)
    {
        var loaded = ConfigLoader.Load(request);
        var errors = loaded.Errors.Count > 0 ? loaded.Errors : Security.TrustedFiles.Check(loaded);
        return errors.Count > 0
            ? new ConfigReload(null, errors.Select(e => e.ToString()).ToList())
            : new ConfigReload(loaded.Options, []);
    }
}
