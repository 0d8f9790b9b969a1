using System.Text;
using System.Text.RegularExpressions;
using Autopilot.Processes;

namespace Autopilot.Remote;

/// <summary>
/// One local <see cref="ProcessSpec"/> as the single command string ssh hands to the remote account's
/// POSIX shell. Every word is single-quoted (nothing inside single quotes is special to sh, a newline
/// included), so the remote shell sees exactly the argv the scheduler adapter built.
/// </summary>
/// <param name="Script">The text after <c>ssh ... host --</c>.</param>
/// <param name="StandardInput">What goes to ssh's stdin: the pilot script being uploaded, or the spec's own input.</param>
public sealed partial record RemoteCommand(string Script, string? StandardInput)
{
    /// <summary>Exit status of the remote wrapper when it cannot set up (temporary folder, log folder, upload).</summary>
    public const int SetupFailed = 125;

    /// <summary>
    /// Programs that read a job script from stdin when none is named: the script goes there, no file is
    /// written. bsub must: given a file it runs that path on the execution host when the job starts
    /// (long after a temporary copy is gone), while a script on stdin is spooled with the job.
    /// </summary>
    private static readonly HashSet<string> ReadsScriptFromStdin = new(StringComparer.Ordinal) { "sbatch", "bsub" };

    /// <summary>A word for the remote POSIX shell: the string itself whatever it holds (spaces, quotes, $, `, newlines, unicode, empty).</summary>
    public static string Quote(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Contains('\0', StringComparison.Ordinal))
        {
            // No shell word can hold NUL; sending it would cut the argument silently.
            throw new ProcessFailedException("an argument for the remote host contains a NUL character");
        }

        return Templates.TemplateRenderer.ShellQuote(word);
    }

    /// <summary>
    /// The remote form of <paramref name="spec"/>. Paths under the local state folder become paths under
    /// <paramref name="paths"/>' remote folder (their folders are created, private); an argument naming a
    /// local file there (the rendered pilot script) is sent over stdin: straight to sbatch, or into a
    /// private temporary file that is removed when the command ends.
    /// </summary>
    public static RemoteCommand For(ProcessSpec spec, PathMap paths)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(paths);
        var script = new StringBuilder();
        var words = new List<string>(spec.Arguments.Count + 1) { Quote(spec.FileName) };
        var folders = new List<string>();
        string? upload = null;
        string? stdin = spec.StandardInput;
        var program = Path.GetFileName(spec.FileName);
        for (var i = 0; i < spec.Arguments.Count; i++)
        {
            var arg = spec.Arguments[i];
            if (paths.LocalFile(arg) is { } file)
            {
                if (stdin is not null)
                {
                    throw new ProcessFailedException($"`{spec.Display()}`: cannot send both {arg} and the command's own input to the remote host");
                }

                stdin = File.ReadAllText(file, Encoding.UTF8);
                if (ReadsScriptFromStdin.Contains(program) && i == spec.Arguments.Count - 1)
                {
                    continue;
                }

                upload = "\"$t\"/job";
                words.Add(upload);
                continue;
            }

            if (paths.Map(arg) is { } mapped)
            {
                folders.Add(mapped.Folder);
                words.Add(mapped.Word);
                continue;
            }

            words.Add(Quote(arg));
        }

        if (spec.Environment is not null)
        {
            AppendEnvironment(script, spec.Environment);
        }

        foreach (var folder in folders.Distinct(StringComparer.Ordinal))
        {
            // Private (0700) like the local pilot-log folder; in a subshell so the umask stays the user's for the command.
            script.Append("(umask 077 && mkdir -p ").Append(folder).Append(") || { echo 'autopilot: cannot create ' ").Append(folder)
                .Append(" ' on the remote host' >&2; exit ").Append(SetupFailed).Append("; }; ");
        }

        if (upload is not null)
        {
            script.Append("t=$(umask 077 && mktemp -d \"${TMPDIR:-/tmp}/autopilot.XXXXXXXX\") || { echo 'autopilot: cannot create a private temporary folder on the remote host' >&2; exit ")
                .Append(SetupFailed).Append("; }; ")
                .Append("trap 'rm -rf \"$t\"' EXIT; trap 'exit 129' HUP INT TERM; ")
                .Append("(umask 077 && cat > \"$t\"/job) || { echo 'autopilot: cannot write the job script on the remote host' >&2; exit ")
                .Append(SetupFailed).Append("; }; ");
        }

        script.AppendJoin(' ', words);
        return new RemoteCommand(script.ToString(), stdin);
    }

    /// <summary>Exports (and unsets, ahead of them) the child's environment in the remote shell script.</summary>
    private static void AppendEnvironment(StringBuilder script, IReadOnlyDictionary<string, string?> environment)
    {
        var unset = new List<string>();
        foreach (var (name, value) in environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!EnvName().IsMatch(name) || !ChildEnvironment.MayPass(name))
            {
                // The same rule as a local child's environment: a secret's name never leaves this process.
                continue;
            }

            if (value is null)
            {
                unset.Add(name);
            }
            else
            {
                script.Append("export ").Append(name).Append('=').Append(Quote(value)).Append("; ");
            }
        }

        if (unset.Count > 0)
        {
            script.Insert(0, "unset " + string.Join(' ', unset) + "; ");
        }
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}

