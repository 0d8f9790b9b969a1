namespace Autopilot.Configuration;

/// <summary>What to load: the explicit file, overrides, and (for tests) the environment.</summary>
public sealed record ConfigRequest
{
    /// <summary><c>--config PATH</c>; when set, the file must exist.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Command-line overrides, each <c>key=value</c> (<c>pool.0.limits.max_pilots=5</c>, <c>pool.main.limits.max_pilots=5</c>, or with ':' separators).</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>The environment to read AUTOPILOT_CONFIG, AUTOPILOT__* and HOME from; null: the process environment.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Where ./autopilot.toml is looked for; null: the current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Also check that password files exist and are private, and password variables are set (`check` does).</summary>
    public bool CheckSecrets { get; init; }
}

/// <summary>One configuration problem, printed as <c>location: key: message</c>.</summary>
/// <param name="Location"><c>file:line:col</c>, <c>env NAME</c>, <c>--set key</c> or <c>default</c>.</param>
public sealed record ConfigError(string Location, string Key, string Message)
{
    public override string ToString() => Key.Length == 0 ? $"{Location}: {Message}" : $"{Location}: {Key}: {Message}";
}

public enum ConfigOriginKind
{
    Default,
    File,
    Environment,
    CommandLine,
}

/// <summary>Where a configuration value came from.</summary>
public sealed record ConfigOrigin(ConfigOriginKind Kind, string Description)
{
    public static readonly ConfigOrigin Default = new(ConfigOriginKind.Default, "default");

    public override string ToString() => Description;
}

/// <summary>The result of <see cref="ConfigLoader.Load"/>: options (defaults where a value was bad), every problem, and where each value came from.</summary>
public sealed record LoadedConfig
{
    public required AutopilotOptions Options { get; init; }
    public IReadOnlyList<ConfigError> Errors { get; init; } = [];

    /// <summary>The file read, or null when none was found (embedded defaults).</summary>
    public string? Path { get; init; }

    /// <summary>Places looked at for a file, in order.</summary>
    public IReadOnlyList<string> Searched { get; init; } = [];

    /// <summary>Origin per configuration key (<c>pool:0:limits:max_pilots</c>; keys as written, case-sensitive). Keys not listed are defaults.</summary>
    public IReadOnlyDictionary<string, ConfigOrigin> Origins { get; init; } = new Dictionary<string, ConfigOrigin>(StringComparer.OrdinalIgnoreCase);

    public bool IsValid => Errors.Count == 0;

    public ConfigOrigin OriginOf(string key) => Origins.TryGetValue(key, out var o) ? o : ConfigOrigin.Default;

    /// <summary>Where <paramref name="key"/> (or the nearest table above it that has an origin) was set; else the file, else "default".</summary>
    public string LocationOf(string key)
    {
        var k = key;
        while (true)
        {
            if (k.Length > 0 && Origins.TryGetValue(k, out var origin))
            {
                return origin.Description;
            }

            var i = k.LastIndexOf(':');
            if (i < 0)
            {
                return Path ?? "default";
            }

            k = k[..i];
        }
    }
}
