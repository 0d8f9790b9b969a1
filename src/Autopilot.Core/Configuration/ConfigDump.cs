using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Autopilot.Configuration;

/// <summary>
/// The effective configuration as a tree of configuration keys, written back as TOML or JSON
/// for <c>autopilot config</c>. Secrets are masked (the model keeps none, but a URL with
/// credentials or a stray password-like value from the environment must not be printed).
/// </summary>
public static class ConfigDump
{
    public abstract record Node(string Key);

    /// <summary>A scalar (string, long, double, bool) or a list of strings.</summary>
    public sealed record Value(string Key, object Data) : Node(Key);

    public sealed record Table(string Key, IReadOnlyList<(string Name, Node Node)> Entries) : Node(Key);

    public sealed record TableArray(string Key, IReadOnlyList<Table> Items) : Node(Key);

    public static Table Build(AutopilotOptions options) => BuildTable(options, "");

    public static string ToToml(AutopilotOptions options, LoadedConfig? origins = null)
    {
        var sb = new StringBuilder();
        WriteToml(sb, Build(options), "", origins);
        return sb.ToString();
    }

    public static string ToJson(AutopilotOptions options, LoadedConfig? origins = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            var table = Build(options);
            if (origins is null)
            {
                WriteJson(writer, table);
            }
            else
            {
                writer.WriteStartObject();
                writer.WritePropertyName("config");
                WriteJson(writer, table);
                writer.WriteStartObject("origins");
                foreach (var leaf in Leaves(table))
                {
                    writer.WriteString(leaf.Key, origins.OriginOf(leaf.Key).Description);
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    /// <summary>Every value of the tree, in order (for origin listings).</summary>
    public static IEnumerable<Value> Leaves(Node node) => node switch
    {
        Value v => [v],
        Table t => t.Entries.SelectMany(e => Leaves(e.Node)),
        TableArray a => a.Items.SelectMany(Leaves),
        _ => [],
    };

    /// <summary>PascalCase property to snake_case key, with the few names that differ.</summary>
    public static string KeyName(string property) => property switch
    {
        nameof(AutopilotOptions.Pools) => "pool",
        nameof(SchedulerOptions.MemoryMb) => "memory",
        _ => string.Concat(property.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString())),
    };

    private static Table BuildTable(object record, string prefix)
    {
        var entries = new List<(string, Node)>();
        // The properties come from source-generated metadata, not reflection (Native AOT). One
        // without a setter is computed from the keys, not one of them.
        var shape = OptionsShapeContext.Default.GetTypeInfo(record.GetType())
            ?? throw new InvalidOperationException($"{record.GetType().Name} is not in {nameof(OptionsShapeContext)}");
        foreach (var property in shape.Properties)
        {
            if (property.Name == nameof(AutopilotOptions.SourcePath) || property.Get is null || property.Set is null)
            {
                continue;
            }

            // Only the top level's Pools is the [[pool]] array; [alerts] pools is a plain key.
            var name = property.Name == nameof(AutopilotOptions.Pools) && record is not AutopilotOptions ? "pools" : KeyName(property.Name);
            var key = prefix.Length == 0 ? name : prefix + ":" + name;
            var node = BuildNode(property.Get(record), key, name, property.Name);
            if (node is not null)
            {
                entries.Add((name, node));
            }
        }

        return new Table(prefix, entries);
    }

    private static Node? BuildNode(object? value, string key, string name, string property)
    {
        switch (value)
        {
            case null:
                return null;
            case string s:
                return new Value(key, Mask(name, s));
            case int or long:
                return new Value(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case double d:
                return new Value(key, d);
            case bool b:
                return new Value(key, b);
            case TimeSpan t:
                return new Value(key, property == nameof(SchedulerOptions.Walltime) ? ConfigValues.FormatWalltime(t) : ConfigValues.FormatDuration(t));
            case IReadOnlyList<string> list:
                return new Value(key, list.Select(v => Mask(name, v)).ToList());
            case IReadOnlyList<TimeSpan> spans:
                return new Value(key, spans.Select(ConfigValues.FormatDuration).ToList());
            case IReadOnlyDictionary<string, string> map:
                return new Table(key, map.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => (p.Key, (Node)new Value(key + ":" + p.Key, Mask(p.Key, p.Value)))).ToList());
            case IDictionary tables:
                return new Table(key, tables.Keys.Cast<string>().Order(StringComparer.Ordinal)
                    .Select(k => (k, BuildNode(tables[k], key + ":" + k, k, property)!)).ToList());
            case IEnumerable items when value.GetType().IsGenericType:
                return new TableArray(key, items.Cast<object>().Select((item, i) => BuildTable(item, key + ":" + i.ToString(CultureInfo.InvariantCulture))).ToList());
            default:
                return BuildTable(value, key);
        }
    }

    private static string Mask(string name, string value)
    {
        var lower = name.ToLowerInvariant();
        if (lower is "password" or "token" or "secret" or "auth" || lower.EndsWith("_password", StringComparison.Ordinal))
        {
            return "***";
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':'))
        {
            return value.Replace(uri.UserInfo, uri.UserInfo[..uri.UserInfo.IndexOf(':')] + ":***", StringComparison.Ordinal);
        }

        return value;
    }

    private static void WriteToml(StringBuilder sb, Table table, string path, LoadedConfig? origins)
    {
        foreach (var (name, node) in table.Entries)
        {
            if (node is Value v)
            {
                var line = $"{TomlKey(name)} = {TomlLiteral(v.Data)}";
                sb.Append(line);
                if (origins is not null)
                {
                    sb.Append(' ', Math.Max(1, 48 - line.Length)).Append("# ").Append(origins.OriginOf(v.Key).Description);
                }

                sb.Append('\n');
            }
        }

        foreach (var (name, node) in table.Entries)
        {
            var childPath = path.Length == 0 ? TomlKey(name) : path + "." + TomlKey(name);
            switch (node)
            {
                case Table t:
                    sb.Append('\n').Append('[').Append(childPath).Append("]\n");
                    WriteToml(sb, t, childPath, origins);
                    break;
                case TableArray a:
                    foreach (var item in a.Items)
                    {
                        sb.Append('\n').Append("[[").Append(childPath).Append("]]\n");
                        WriteToml(sb, item, childPath, origins);
                    }

                    break;
            }
        }
    }

    private static void WriteJson(Utf8JsonWriter writer, Table table)
    {
        writer.WriteStartObject();
        foreach (var (name, node) in table.Entries)
        {
            writer.WritePropertyName(name);
            switch (node)
            {
                case Value v:
                    WriteJsonValue(writer, v.Data);
                    break;
                case Table t:
                    WriteJson(writer, t);
                    break;
                case TableArray a:
                    writer.WriteStartArray();
                    foreach (var item in a.Items)
                    {
                        WriteJson(writer, item);
                    }

                    writer.WriteEndArray();
                    break;
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteJsonValue(Utf8JsonWriter writer, object data)
    {
        switch (data)
        {
            case string s:
                writer.WriteStringValue(s);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d:
                writer.WriteNumberValue(d);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case List<string> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    writer.WriteStringValue(item);
                }

                writer.WriteEndArray();
                break;
        }
    }

    private static string TomlKey(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? name : TomlString(name);

    private static string TomlLiteral(object data) => data switch
    {
        string s => TomlString(s),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d % 1 == 0 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        List<string> list => "[" + string.Join(", ", list.Select(TomlString)) + "]",
        _ => throw new InvalidOperationException($"no TOML form for {data.GetType()}"),
    };

    private static string TomlString(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        return sb.Append('"').ToString();
    }
}

/// <summary>
/// The shape of the configuration model for <see cref="ConfigDump"/>: property names as declared,
/// settable ones only. A pool's demand options are one record per kind behind the abstract
/// <see cref="DemandSources.DemandOptions"/>: each is listed (ConfigDumpShapeTests fails on one missing).
/// </summary>
[JsonSerializable(typeof(AutopilotOptions))]
[JsonSerializable(typeof(DemandSources.Command.CommandOptions))]
[JsonSerializable(typeof(DemandSources.HyperQueue.HyperQueueOptions))]
[JsonSerializable(typeof(DemandSources.HyperShell.HyperShellOptions))]
[JsonSerializable(typeof(DemandSources.PiCaS.PiCaSOptions))]
[JsonSerializable(typeof(DemandSources.Sql.SqlOptions))]
internal sealed partial class OptionsShapeContext : JsonSerializerContext;
