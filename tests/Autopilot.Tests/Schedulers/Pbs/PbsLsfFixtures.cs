namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>Finds the repository (the folder holding Autopilot.sln) and the PBS/Torque/LSF fixtures and fakes in it.</summary>
internal static class PbsLsfFixtures
{
    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Autopilot.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no Autopilot.sln above {AppContext.BaseDirectory}");
    });

    public static string Repo => RepoRoot.Value;

    public static string Path(string kind, string file) => System.IO.Path.Combine(Repo, "tests", "fixtures", "schedulers", kind, file);

    public static string Read(string kind, string file) => File.ReadAllText(Path(kind, file));

    public static string Fakes(string kind) => System.IO.Path.Combine(Repo, "tests", "fakes", kind);
}
