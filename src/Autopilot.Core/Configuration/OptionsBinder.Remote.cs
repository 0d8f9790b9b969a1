using System.Text.RegularExpressions;

namespace Autopilot.Configuration;

// [pool.scheduler.ssh] and scheduler.clusters: docs/remote-clusters.md.
internal static partial class OptionsBinder
{
    private static SshOptions BindSsh(SectionReader r)
    {
        var d = new SshOptions();
        var host = r.OptionalString("host");
        if (host is null)
        {
            r.Context.Error(r.Prefix, "a [pool.scheduler.ssh] table needs a host (the login node the scheduler commands run on)");
        }
        else if (!SshHost().IsMatch(host))
        {
            // It reaches ssh's argv: a leading '-' would be read as an option, a space or ';' as more than a name.
            r.Error("host", $"'{host}' is not a host name or address ssh can be given safely (letters, digits, '.', '-', '_', ':'; not starting with '-')");
        }

        var user = r.OptionalString("user");
        if (user is null && host is not null)
        {
            // Grid Engine and PBS list pilots by user name: left to ssh (its config may name another
            // account), they would be asked for this machine's user and the pilots would go unseen.
            r.Context.Error(r.Prefix, "a [pool.scheduler.ssh] table needs a user (the remote account the pilots belong to)");
        }
        else if (user is not null && !SshUser().IsMatch(user))
        {
            r.Error("user", $"'{user}' is not a user name ssh can be given safely (letters, digits, '.', '_', '-'; not starting with '-')");
        }

        var port = r.Has("port") ? r.Int("port", 22, min: 1, max: 65535) : (int?)null;
        var options = new SshOptions
        {
            Host = host ?? "",
            User = user,
            Port = port,
            IdentityFile = r.OptionalPath("identity_file"),
            KnownHosts = r.OptionalPath("known_hosts"),
            ControlPersist = r.Duration("control_persist", d.ControlPersist),
            CommandTimeout = r.Has("command_timeout") ? r.Duration("command_timeout", TimeSpan.FromSeconds(30), positive: true) : null,
            RemoteDir = r.String("remote_dir", d.RemoteDir),
            Command = r.String("command", d.Command),
        };
        if (options.RemoteDir.Contains('\n', StringComparison.Ordinal) || options.RemoteDir.Contains('\0', StringComparison.Ordinal)
            || options.RemoteDir.Contains('%', StringComparison.Ordinal) || options.RemoteDir.Contains('\\', StringComparison.Ordinal))
        {
            // The pilot logs' names are built under it: sbatch reads '%' as a pattern and '\' turns patterns off.
            r.Error("remote_dir", "must not contain a newline, NUL, '%' or '\\'");
        }

        if (r.Has("strict_host_key_checking") || r.Has("StrictHostKeyChecking"))
        {
            // Said outright rather than as an unknown key: the answer is no, not a typo.
            r.Error(r.Has("strict_host_key_checking") ? "strict_host_key_checking" : "StrictHostKeyChecking",
                "host keys are always checked (StrictHostKeyChecking=yes); add the host's key to the known_hosts file instead");
        }

        r.Finish();
        return options;
    }

    /// <summary>What a scheduler table may not combine: clusters only for Slurm, ssh not for local pilots, a remote bin_dir absolute.</summary>
    private static void CheckRemote(SectionReader r, SchedulerOptions options)
    {
        if (options.Clusters is { } clusters)
        {
            if (options.Kind != Schedulers.SchedulerKinds.Slurm.Name)
            {
                r.Error("clusters", $"only Slurm pools name a cluster (-M); this pool's scheduler is {options.Kind}");
            }
            else if (!ClusterName().IsMatch(clusters))
            {
                r.Error("clusters", $"'{clusters}' is not one Slurm cluster name (letters, digits, '_', '-'; one cluster per pool)");
            }
        }

        if (options.Ssh is not null)
        {
            if (options.Kind == Schedulers.SchedulerKinds.Local.Name)
            {
                r.Error("ssh", "a local pool runs its pilots on this machine; ssh applies to batch schedulers (slurm, pbs, torque, lsf, sge)");
            }

            if (options.BinDir is { } bin && !bin.StartsWith('/'))
            {
                r.Error("bin_dir", $"with [pool.scheduler.ssh], bin_dir is a folder on the remote host and must be absolute (got '{bin}')");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.:][A-Za-z0-9_.:-]*$")]
    private static partial Regex SshHost();

    [GeneratedRegex("^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")]
    private static partial Regex SshUser();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_-]*$")]
    private static partial Regex ClusterName();
}
