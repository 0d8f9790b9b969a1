using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

/// <summary>Repository root and throw-away config files for the configuration tests.</summary>
internal static class ConfigTestSupport
{
    public static string Repo { get; } = FindRepo();

    public static string Example => Path.Combine(Repo, "autopilot.toml.example");

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autopilot-config-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static string WriteConfig(string text, string? dir = null)
    {
        dir ??= TempDir();
        var path = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Loads with a controlled environment (nothing from the real one leaks in).</summary>
    public static LoadedConfig Load(string? path, IReadOnlyDictionary<string, string>? env = null, IReadOnlyList<string>? overrides = null, bool checkSecrets = false, string? cwd = null) =>
        ConfigLoader.Load(new ConfigRequest
        {
            ConfigPath = path,
            Environment = env ?? new Dictionary<string, string> { ["HOME"] = "/nonexistent-home" },
            Overrides = overrides ?? [],
            CheckSecrets = checkSecrets,
            WorkingDirectory = cwd ?? Path.GetDirectoryName(path) ?? TempDir(),
        });

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
