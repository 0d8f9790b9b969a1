using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.Remote;

/// <summary>
/// <see cref="IProcessRunner"/> that runs each command on a remote host through OpenSSH, so every
/// scheduler adapter works against a remote cluster unchanged. One master connection (ControlMaster,
/// socket in the private state folder) is shared by the commands of a tick and, for control_persist,
/// by later ticks. Host keys are always checked (StrictHostKeyChecking=yes, BatchMode: never a prompt).
/// ssh itself runs with <see cref="ChildEnvironment"/>'s allow-list; the command's own variables travel
/// inside the remote command line, never a secret's name (<see cref="RemoteCommand"/>).
/// </summary>
public sealed class SshProcessRunner : IProcessRunner
{
    /// <summary>ssh's own exit status when it could not connect, authenticate or verify the host.</summary>
    public const int SshFailed = 255;

    /// <summary>A unix socket path holds at most 107 bytes; ssh adds a 17-character suffix while it binds.</summary>
    private const int MaxControlPath = 107 - 17;

    private readonly IProcessRunner _inner;
    private readonly SshOptions _options;
    private readonly PathMap _paths;
    private readonly string? _controlPath;

    /// <param name="stateDir">The state folder: the control socket lives in its private ssh/ folder, and its paths are mapped to <see cref="SshOptions.RemoteDir"/>.</param>
    public SshProcessRunner(IProcessRunner inner, SshOptions options, string stateDir)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentException.ThrowIfNullOrEmpty(stateDir);
        stateDir = PathExpander.Expand(stateDir);
        _paths = new PathMap(stateDir, options.RemoteDir);
        if (options.ControlPersist > TimeSpan.Zero)
        {
            _controlPath = ControlPath(stateDir, options);
        }

        // Refuses here, when the scheduler is made, a path ssh cannot be given.
        _ = SshArguments(TimeSpan.FromSeconds(1));
    }

    /// <summary>user@host:port as the messages name it.</summary>
    public string Target => Describe(_options);

    public static string Describe(SshOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var user = options.User is null ? "" : options.User + "@";
        var port = options.Port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "";
        return user + options.Host + port;
    }

    /// <summary>
    /// The control socket: &lt;state_dir&gt;/ssh/&lt;hash of user, host, port&gt;. Our own short name rather than
    /// ssh's %C (40 characters), as the whole path must fit a unix socket address.
    /// </summary>
    /// <exception cref="ArgumentException">The path would be too long for a unix socket.</exception>
    public static string ControlPath(string stateDir, SshOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(Describe(options) + "\n" + options.Command));
        var path = Path.Combine(Path.GetFullPath(stateDir), "ssh", Convert.ToHexStringLower(key)[..16]);
        if (Encoding.UTF8.GetByteCount(path) > MaxControlPath)
        {
            throw new ArgumentException(
                $"the ssh control socket {path} would be longer than a unix socket allows ({MaxControlPath} bytes): use a shorter state_dir, or set ssh.control_persist = 0 (a new connection per command)");
        }

        return path;
    }

    /// <summary>The ssh argv up to and including the host and "--" (the remote command follows).</summary>
    public IReadOnlyList<string> SshArguments(TimeSpan timeout)
    {
        var o = _options;
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var args = new List<string>(40)
        {
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=" + seconds,
            // A peer that stops answering mid-command is noticed, not waited on until the kill.
            "-o", "ServerAliveInterval=15",
            "-o", "ServerAliveCountMax=2",
            "-o", "LogLevel=ERROR",
            "-T", "-x", "-a",
        };
        if (o.KnownHosts is not null)
        {
            args.AddRange(["-o", "UserKnownHostsFile=" + SshConfigWord(o.KnownHosts), "-o", "GlobalKnownHostsFile=/dev/null"]);
        }

        if (o.IdentityFile is not null)
        {
            args.AddRange(["-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + SshConfigWord(o.IdentityFile)]);
        }

        if (o.Port is { } port)
        {
            args.AddRange(["-p", port.ToString(CultureInfo.InvariantCulture)]);
        }

        if (o.User is not null)
        {
            args.AddRange(["-l", o.User]);
        }

        if (_controlPath is null)
        {
            args.AddRange(["-o", "ControlMaster=no", "-o", "ControlPath=none"]);
        }
        else
        {
            args.AddRange([
                "-o", "ControlMaster=auto",
                "-o", "ControlPath=" + SshConfigWord(_controlPath),
                "-o", "ControlPersist=" + Math.Max(1, (long)o.ControlPersist.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            ]);
        }

        args.Add(o.Host);
        args.Add("--");
        return args;
    }

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var remote = RemoteCommand.For(spec, _paths);
        var timeout = _options.CommandTimeout ?? spec.Timeout ?? TimeSpan.FromSeconds(30);
        if (_controlPath is not null)
        {
            State.StateDirectory.Ensure(Path.GetDirectoryName(_controlPath)!);
        }

        var args = new List<string>(SshArguments(timeout)) { remote.Script };
        var ssh = new ProcessSpec(_options.Command, args, StandardInput: remote.StandardInput, Timeout: timeout, MaxOutputBytes: spec.MaxOutputBytes, Secrets: spec.Secrets);
        ProcessResult result;
        try
        {
            result = await _inner.RunAsync(ssh, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessFailedException ex)
        {
            throw new ProcessFailedException($"`{spec.Display()}` on {Target}: {ex.Message}", null, ex);
        }

        // The adapters describe failures by their own command; ssh's part is named in stderr.
        var stderr = result.StandardError;
        if (result.TimedOut)
        {
            stderr = $"no answer from {Target} over ssh within {timeout.TotalSeconds:0.#} s (ssh.command_timeout){Suffix(stderr)}";
        }
        else if (result.ExitCode == SshFailed)
        {
            stderr = $"ssh to {Target} failed{Suffix(Condense(stderr))}";
        }
        else if (result.ExitCode == RemoteCommand.SetupFailed && stderr.StartsWith("autopilot: ", StringComparison.Ordinal))
        {
            stderr = $"on {Target}: {stderr}";
        }

        return result with { Spec = spec with { Timeout = timeout }, StandardError = stderr };
    }

    /// <summary>
    /// ssh's own last words: a changed host key comes with a banner of '@' lines and advice that would
    /// push "Host key verification failed." past the length an error message keeps.
    /// </summary>
    internal static string Condense(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('@'))
            .ToList();
        return string.Join("; ", lines.Count <= 2 ? lines : lines[^2..]);
    }

    private static string Suffix(string stderr) => stderr.Trim().Length == 0 ? "" : ": " + stderr.Trim();

    /// <summary>A path as one ssh -o value: ssh expands % tokens in these options and splits values on whitespace unless quoted.</summary>
    private static string SshConfigWord(string path)
    {
        if (path.Any(c => c is '"' or '\n' or '\0'))
        {
            throw new ArgumentException($"the path '{path}' cannot be given to ssh (it contains a double quote or a newline)");
        }

        var escaped = path.Replace("%", "%%", StringComparison.Ordinal);
        return escaped.Any(char.IsWhiteSpace) ? "\"" + escaped + "\"" : escaped;
    }
}
