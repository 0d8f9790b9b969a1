using System.Text;
using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.TaskLogs;

/// <summary>Where a log's text came from.</summary>
public enum LogSource
{
    /// <summary>The task recorded no path (run without --capture, or not started).</summary>
    None,

    /// <summary>Read from this machine.</summary>
    Local,

    /// <summary>Fetched from the client host with ssh.</summary>
    Ssh,

    /// <summary>A path is recorded but the file could not be read here (and ssh is off or failed).</summary>
    Missing,
}

/// <summary>One of a task's two logs: its text, or why there is none.</summary>
public sealed record TaskLogText(string? Path, LogSource Source, string? Text, string? Error)
{
    public bool Available => Text is not null;
}

/// <summary>
/// Reads a task's stdout/stderr file: from this machine when the file is here, else from the pool's
/// scheduler host over its own ssh connection (<paramref name="remote"/>, a pool with
/// [pool.scheduler.ssh]: the cluster's shared file system), else (when the pool's logs.ssh is on) from
/// the client host with <c>ssh &lt;args&gt; -- &lt;host&gt; cat -- &lt;quoted path&gt;</c>.
/// Only files under <paramref name="folders"/> are read (<see cref="TaskLogFolders"/>).
/// </summary>
public sealed class TaskLogReader(LogsOptions options, IProcessRunner runner, IReadOnlyList<string> folders, Remote.SshProcessRunner? remote = null)
{
    /// <summary>A task log larger than this is cut (the start is kept) so one runaway task cannot fill memory.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    public static readonly TimeSpan SshTimeout = TimeSpan.FromSeconds(30);

    public async Task<TaskLogText> ReadAsync(string? path, string? clientHost, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(path))
        {
            return new TaskLogText(null, LogSource.None, null, null);
        }

        if (TaskLogFolders.Refusal(path, folders) is { } refusal)
        {
            return new TaskLogText(path, LogSource.Missing, null, refusal);
        }

        if (File.Exists(path))
        {
            try
            {
                return await ReadLocalAsync(path, folders, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new TaskLogText(path, LogSource.Missing, null, $"cannot read {path}: {ex.Message}");
            }
        }

        if (remote is not null && !options.Ssh)
        {
            return await ReadRemoteAsync(remote, path, cancellationToken).ConfigureAwait(false);
        }

        if (!options.Ssh)
        {
            var where = string.IsNullOrEmpty(clientHost) ? "" : $" (written on {clientHost}; set the pool's logs.ssh = true to fetch it over ssh)";
            return new TaskLogText(path, LogSource.Missing, null, $"{path} is not on this machine{where}");
        }

        if (string.IsNullOrEmpty(clientHost))
        {
            return new TaskLogText(path, LogSource.Missing, null, $"{path} is not on this machine and the task has no client host to fetch it from");
        }

        var spec = SshSpec(options, clientHost, path);
        if (spec is null)
        {
            return new TaskLogText(path, LogSource.Missing, null, $"client host '{clientHost}' is not a host name ssh can be given safely");
        }

        ProcessResult result;
        try
        {
            result = await runner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessFailedException ex)
        {
            return new TaskLogText(path, LogSource.Missing, null, ex.Message);
        }

        return result.Succeeded
            ? new TaskLogText(path, LogSource.Ssh, result.StandardOutput, null)
            : new TaskLogText(path, LogSource.Missing, null, result.Describe());
    }

    /// <summary>
    /// The ssh command for one file. ssh joins the remote words into one string for the remote
    /// shell, so the path is shell-quoted, and <c>--</c> keeps a path starting with '-' from being
    /// read as an option of cat (and a host from being read as one of ssh). Null for a host that
    /// is not a plain host name.
    /// </summary>
    public static ProcessSpec? SshSpec(LogsOptions options, string host, string path)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (host.Length == 0 || host[0] == '-' || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@' or ':' or '[' or ']'))
        {
            return null;
        }

        var args = new List<string>(options.SshArgs) { "--", host, "cat", "--", Templates.TemplateRenderer.ShellQuote(path) };
        return new ProcessSpec(options.SshCommand, args, Timeout: SshTimeout, MaxOutputBytes: MaxBytes);
    }

    /// <summary>The file read on the pool's scheduler host, through the pool's ssh settings and master connection.</summary>
    private static async Task<TaskLogText> ReadRemoteAsync(Remote.SshProcessRunner remote, string path, CancellationToken cancellationToken)
    {
        try
        {
            var result = await remote.RunAsync(new ProcessSpec("cat", ["--", path], Timeout: SshTimeout, MaxOutputBytes: MaxBytes), cancellationToken).ConfigureAwait(false);
            return result.Succeeded
                ? new TaskLogText(path, LogSource.Ssh, result.StandardOutput, null)
                : new TaskLogText(path, LogSource.Missing, null, $"{result.Describe()} (on {remote.Target})");
        }
        catch (ProcessFailedException ex)
        {
            return new TaskLogText(path, LogSource.Missing, null, ex.Message);
        }
    }

    private static async Task<TaskLogText> ReadLocalAsync(string path, IReadOnlyList<string> folders, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        // The name was checked before the open; what was opened is checked again, so a link swapped in between is caught.
        if (TaskLogFolders.RefusalOfOpened(stream, path, folders) is { } refusal)
        {
            return new TaskLogText(path, LogSource.Missing, null, refusal);
        }

        var length = (int)Math.Min(stream.Length, MaxBytes);
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, length - read), ct).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return new TaskLogText(path, LogSource.Local, Encoding.UTF8.GetString(buffer, 0, read), null);
    }
}
