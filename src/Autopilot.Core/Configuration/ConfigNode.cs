using System.Collections;
using System.Globalization;
using Tomlyn.Syntax;

namespace Autopilot.Configuration;

public enum ConfigNodeKind
{
    Table,
    Array,
    Value,
}

/// <summary>
/// One key of the configuration: a table, an array or a value, with where it came from. Values from
/// the file keep their Tomlyn syntax node (typed: string, integer, float, boolean, date-time); values
/// from the environment or <c>--set</c> are text, typed by the binder when it reads them.
/// Table keys are case-sensitive, as TOML says; arrays are tables whose children are named 0, 1, ...
/// </summary>
public sealed class ConfigNode
{
    private static readonly IReadOnlyList<string> None = [];

    private Dictionary<string, ConfigNode>? _children;
    private List<string>? _order;
    private string? _text;
    private ConfigOrigin? _origin;
    private FilePlace _place;

    private ConfigNode(ConfigNodeKind kind, ConfigOrigin? origin, FilePlace place = default)
    {
        Kind = kind;
        _origin = origin;
        _place = place;
    }

    public ConfigNodeKind Kind { get; private set; }

    /// <summary>Where the node came from; for file nodes the "file:line:col" text is made when first asked for.</summary>
    public ConfigOrigin Origin => _origin ??= new ConfigOrigin(ConfigOriginKind.File, TomlDocument.Location(_place.File, _place.Position));

    /// <summary>The value as written in the file (null for tables, arrays and override text).</summary>
    public ValueSyntax? Syntax { get; private set; }

    /// <summary>The value as text (the override's text, or the file value's text form, made when first asked for).</summary>
    public string? Text => _text ??= Syntax is null ? null : TextOf(Syntax);

    public bool IsTable => Kind == ConfigNodeKind.Table;
    public bool IsArray => Kind == ConfigNodeKind.Array;
    public bool IsValue => Kind == ConfigNodeKind.Value;

    /// <summary>Child names in the order they were written (array indexes in numeric order).</summary>
    public IReadOnlyList<string> ChildKeys => _order ?? None;

    public int Count => _order?.Count ?? 0;

    public static ConfigNode Table(ConfigOrigin origin) => new(ConfigNodeKind.Table, origin);

    public static ConfigNode Array(ConfigOrigin origin) => new(ConfigNodeKind.Array, origin);

    internal static ConfigNode Table(FilePlace place) => new(ConfigNodeKind.Table, null, place);

    internal static ConfigNode Array(FilePlace place) => new(ConfigNodeKind.Array, null, place);

    internal static ConfigNode FileValue(ValueSyntax syntax, FilePlace place) => new(ConfigNodeKind.Value, null, place) { Syntax = syntax };

    public static ConfigNode OverrideValue(string text, ConfigOrigin origin) => new(ConfigNodeKind.Value, origin) { _text = text };

    public ConfigNode? Child(string name) => _children is not null && _children.TryGetValue(name, out var child) ? child : null;

    /// <summary>The node at a <c>:</c>-separated key below this one ("" is this node).</summary>
    public ConfigNode? Find(string key)
    {
        if (key.Length == 0)
        {
            return this;
        }

        var node = this;
        foreach (var segment in key.Split(':'))
        {
            node = node.Child(segment);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>The deepest node on the way to <paramref name="key"/> (the key itself when present).</summary>
    public ConfigNode Deepest(string key)
    {
        var node = this;
        if (key.Length == 0)
        {
            return node;
        }

        foreach (var segment in key.Split(':'))
        {
            var child = node.Child(segment);
            if (child is null)
            {
                break;
            }

            node = child;
        }

        return node;
    }

    /// <summary>The node now starts at <paramref name="place"/> (a table's own header, met after a table below it).</summary>
    internal void MoveTo(FilePlace place) => (_origin, _place) = (null, place);

    internal void Set(string name, ConfigNode child)
    {
        _children ??= new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        _order ??= [];
        if (!_children.ContainsKey(name))
        {
            if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                // Array elements stay in index order, also when overrides add them (AUTOPILOT__X__10 sorts before __2).
                var at = _order.FindIndex(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i > index);
                _order.Insert(at < 0 ? _order.Count : at, name);
            }
            else
            {
                _order.Add(name);
            }
        }

        _children[name] = child;
    }

    internal void Append(ConfigNode child) => Set(Count.ToString(CultureInfo.InvariantCulture), child);

    /// <summary>
    /// Puts an override at <paramref name="key"/>: missing tables on the way are made, a value on the
    /// way becomes a table (the override wins), and the key's old node, whatever it was, is replaced.
    /// </summary>
    internal void Override(string key, string text, ConfigOrigin origin)
    {
        var segments = key.Split(':');
        var node = this;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            var child = node.Child(segments[i]);
            if (child is null || child.IsValue)
            {
                child = Table(origin);
                node.Set(segments[i], child);
            }

            node = child;
        }

        node.Set(segments[^1], OverrideValue(text, origin));
    }

