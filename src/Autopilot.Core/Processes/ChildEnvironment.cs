using System.Collections;
using System.Diagnostics;

namespace Autopilot.Processes;

/// <summary>
/// The environment every child process gets (scheduler commands, demand commands, ssh, kubectl, a
/// pager, a local pilot): the variables of an allow-list copied from this process, then the caller's
/// own settings, and never a variable that a configuration names as holding a secret (password_env)
/// or whose name says it holds one. Nothing else is inherited: Slurm, LSF and PBS copy the submitter's
/// environment into jobs, so whatever reached sbatch could reach a pilot (docs/operations.md,
/// "What reaches a pilot's environment").
/// </summary>
public static class ChildEnvironment
{
    /// <summary>Copied when set: the basics every program expects, and the schedulers' own site settings.</summary>
    private static readonly HashSet<string> AllowedNames = new(StringComparer.Ordinal)
    {
        "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM", "COLUMNS", "LINES",
        // Slurm: which cluster configuration; Grid Engine: which installation and cell.
        "SLURM_CONF", "SGE_ROOT", "SGE_CELL", "SGE_QMASTER_PORT", "SGE_EXECD_PORT", "SGE_ARCH",
        // kubectl's cluster, ssh's agent (a socket path, not a key), HyperQueue's server folder.
        "KUBECONFIG", "SSH_AUTH_SOCK", "HQ_SERVER_DIR",
    };

    /// <summary>Copied when set: locale categories, PBS and LSF site settings (PBS_CONF_FILE, PBS_SERVER, LSF_ENVDIR, ...).</summary>
    private static readonly string[] AllowedPrefixes = ["LC_", "PBS_", "LSF_"];

    /// <summary>A variable whose name contains one of these is never passed on, even when allow-listed.</summary>
    private static readonly string[] SecretWords = ["PASSWORD", "PASSWD", "SECRET", "TOKEN", "CREDENTIAL", "AUTH_KEY", "APIKEY", "API_KEY"];

    private static readonly Lock Gate = new();
    private static HashSet<string> _forbidden = new(StringComparer.Ordinal);

    /// <summary>
    /// Names that hold secrets (every password_env of the loaded configuration): never passed to a
    /// child, not even when a caller sets one explicitly. Adds to the names already known.
    /// </summary>
    public static void Forbid(IEnumerable<string?> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        lock (Gate)
        {
            var next = new HashSet<string>(_forbidden, StringComparer.Ordinal);
            foreach (var name in names)
            {
                if (!string.IsNullOrEmpty(name))
                {
                    next.Add(name);
                }
            }

            _forbidden = next;
        }
    }

    /// <summary>True when <paramref name="name"/> may reach a child process at all.</summary>
    public static bool MayPass(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || _forbidden.Contains(name))
        {
            return false;
        }

        foreach (var word in SecretWords)
        {
            if (name.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when this process's value of <paramref name="name"/> is copied to children.</summary>
    public static bool IsInherited(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!MayPass(name))
        {
            return false;
        }

        if (AllowedNames.Contains(name))
        {
            return true;
        }

        foreach (var prefix in AllowedPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && name.Length > prefix.Length)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The complete environment of a child: the allow-listed variables of <paramref name="current"/>
    /// (this process's environment when null), then <paramref name="overrides"/> (a null value removes
    /// the variable). A forbidden name is dropped from both.
    /// </summary>
    public static Dictionary<string, string> Build(IReadOnlyDictionary<string, string?>? overrides, IDictionary? current = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in current ?? Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value && IsInherited(name))
            {
                result[name] = value;
            }
        }

        if (overrides is not null)
        {
            foreach (var (name, value) in overrides)
            {
                if (value is null || !MayPass(name))
                {
                    result.Remove(name);
                }
                else
                {
                    result[name] = value;
                }
            }
        }

        return result;
    }

    /// <summary>
    /// <see cref="Build"/>'s environment as changes to this process's own: every inherited variable not
    /// in it set to null (removed), the rest set. For runners that can only add to or remove from the
    /// inherited environment (CliWrap's WithEnvironmentVariables, where null removes a variable).
    /// </summary>
    public static Dictionary<string, string?> Changes(IReadOnlyDictionary<string, string?>? overrides, IDictionary? current = null)
    {
        current ??= Environment.GetEnvironmentVariables();
        var wanted = Build(overrides, current);
        var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in current)
        {
            if (entry.Key is string name && !wanted.ContainsKey(name))
            {
                changes[name] = null;
            }
        }

        foreach (var (name, value) in wanted)
        {
            changes[name] = value;
        }

        return changes;
    }

    /// <summary>Replaces the environment of <paramref name="psi"/> (inherited by default) with <see cref="Build"/>'s.</summary>
    public static void Apply(ProcessStartInfo psi, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(psi);
        var env = Build(overrides);
        psi.Environment.Clear();
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }
    }
}
