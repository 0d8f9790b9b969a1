using System.CommandLine;
using System.Runtime.InteropServices;
using Autopilot.Configuration;
using Autopilot.Hosting;
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
            var notifier = ServiceHost.Notifier();
            var builder = ServiceHost.CreateBuilder(ctx.Log, notifier);
            var (host, service) = ServiceHost.Build(builder, started => new TickService(
                ctx.Options,
                options => ctx.Engine(options),
                _ => Task.FromResult(Reload(request)),
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

    /// <summary>A SIGHUP reload: the file read again, refused for exactly what refuses a start.</summary>
    internal static ConfigReload Reload(ConfigRequest request)
    {
        var loaded = ConfigLoader.Load(request);
        var problems = CliContext.StartProblems(loaded);
        return problems.Count > 0 ? new ConfigReload(null, problems) : new ConfigReload(loaded.Options, []);
    }
}
