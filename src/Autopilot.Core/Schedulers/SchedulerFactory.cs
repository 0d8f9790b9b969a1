using Autopilot.Configuration;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers;

/// <summary>Creates the adapter for a pool's scheduler kind. One line per kind.</summary>
public static class SchedulerFactory
{
    public static readonly IReadOnlyList<string> Kinds = ["slurm", "pbs", "torque", "lsf", "sge", "local"];

    /// <param name="options">The pool's scheduler settings: kind, and the command folder and timeout every call uses.</param>
    /// <param name="stateDir">The state directory (the local scheduler keeps pid files under it).</param>
    /// <param name="runner">This machine's command runner; a pool with [pool.scheduler.ssh] or clusters runs through it wrapped (<see cref="Remote.RemoteRunners.For"/>).</param>
    public static IScheduler Create(SchedulerOptions options, IProcessRunner runner, string stateDir, ILoggerFactory loggers, TimeProvider time) =>
        CreateOver(options, Remote.RemoteRunners.For(options, runner, stateDir), stateDir, loggers, time);

    private static IScheduler CreateOver(SchedulerOptions options, IProcessRunner runner, string stateDir, ILoggerFactory loggers, TimeProvider time) =>
        options.Kind switch
        {
            "slurm" => new Slurm.SlurmScheduler(runner, loggers.CreateLogger<Slurm.SlurmScheduler>(), time, options, marker: PilotMarker.For(stateDir)),
            "pbs" => new Pbs.PbsScheduler("pbs", runner, loggers.CreateLogger<Pbs.PbsScheduler>(), options),
            "torque" => new Pbs.PbsScheduler("torque", runner, loggers.CreateLogger<Pbs.PbsScheduler>(), options),
            "lsf" => new Lsf.LsfScheduler(runner, time, loggers.CreateLogger<Lsf.LsfScheduler>(), options),
            "local" => new Local.LocalScheduler(stateDir, loggers.CreateLogger<Local.LocalScheduler>(), time, setsid: options.BinDir is { Length: > 0 } dir ? Path.Combine(dir, "setsid") : "/usr/bin/setsid"),
            "sge" => new GridEngine.GridEngineScheduler(runner, options, loggers.CreateLogger<GridEngine.GridEngineScheduler>(), time, PilotMarker.For(stateDir)),
            _ => throw new ArgumentException($"unknown scheduler kind '{options.Kind}' (expected one of: {string.Join(", ", Kinds)})", nameof(options)),
        };
}