    /// <summary>Every key below this node with its origin, depth first, in written order.</summary>
    public IEnumerable<(string Key, ConfigNode Node)> Descendants(string prefix = "")
    {
        foreach (var name in ChildKeys)
        {
            var key = prefix.Length == 0 ? name : prefix + ":" + name;
            var child = _children![name];
            yield return (key, child);
            foreach (var below in child.Descendants(key))
            {
                yield return below;
            }
        }
    }

    /// <summary>How a message names what was found: <c>string "x"</c>, <c>integer 5</c>, <c>a table</c>, <c>'text'</c>.</summary>
    public string Describe() => Kind switch
    {
        ConfigNodeKind.Table => "a table",
        ConfigNodeKind.Array => "an array",
        _ => Syntax switch
        {
            null => $"'{Text}'",
            StringValueSyntax s => $"string \"{s.Value}\"",
            _ => $"{TypeName(Syntax)} {Text}",
        },
    };

    private static string TypeName(ValueSyntax syntax) => syntax switch
    {
        StringValueSyntax => "string",
        IntegerValueSyntax => "integer",
        FloatValueSyntax => "float",
        BooleanValueSyntax => "boolean",
        DateTimeValueSyntax => "datetime",
        ArraySyntax => "array",
        _ => "table",
    };

    private static string? TextOf(ValueSyntax syntax) => syntax switch
    {
        // A multi-line string written with CRLF line ends reads as with LF, as before Tomlyn (TOML leaves it open).
        StringValueSyntax { Token.TokenKind: TokenKind.StringMulti or TokenKind.StringLiteralMulti } s when s.Token!.Text?.Contains("\r\n", StringComparison.Ordinal) == true =>
            s.Value?.Replace("\r\n", "\n", StringComparison.Ordinal),
        StringValueSyntax s => s.Value,
        IntegerValueSyntax i => i.Value.ToString(CultureInfo.InvariantCulture),
        FloatValueSyntax f => f.Value.ToString("R", CultureInfo.InvariantCulture),
        BooleanValueSyntax b => b.Value ? "true" : "false",
        DateTimeValueSyntax d => d.Token?.Text,
        _ => null,
    };
}

/// <summary>Where in a file a node starts.</summary>
internal readonly record struct FilePlace(string File, TextPosition Position);

/// <summary>The origins of a configuration tree as a read-only map from <c>pool:0:name</c>-style keys (a view, not a copy).</summary>
internal sealed class ConfigOriginMap(ConfigNode root) : IReadOnlyDictionary<string, ConfigOrigin>
{
    public ConfigOrigin this[string key] => TryGetValue(key, out var origin) ? origin : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => root.Descendants().Select(d => d.Key);

    public IEnumerable<ConfigOrigin> Values => root.Descendants().Select(d => d.Node.Origin);

    public int Count => root.Descendants().Count();

    public bool ContainsKey(string key) => root.Find(key) is not null;

    public bool TryGetValue(string key, out ConfigOrigin value)
    {
        var node = key.Length == 0 ? null : root.Find(key);
        value = node?.Origin!;
        return node is not null;
    }

    public IEnumerator<KeyValuePair<string, ConfigOrigin>> GetEnumerator() =>
        root.Descendants().Select(d => new KeyValuePair<string, ConfigOrigin>(d.Key, d.Node.Origin)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
