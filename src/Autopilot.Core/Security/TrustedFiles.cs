using Autopilot.Configuration;
using Autopilot.Templates;

namespace Autopilot.Security;

/// <summary>
/// The files whose content Autopilot turns into commands: the configuration file, pilot templates
/// and their folders, template_dir, and each scheduler's bin_dir with the commands in it. Another
/// non-root user who can write one of them can run code as the user Autopilot runs as, so they are
/// refused (exit 2) when group- or world-writable or owned by a user other than root or the one
/// running Autopilot. Ancestor folders are not checked: they are the site's to keep. Templates a
/// template includes are found only while rendering, so the renderer checks them
/// (<see cref="IncludeProblem"/>).
/// </summary>
public static class TrustedFiles
{
    /// <summary>Every such problem, at the configuration key that names the file.</summary>
    public static IReadOnlyList<ConfigError> Check(LoadedConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ConfigError>();
        if (OperatingSystem.IsWindows())
        {
            return problems;
        }

        var me = UnixFile.EffectiveUid;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string path, string key, string what)
        {
            if (seen.Add(path) && Problem(path, what, me) is { } message)
            {
                problems.Add(new ConfigError(config.LocationOf(key), key, message));
            }
        }

        if (config.Path is { } file)
        {
            Add(Path.GetFullPath(file), "", "configuration file");
        }

        var options = config.Options;
        var templateDir = options.TemplateDir is null ? null : PathExpander.Expand(options.TemplateDir);
        if (templateDir is not null && Directory.Exists(templateDir))
        {
            Add(Path.GetFullPath(templateDir), "template_dir", "template folder");
        }

        for (var i = 0; i < options.Pools.Count; i++)
        {
            var pool = options.Pools[i];
            foreach (var (template, key) in new[] { (pool.Template, $"pool:{i}:template"), (pool.Wrapper, $"pool:{i}:wrapper") })
            {
                if (template is not null && ResolveOrNull(template, templateDir) is { } path)
                {
                    Add(path, key, "template");
                    Add(Path.GetDirectoryName(path)!, key, "template folder");
                }
            }

            if (pool.Scheduler.BinDir is { } binDir && Directory.Exists(binDir))
            {
                var key = $"pool:{i}:scheduler:bin_dir";
                Add(Path.GetFullPath(binDir), key, "bin_dir");
                foreach (var entry in Directory.EnumerateFileSystemEntries(binDir))
                {
                    Add(entry, key, "command in bin_dir");
                }
            }
        }

        return problems;
    }

    /// <summary>Why another non-root user could change an included template or its folder, or null when no one can.</summary>
    public static string? IncludeProblem(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var me = UnixFile.EffectiveUid;
        return Problem(path, "included template", me) ?? Problem(Path.GetDirectoryName(path)!, "included template folder", me);
    }

    /// <summary>Why another non-root user could change <paramref name="path"/>, or null when no one can.</summary>
    internal static string? Problem(string path, string what, uint me)
    {
        var status = UnixFile.Lstat(path);
        if (status is null)
        {
            return null;
        }

        if (status.Kind == UnixFileKind.SymbolicLink)
        {
            if (Owner(status, me) is { } linkOwner)
            {
                return $"{what} {path} is a link owned by {linkOwner}, who could point it elsewhere; refusing it";
            }

            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            status = target is null ? null : UnixFile.Lstat(target);
            if (status is null)
            {
                return null;
            }

            what = $"{what} {path} -> ";
            path = target!;
        }
        else
        {
            what += " ";
        }

        if (Owner(status, me) is { } owner)
        {
            return $"{what}{path} is owned by {owner}, who could change what autopilot runs; refusing it (chown it to root or to the account that runs autopilot)";
        }

        if (status.WritableByOthers)
        {
            return $"{what}{path} has mode {status.ModeText}: group or others can change what autopilot runs; refusing it (chmod go-w {path})";
        }

        return null;
    }

    private static string? Owner(UnixFileStatus status, uint me) =>
        status.Uid == 0 || status.Uid == me ? null : UnixFile.UserName(status.Uid);

    private static string? ResolveOrNull(string template, string? templateDir)
    {
        try
        {
            return Path.GetFullPath(TemplateRenderer.Resolve(template, templateDir));
        }
        catch (TemplateException)
        {
            // A missing template is reported by `check` and by the tick that renders it.
            return null;
        }
    }
}
