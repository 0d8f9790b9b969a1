namespace Autopilot.Tests.Toml;

/// <summary>Finds the repository root (the folder holding Autopilot.sln) from the test output folder.</summary>
internal static class TomlTestPaths
{
    public static string Repo { get; } = FindRepo();

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autopilot.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Autopilot.sln not found above {AppContext.BaseDirectory}");
    }
}
