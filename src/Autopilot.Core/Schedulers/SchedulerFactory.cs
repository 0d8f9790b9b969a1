using Autopilot.Configuration;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers;

/// <summary>Creates the adapter for a pool's scheduler kind, as registered in <see cref="SchedulerKinds"/>.</summary>
public static class SchedulerFactory
{
    /// <param name="options">The pool's scheduler settings: kind, and the command folder and timeout every call uses.</param>
    /// <param name="stateDir">The state directory (the local scheduler keeps pid files under it).</param>
    public static IScheduler Create(SchedulerOptions options, IProcessRunner runner, string stateDir, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var kind = SchedulerKinds.Find(options.Kind)
            ?? throw new ArgumentException($"unknown scheduler kind '{options.Kind}' (expected one of: {string.Join(", ", SchedulerKinds.Names)})", nameof(options));
        return kind.Create(new SchedulerSetup(options, runner, stateDir, loggers, time));
    }
}
