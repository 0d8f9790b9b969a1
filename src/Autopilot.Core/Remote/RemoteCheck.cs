using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.Remote;

/// <summary>What `check --connect` found on a remote pool's host.</summary>
/// <param name="Error">Null when ssh connected; else the command, host and ssh's own words.</param>
/// <param name="Found">Each command found there, with its path.</param>
/// <param name="Missing">Each command not found (on the remote PATH, or in bin_dir).</param>
public sealed record RemoteCheckResult(string Target, string? Error, IReadOnlyList<(string Name, string Path)> Found, IReadOnlyList<string> Missing);

/// <summary>
/// `autopilot check --connect` for a pool with [pool.scheduler.ssh]: one ssh call (through the pool's
/// master connection) that proves the connection and the host key, and looks up every scheduler
/// command the pool runs, on the remote PATH or in the remote bin_dir.
/// </summary>
public static class RemoteCheck
{
    /// <summary>Prints "found NAME PATH" or "missing NAME" per command; $1 is bin_dir (may be empty).</summary>
    private const string Lookup =
        "bin=$1; shift; for c do if [ -n \"$bin\" ]; then p=$bin/$c; [ -x \"$p\" ] || p=; else p=$(command -v -- \"$c\") || p=; fi; "
        + "if [ -n \"$p\" ]; then printf 'found %s %s\\n' \"$c\" \"$p\"; else printf 'missing %s\\n' \"$c\"; fi; done";

    public static async Task<RemoteCheckResult> RunAsync(SchedulerOptions options, IProcessRunner local, string stateDir, IReadOnlyList<string> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(commands);
        var ssh = options.Ssh ?? throw new ArgumentException("the pool has no [pool.scheduler.ssh]", nameof(options));
        var runner = new SshProcessRunner(local, ssh, stateDir);
        var spec = new ProcessSpec("sh", ["-c", Lookup, "sh", options.BinDir ?? "", .. commands], Timeout: options.CommandTimeout);
        var result = await runner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            // ssh's own failure says it all; the lookup script would only hide it.
            var why = result.TimedOut || result.ExitCode == SshProcessRunner.SshFailed ? result.StandardError : result.Describe();
            return new RemoteCheckResult(runner.Target, why, [], []);
        }

        var found = new List<(string, string)>();
        var missing = new List<string>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 3);
            if (parts is ["found", var name, var path])
            {
                found.Add((name, path));
            }
            else if (parts is ["missing", var gone])
            {
                missing.Add(gone);
            }
        }

        return new RemoteCheckResult(runner.Target, null, found, missing);
    }
}
