using System.Globalization;
using Autopilot.Toml;
using Microsoft.Extensions.Configuration;

namespace Autopilot.Configuration;

/// <summary>
/// Feeds a parsed TOML document to Microsoft.Extensions.Configuration: keys are flattened with ':'
/// (<c>pool:0:scheduler:queue</c>), arrays are indexed, an empty array or table becomes a key with a
/// null value (so it can still override a default list).
/// </summary>
public sealed class TomlConfigurationSource(TomlTable document, string? path) : IConfigurationSource
{
    public TomlTable Document { get; } = document;
    public string? Path { get; } = path;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new TomlConfigurationProvider(this);
}

public sealed class TomlConfigurationProvider(TomlConfigurationSource source) : ConfigurationProvider
{
    public override void Load() => Data = TomlFlattener.Flatten(source.Document, source.Path).Values;
}

/// <summary>A flattened TOML document: values, their positions, and the nodes (for type checks).</summary>
public sealed record FlatToml(
    Dictionary<string, string?> Values,
    Dictionary<string, ConfigOrigin> Origins,
    Dictionary<string, TomlNode> Nodes);

public static class TomlFlattener
{
    public static FlatToml Flatten(TomlTable document, string? path)
    {
        var flat = new FlatToml(
            new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase),
            new Dictionary<string, ConfigOrigin>(StringComparer.OrdinalIgnoreCase),
            new Dictionary<string, TomlNode>(StringComparer.OrdinalIgnoreCase));
        var file = path ?? "<toml>";
        foreach (var (key, value) in document)
        {
            Walk(flat, file, value, key, document.KeyPosition(key));
        }

        return flat;
    }

    private static void Walk(FlatToml flat, string file, TomlNode node, string key, TomlPosition position)
    {
        flat.Origins[key] = new ConfigOrigin(ConfigOriginKind.File, $"{file}:{position.Line}:{position.Column}");
        flat.Nodes[key] = node;
        switch (node)
        {
            case TomlTable table:
                if (table.Count == 0)
                {
                    flat.Values[key] = null;
                }

                foreach (var (child, value) in table)
                {
                    Walk(flat, file, value, key + ConfigurationPath.KeyDelimiter + child, table.KeyPosition(child));
                }

                break;
            case TomlArray array:
                if (array.Count == 0)
                {
                    flat.Values[key] = null;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    var itemPosition = item.Position.Line == 0 ? position : item.Position;
                    Walk(flat, file, item, key + ConfigurationPath.KeyDelimiter + i.ToString(CultureInfo.InvariantCulture), itemPosition);
                }

                break;
            default:
                flat.Values[key] = node.ToString();
                break;
        }
    }
}

/// <summary>A plain key/value layer (environment variables, command-line overrides).</summary>
public sealed class LayerConfigurationSource(IReadOnlyDictionary<string, string?> values) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new LayerConfigurationProvider(values);
}

public sealed class LayerConfigurationProvider(IReadOnlyDictionary<string, string?> values) : ConfigurationProvider
{
    public override void Load() => Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);
}
