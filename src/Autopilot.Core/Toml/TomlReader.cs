namespace Autopilot.Toml;

/// <summary>TOML 1.0 reader (no TOML package restores here).</summary>
public static class TomlReader
{
    /// <summary>Parses a whole document; throws <see cref="TomlException"/> with line and column on invalid input.</summary>
    public static TomlTable Parse(string text, string? path = null) =>
        throw new NotImplementedException("TOML reader is being written");
}
