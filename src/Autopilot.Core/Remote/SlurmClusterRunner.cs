using Autopilot.Processes;

namespace Autopilot.Remote;

/// <summary>
/// Names one Slurm cluster (-M) on every Slurm command of a pool (scheduler.clusters), so pools on
/// several clusters of one Slurm federation or multi-cluster setup are listed, submitted to and
/// cancelled where they live. -M goes first: after sbatch's script path it would be the script's argument.
/// </summary>
public sealed class SlurmClusterRunner(IProcessRunner inner, string cluster) : IProcessRunner
{
    private static readonly HashSet<string> ClusterAware = new(StringComparer.Ordinal) { "squeue", "sbatch", "scancel", "sacct", "scontrol" };

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return inner.RunAsync(WithCluster(spec, cluster), cancellationToken);
    }

    /// <summary><paramref name="spec"/> with -M CLUSTER in front of its arguments when it is a Slurm command.</summary>
    public static ProcessSpec WithCluster(ProcessSpec spec, string cluster)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return ClusterAware.Contains(Path.GetFileName(spec.FileName))
            ? spec with { Arguments = ["-M", cluster, .. spec.Arguments] }
            : spec;
    }
}