/// <summary>A local path under the state folder, as the remote shell should see it.</summary>
/// <param name="Word">The whole argument, quoted for the remote shell (the remote folder may start with "$HOME").</param>
/// <param name="Folder">The remote folder the path lives in, quoted, to create before the command.</param>
public sealed record MappedPath(string Word, string Folder);

/// <summary>
/// The local state folder and the remote folder that stands for it. Pilot logs and the rendered
/// script live under the state folder; on a remote pool their paths must name the remote host's folder.
/// </summary>
public sealed class PathMap
{
    private readonly string _local;
    private readonly string _remote;
    private readonly bool _underHome;

    /// <param name="localStateDir">The state folder as the schedulers see it (absolute).</param>
    /// <param name="remoteDir">Absolute, or relative to the remote home.</param>
    public PathMap(string localStateDir, string remoteDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(localStateDir);
        ArgumentException.ThrowIfNullOrEmpty(remoteDir);
        _local = Path.TrimEndingDirectorySeparator(Path.GetFullPath(localStateDir));
        _underHome = !remoteDir.StartsWith('/');
        _remote = remoteDir.Length > 1 ? remoteDir.TrimEnd('/') : remoteDir;
    }

    /// <summary>The local file <paramref name="arg"/> names when it is a regular file under the state folder (to upload), else null.</summary>
    public string? LocalFile(string arg) =>
        Relative(arg) is { Length: > 0 } && File.Exists(arg) && !Directory.Exists(arg) ? arg : null;

    /// <summary>
    /// <paramref name="arg"/> with its state-folder path (the whole argument, or after "option=") made
    /// remote; null when it names nothing under the state folder.
    /// </summary>
    public MappedPath? Map(string arg)
    {
        ArgumentNullException.ThrowIfNull(arg);
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        var (prefix, path) = eq > 0 && arg.StartsWith('-') ? (arg[..(eq + 1)], arg[(eq + 1)..]) : ("", arg);
        if (Relative(path) is not { } relative)
        {
            return null;
        }

        // An existing local folder (Grid Engine/PBS -o DIR) is itself the folder; a file pattern (sbatch %x-%j.out) lives in its parent.
        var folderRelative = Directory.Exists(path) ? relative : Path.GetDirectoryName(relative) ?? "";
        return new MappedPath(prefix.Length == 0 ? Remote(relative) : RemoteCommand.Quote(prefix) + Remote(relative), Remote(folderRelative));
    }

    /// <summary>The remote path for a path relative to the state folder, quoted ("$HOME"/'...' when the remote folder is relative).</summary>
    public string Remote(string relative)
    {
        var joined = relative.Length == 0 ? _remote : _remote + "/" + relative;
        return _underHome ? "\"$HOME\"/" + RemoteCommand.Quote(joined) : RemoteCommand.Quote(joined);
    }

    private string? Relative(string path)
    {
        if (!path.StartsWith('/'))
        {
            return null;
        }

        if (path == _local)
        {
            return "";
        }

        return path.StartsWith(_local + "/", StringComparison.Ordinal) && !path.Contains("/../", StringComparison.Ordinal)
            ? path[(_local.Length + 1)..]
            : null;
    }
}
