using System.Text.Json;

namespace Autopilot.Cli;

/// <summary>The one JSON style of every `--json` output (<see cref="JsonStyle"/>).</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = JsonStyle.Options;

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
