namespace Autopilot.Tests.Schedulers.GridEngine;

/// <summary>Finds tests/fixtures/schedulers/sge by walking up to the folder holding Autopilot.sln.</summary>
internal static class GridEngineFixtures
{
    public static string Repo { get; } = FindRepo();

    public static string Dir => Path.Combine(Repo, "tests", "fixtures", "schedulers", "sge");

    public static string Read(string name) => File.ReadAllText(Path.Combine(Dir, name));

    private static string FindRepo()
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
