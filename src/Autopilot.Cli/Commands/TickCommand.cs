using System.CommandLine;
using Autopilot.Engine;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli.Commands;

public static class TickCommand
{
    public static Command Build()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Decide and log, change nothing" };
        var pool = new Option<string?>("--pool") { Description = "Only this pool" };
        var command = new Command("tick", """
            Run one autoscaling cycle over every pool (for cron: * * * * * autopilot tick).
            Exit 0 all well (or another tick is running), 1 a pool could not be read or acted on,
            2 configuration invalid, 3 a pool is paused by the crash-loop rule (and none failed).

            Example: autopilot tick --config /etc/autopilot/autopilot.toml
            """)
        {
            dryRun,
            pool,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            try
            {
                var engine = ctx.Engine(metrics: ctx.Metrics());
                StartupClock.Mark("engine set-up");
                var report = await engine.RunAsync(new TickRequest(parse.GetValue(dryRun), parse.GetValue(pool)), ct);
                StartupClock.Mark("tick");
                var logger = ctx.Loggers.CreateLogger("Autopilot.Cli");
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    // docs/performance.md, "Whole-process tick".
                    logger.LogDebug("process timings: {Timings}", StartupClock.Describe());
                }

                return report.ExitCode;
            }
            catch (ArgumentException ex)
            {
                ctx.Err.WriteLine(ex.Message);
                return 2;
            }
        });
        return command;
    }
}
