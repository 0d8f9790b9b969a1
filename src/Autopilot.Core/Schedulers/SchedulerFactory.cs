using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers;

/// <summary>Creates the adapter for a pool's scheduler kind. One line per kind.</summary>
public static class SchedulerFactory
{
    public static readonly IReadOnlyList<string> Kinds = ["slurm", "pbs", "torque", "lsf", "sge", "local"];

    /// <param name="stateDir">The state directory (the local scheduler keeps pid files under it).</param>
    public static IScheduler Create(string kind, IProcessRunner runner, string stateDir, ILoggerFactory loggers, TimeProvider time) =>
        kind switch
        {
            "sge" => new GridEngine.GridEngineScheduler(runner, null, loggers.CreateLogger<GridEngine.GridEngineScheduler>(), time),
            _ => throw new ArgumentException($"unknown scheduler kind '{kind}' (expected one of: {string.Join(", ", Kinds)})", nameof(kind)),
        };
}
