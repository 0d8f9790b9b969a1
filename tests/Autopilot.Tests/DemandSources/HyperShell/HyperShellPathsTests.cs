using Autopilot.DemandSources.HyperShell;

namespace Autopilot.Tests.DemandSources.HyperShell;

public sealed class HyperShellPathsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_database_file_variable_wins() =>
        Assert.Equal("/x/tasks.db", HyperShellPaths.DefaultDatabaseFile(Env(("HYPERSHELL_DATABASE_FILE", "/x/tasks.db"), ("HYPERSHELL_SITE", "/site")), isRoot: true, home: "/home/u"));

    [Fact]
    public void Then_the_site_folder() =>
        Assert.Equal("/site/lib/main.db", HyperShellPaths.DefaultDatabaseFile(Env(("HYPERSHELL_SITE", "/site")), isRoot: true, home: "/home/u"));

    [Fact]
    public void Then_the_user_folder() =>
        Assert.Equal("/home/u/.hypershell/lib/main.db", HyperShellPaths.DefaultDatabaseFile(Env(), isRoot: false, home: "/home/u"));

    [Fact]
    public void Root_uses_the_system_folder() =>
        Assert.Equal("/var/lib/hypershell/main.db", HyperShellPaths.DefaultDatabaseFile(Env(), isRoot: true, home: "/root"));

    [Fact]
    public void Empty_variables_count_as_unset() =>
        Assert.Equal("/home/u/.hypershell/lib/main.db", HyperShellPaths.DefaultDatabaseFile(Env(("HYPERSHELL_DATABASE_FILE", ""), ("HYPERSHELL_SITE", "")), isRoot: false, home: "/home/u"));

    [Fact]
    public void Task_logs_live_under_the_site_lib() =>
        Assert.Equal(Path.Combine(HyperShellPaths.SiteLib(), "task"), HyperShellPaths.TaskLogDirectory());

    [Fact]
    public void A_configured_path_is_expanded_and_wins()
    {
        var home = Environment.GetEnvironmentVariable("HOME")!;
        Assert.Equal(home + "/hs/main.db", HyperShellPaths.ResolveDatabaseFile("~/hs/main.db"));
    }
}
