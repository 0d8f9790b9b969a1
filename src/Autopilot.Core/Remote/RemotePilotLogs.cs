using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.TaskLogs;

namespace Autopilot.Remote;

/// <summary>One pilot output file read from a remote pool's host.</summary>
/// <param name="Where">user@host:file name, for the header `logs --pilot` prints.</param>
public sealed record RemotePilotLog(string Pool, string Where, string Text);

/// <summary>
/// `autopilot logs --pilot` for a pool whose pilots run on a remote host: the pilot-log folder there
/// (ssh.remote_dir/pilots/POOL) is listed and the pilot's files read through the pool's own ssh
/// settings and master connection, as the tick's commands are.
/// </summary>
public static class RemotePilotLogs
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <exception cref="TaskLogException">The remote folder or a file could not be read; the message names the command, host and stderr.</exception>
    public static async Task<IReadOnlyList<RemotePilotLog>> ReadAsync(PoolOptions pool, string stateDir, IProcessRunner local, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var ssh = pool.Scheduler.Ssh ?? throw new ArgumentException($"pool '{pool.Name}' has no [pool.scheduler.ssh]");
        PilotLogFiles.CheckJobId(jobId);
        var runner = new SshProcessRunner(local, ssh, stateDir);
        var folder = PilotLogFiles.Folder(stateDir, pool.Name);
        var listing = await runner.RunAsync(new ProcessSpec("ls", ["-1", "-A", "--", folder], Timeout: Timeout), cancellationToken).ConfigureAwait(false);
        if (!listing.Succeeded)
        {
            throw new TaskLogException($"cannot list pool {pool.Name}'s pilot logs on {runner.Target}: {listing.Describe()}");
        }

        var logs = new List<RemotePilotLog>();
        foreach (var name in listing.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => PilotLogFiles.Matches(n, jobId)).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(folder, name);
            var read = await runner.RunAsync(new ProcessSpec("cat", ["--", file], Timeout: Timeout, MaxOutputBytes: TaskLogReader.MaxBytes), cancellationToken).ConfigureAwait(false);
            if (!read.Succeeded)
            {
                throw new TaskLogException($"cannot read {name} on {runner.Target}: {read.Describe()}");
            }

            logs.Add(new RemotePilotLog(pool.Name, $"{runner.Target}:{ssh.RemoteDir.TrimEnd('/')}/{Path.GetRelativePath(stateDir, file)}", read.StandardOutput));
        }

        return logs;
    }
}
