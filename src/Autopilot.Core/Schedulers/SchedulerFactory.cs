using Autopilot.Configuration;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers;

/// <summary>Creates the adapter for a pool's scheduler kind, as registered in <see cref="SchedulerKinds"/>.</summary>
public static class SchedulerFactory
{
    /// <param name="options">The pool's scheduler settings: kind, and the command folder and timeout every call uses.</param>
    /// <param name="stateDir">The state directory (the local scheduler keeps pid files under it).</param>
    /// <param name="runner">This machine's command runner; a pool with [pool.scheduler.ssh] or clusters runs through it wrapped (<see cref="Remote.RemoteRunners.For"/>).</param>
    public static IScheduler Create(SchedulerOptions options, IProcessRunner runner, string stateDir, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kind = SchedulerKinds.Find(options.Kind)
            ?? throw new ArgumentException($"unknown scheduler kind '{options.Kind}' (expected one of: {string.Join(", ", SchedulerKinds.Names)})", nameof(options));
        return kind.Create(new SchedulerSetup(options, Remote.RemoteRunners.For(options, runner, stateDir), stateDir, loggers, time));
    }
}
