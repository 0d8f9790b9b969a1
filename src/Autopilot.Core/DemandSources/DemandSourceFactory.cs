using Autopilot.Configuration;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources;

/// <summary>Creates the demand source for a pool. One line per kind.</summary>
public static class DemandSourceFactory
{
    public static readonly IReadOnlyList<string> Kinds = ["hypershell", "picas", "hyperqueue", "sql", "command"];

    public static IDemandSource Create(DemandOptions options, IProcessRunner runner, ILoggerFactory loggers, TimeProvider time) =>
        options.Kind switch
        {
            "hypershell" => new HyperShell.HyperShellDemandSource(options, loggers.CreateLogger<HyperShell.HyperShellDemandSource>(), time),
            "picas" => new PiCaS.PiCaSDemandSource(options, loggers.CreateLogger<PiCaS.PiCaSDemandSource>(), time),
            "hyperqueue" => new HyperQueue.HyperQueueDemandSource(options, runner, loggers.CreateLogger<HyperQueue.HyperQueueDemandSource>()),
            "sql" => new Sql.SqlDemandSource(options, loggers.CreateLogger<Sql.SqlDemandSource>(), time),
            "command" => new Command.CommandDemandSource(options, runner, loggers.CreateLogger<Command.CommandDemandSource>()),
            _ => throw new ArgumentException($"unknown demand kind '{options.Kind}' (expected one of: {string.Join(", ", Kinds)})", nameof(options)),
        };
}
