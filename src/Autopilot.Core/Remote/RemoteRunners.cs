using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.Remote;

/// <summary>The command runner a pool's scheduler adapter gets: this machine's, or through ssh, with Slurm's -M when the pool names a cluster.</summary>
public static class RemoteRunners
{
    /// <exception cref="ArgumentException">The ssh settings cannot be used (a control socket path too long, a path ssh cannot take).</exception>
    public static IProcessRunner For(SchedulerOptions options, IProcessRunner local, string stateDir)
    {
        ArgumentNullException.ThrowIfNull(options);
        var runner = options.Ssh is { } ssh ? new SshProcessRunner(local, ssh, stateDir) : local;
        return options.Clusters is { } cluster && options.Kind == Schedulers.SchedulerKinds.Slurm.Name ? new SlurmClusterRunner(runner, cluster) : runner;
    }

    /// <summary>
    /// True when two pools' commands reach the same scheduler the same way, so one listing serves both:
    /// the same kind, command folder, cluster and ssh settings.
    /// </summary>
    public static bool SameScheduler(SchedulerOptions a, SchedulerOptions b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Kind == b.Kind && a.BinDir == b.BinDir && a.Clusters == b.Clusters && Equals(a.Ssh, b.Ssh);
    }
}
