namespace Autopilot.Tests.DemandSources;

/// <summary>Finds the repository (the folder holding Autopilot.sln) from the test binaries.</summary>
internal static class SourcesTestPaths
{
    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autopilot.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Autopilot.sln above {AppContext.BaseDirectory}");
    });

    public static string Repo => RepoRoot.Value;

    public static string Fixture(params string[] parts) => Path.Combine([Repo, "tests", "fixtures", .. parts]);

    public static string FakeHq => Path.Combine(Repo, "tests", "fakes", "hq", "hq");
}

/// <summary>A temporary directory removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("autopilot-sources-").FullName;
    }

    public string Path { get; }

    public string Script(string name, string body)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, "#!/usr/bin/env bash\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
