using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Security;

namespace Autopilot.TaskLogs;

/// <summary>
/// The folders `autopilot logs` may read task output from. The paths come from the task database,
/// which whoever submits tasks can write: a task claiming outpath=/etc/shadow must not make an
/// operator's (or root's) `logs` print it. So only files under HyperShell's own task folder and
/// the folders the pool lists are read, locally or over ssh.
/// </summary>
public static class TaskLogFolders
{
    /// <summary>
    /// For one pool: &lt;folder of its SQLite database&gt;/task (the database's default place is
    /// &lt;site&gt;/lib/main.db), &lt;template_vars.hypershell_site&gt;/lib/task, HyperShell's
    /// default &lt;site lib&gt;/task for this user, and the pool's logs.task_dirs.
    /// </summary>
    public static IReadOnlyList<string> For(PoolOptions pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var folders = new List<string>();
        if (pool.Demand is HyperShellOptions { Backend: "sqlite" } hypershell)
        {
            var db = HyperShellPaths.ResolveDatabaseFile(hypershell.Path);
            if (Path.GetDirectoryName(Path.GetFullPath(db)) is { } lib)
            {
                folders.Add(Path.Combine(lib, "task"));
            }
        }

        if (pool.TemplateVars.TryGetValue("hypershell_site", out var site) && site.Length > 0)
        {
            folders.Add(Path.Combine(PathExpander.Expand(site), "lib", "task"));
        }

        folders.Add(HyperShellPaths.TaskLogDirectory());
        folders.AddRange(pool.Logs.TaskDirs);
        return folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f))).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Why <paramref name="path"/> may not be read, or null when it may: it must name a file under
    /// one of <paramref name="folders"/> once "." and ".." are resolved, and, when the file is on
    /// this machine, still be there once every symbolic link is resolved.
    /// </summary>
    public static string? Refusal(string path, IReadOnlyList<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        var why = $"{path} is not under a task-output folder of this pool ({string.Join(", ", folders)}); not reading it (a folder that holds task output belongs in the pool's logs.task_dirs)";
        if (!Path.IsPathRooted(path) || !Under(Path.GetFullPath(path), folders))
        {
            return why;
        }

        if (UnixFile.Lstat(path) is null)
        {
            // Not here: a file on the client host, fetched over ssh (if at all) by the name just checked.
            return null;
        }

        var real = UnixFile.RealPath(path);
        var realFolders = folders.Select(f => UnixFile.RealPath(f)).OfType<string>().ToList();
        return real is not null && Under(real, realFolders) ? null : $"{path} leads to {real ?? "?"} through a symbolic link, outside the task-output folders ({string.Join(", ", folders)}); not reading it";
    }

    /// <summary>The same rule for a file already open: where /proc says its descriptor leads.</summary>
    public static string? RefusalOfOpened(FileStream stream, string path, IReadOnlyList<string> folders)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var fd = stream.SafeFileHandle.DangerousGetHandle().ToInt64();
        var real = UnixFile.RealPath($"/proc/self/fd/{fd}");
        var realFolders = folders.Select(f => UnixFile.RealPath(f)).OfType<string>().ToList();
        return real is not null && Under(real, realFolders) ? null : $"{path} leads to {real ?? "?"}, outside the task-output folders ({string.Join(", ", folders)}); not reading it";
    }

    private static bool Under(string path, IEnumerable<string> folders) =>
        folders.Any(f => path.StartsWith(Path.TrimEndingDirectorySeparator(f) + Path.DirectorySeparatorChar, StringComparison.Ordinal));
}
