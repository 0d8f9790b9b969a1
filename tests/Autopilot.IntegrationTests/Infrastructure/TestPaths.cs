namespace Autopilot.IntegrationTests.Infrastructure;

/// <summary>Locates the repository from the test binaries, so tests run from a plain clone.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> RepoRoot = new(FindRepoRoot);

    /// <summary>The folder holding Autopilot.sln.</summary>
    public static string Repo => RepoRoot.Value;

    /// <summary>tests/fixtures in the repository.</summary>
    public static string Fixtures => Path.Combine(Repo, "tests", "fixtures");

    /// <summary>tests/infra, where the service start scripts live.</summary>
    public static string Infra => Path.Combine(Repo, "tests", "infra");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autopilot.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Autopilot.sln above {AppContext.BaseDirectory}");
    }
}
