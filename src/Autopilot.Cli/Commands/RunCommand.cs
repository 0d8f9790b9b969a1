using System.CommandLine;
using System.Runtime.InteropServices;
using Autopilot.Configuration;
using Autopilot.Hosting;
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
            using var notifier = SdNotifier.FromEnvironment();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(ctx.Loggers);
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(80));
            var service = new TickService(
                ctx.Options,
                options => ctx.Engine(options),
                _ => Task.FromResult(Reload(request)),
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

    private static ConfigReload Reload(ConfigRequest request)
    {
        var loaded = ConfigLoader.Load(request);
        var errors = loaded.Errors.Count > 0 ? loaded.Errors : Security.TrustedFiles.Check(loaded);
        return errors.Count > 0
            ? new ConfigReload(null, errors.Select(e => e.ToString()).ToList())
            : new ConfigReload(loaded.Options, []);
    }
}
