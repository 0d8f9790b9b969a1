using Autopilot.Configuration;
using Autopilot.Logging;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;

namespace Autopilot.Tests.Logging;

/// <summary>Microsoft.* categories log at Warning and above whatever the level: as Serilog's MinimumLevel.Override did.</summary>
public sealed class MicrosoftLevelTests
{
    private static readonly string[] Sources = ["Microsoft", "Microsoft.Hosting.Lifetime", "MicrosoftX", "Autopilot.Engine.TickEngine", "System.Net"];
    private static readonly LogLevel[] Levels = [LogLevel.Trace, LogLevel.Debug, LogLevel.Information, LogLevel.Warning, LogLevel.Error, LogLevel.Critical];

    [Theory]
    [InlineData("verbose", false, false)]
    [InlineData("information", false, false)]
    [InlineData("error", false, false)]
    [InlineData("fatal", false, false)]
    [InlineData("information", true, false)]
    [InlineData("information", false, true)]
    public void The_same_events_pass_as_with_Serilog_level_override(string configured, bool verbose, bool quiet)
    {
        var console = new StringWriter();
        using (var factory = AutopilotLogging.Create(new LogOptions { Level = configured, File = false }, null, verbose, quiet, console, journal: true))
        {
            Emit(factory);
        }

        var reference = new Collector();
        using (var factory = new SerilogLoggerFactory(
                   new LoggerConfiguration()
                       .MinimumLevel.Is(AutopilotLogging.MinimumLevel(configured, verbose, quiet))
                       .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
                       .WriteTo.Sink(reference)
                       .CreateLogger(),
                   dispose: true))
        {
            Emit(factory);
        }

        var passed = console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[3..]).ToList();
        Assert.Equal(reference.Messages, passed);
        Assert.Contains("Microsoft.Hosting.Lifetime Warning", passed);
        Assert.DoesNotContain("Microsoft.Hosting.Lifetime Information", passed);
    }

    private static void Emit(ILoggerFactory factory)
    {
        foreach (var source in Sources)
        {
            var logger = factory.CreateLogger(source);
            foreach (var level in Levels)
            {
                logger.Log(level, "{Source} {Level}", source, level.ToString());
            }
        }
    }

    private sealed class Collector : ILogEventSink
    {
        public List<string> Messages { get; } = [];

        public void Emit(LogEvent logEvent) => Messages.Add(logEvent.RenderMessage().Replace("\"", "", StringComparison.Ordinal));
    }
}
