namespace Autopilot.DemandSources.HyperShell;

/// <summary>
/// Where HyperShell keeps its files, resolved the way HyperShell itself resolves them, so that a
/// pool without a configured path reads the same database the server writes.
/// </summary>
public static class HyperShellPaths
{
    public const string DatabaseFileVariable = "HYPERSHELL_DATABASE_FILE";
    public const string SiteVariable = "HYPERSHELL_SITE";

    /// <summary>The site's lib folder: <c>$HYPERSHELL_SITE/lib</c>, else <c>~/.hypershell/lib</c> (root: <c>/var/lib/hypershell</c>).</summary>
    public static string SiteLib() => SiteLib(Environment.GetEnvironmentVariable, IsRoot(), Home());

    /// <summary>The default SQLite task database: <c>HYPERSHELL_DATABASE_FILE</c>, else <c>&lt;site lib&gt;/main.db</c>.</summary>
    public static string DefaultDatabaseFile() => DefaultDatabaseFile(Environment.GetEnvironmentVariable, IsRoot(), Home());

    /// <summary>Where a client with <c>--capture</c> writes task output: <c>&lt;site lib&gt;/task/&lt;id&gt;.out|.err</c> on the client host.</summary>
    public static string TaskLogDirectory() => Path.Combine(SiteLib(), "task");

    /// <summary>The configured path (with ~ and $VAR expanded) or, when none is configured, HyperShell's default.</summary>
    public static string ResolveDatabaseFile(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? DefaultDatabaseFile() : Configuration.PathExpander.Expand(configured);

    /// <summary>Pure form of <see cref="SiteLib()"/> for tests.</summary>
    public static string SiteLib(Func<string, string?> environment, bool isRoot, string home)
    {
        var site = environment(SiteVariable);
        if (!string.IsNullOrEmpty(site))
        {
            return Path.Combine(site, "lib");
        }

        return isRoot ? "/var/lib/hypershell" : Path.Combine(home, ".hypershell", "lib");
    }

    /// <summary>Pure form of <see cref="DefaultDatabaseFile()"/> for tests.</summary>
    public static string DefaultDatabaseFile(Func<string, string?> environment, bool isRoot, string home)
    {
        var file = environment(DatabaseFileVariable);
        return !string.IsNullOrEmpty(file) ? file : Path.Combine(SiteLib(environment, isRoot, home), "main.db");
    }

    private static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private static string Home()
    {
        var home = Environment.GetEnvironmentVariable("HOME");
        return string.IsNullOrEmpty(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home;
    }
}
