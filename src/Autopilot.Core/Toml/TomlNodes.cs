using System.Collections;

namespace Autopilot.Toml;

/// <summary>A position in a TOML file, 1-based.</summary>
public readonly record struct TomlPosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>Any TOML value. <see cref="Position"/> is where the value (or the table's header/key) starts.</summary>
public abstract class TomlNode
{
    public TomlPosition Position { get; internal set; }

    /// <summary>TOML type name as used in messages: string, integer, float, boolean, datetime, array, table.</summary>
    public abstract string TypeName { get; }
}

public sealed class TomlString(string value) : TomlNode
{
    public string Value { get; } = value;
    public override string TypeName => "string";
    public override string ToString() => Value;
}

public sealed class TomlInteger(long value) : TomlNode
{
    public long Value { get; } = value;
    public override string TypeName => "integer";
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class TomlFloat(double value) : TomlNode
{
    public double Value { get; } = value;
    public override string TypeName => "float";
    public override string ToString() => Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class TomlBoolean(bool value) : TomlNode
{
    public bool Value { get; } = value;
    public override string TypeName => "boolean";
    public override string ToString() => Value ? "true" : "false";
}

public enum TomlDateTimeKind
{
    OffsetDateTime,
    LocalDateTime,
    LocalDate,
    LocalTime,
}

/// <summary>
/// A date/time value. <see cref="Raw"/> keeps the text as written; the typed views are filled
/// according to <see cref="Kind"/> (offset date-time: <see cref="Offset"/>; local date-time:
/// <see cref="Local"/>; local date: <see cref="Date"/>; local time: <see cref="Time"/>).
/// </summary>
public sealed class TomlDateTime : TomlNode
{
    public TomlDateTime(TomlDateTimeKind kind, string raw, DateTimeOffset? offset = null, DateTime? local = null, DateOnly? date = null, TimeOnly? time = null)
    {
        Kind = kind;
        Raw = raw;
        Offset = offset;
        Local = local;
        Date = date;
        Time = time;
    }

    public TomlDateTimeKind Kind { get; }
    public string Raw { get; }
    public DateTimeOffset? Offset { get; }
    public DateTime? Local { get; }
    public DateOnly? Date { get; }
    public TimeOnly? Time { get; }
    public override string TypeName => "datetime";
    public override string ToString() => Raw;
}

public sealed class TomlArray : TomlNode, IReadOnlyList<TomlNode>
{
    private readonly List<TomlNode> _items = [];

    public override string TypeName => "array";
    public int Count => _items.Count;

    /// <summary>True when built by <c>[[header]]</c> lines; only such arrays may be extended by a header.</summary>
    internal bool IsArrayOfTables { get; init; }
    public TomlNode this[int index] => _items[index];

    internal void Add(TomlNode node) => _items.Add(node);

    public IEnumerator<TomlNode> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A table; keys keep their file order. <see cref="KeyPosition"/> tells where each key was written.</summary>
public sealed class TomlTable : TomlNode, IReadOnlyDictionary<string, TomlNode>
{
    // Most config tables hold a handful of keys: a flat list with a linear scan beats a dictionary
    // (and allocates far less); the index appears only once a table grows past IndexThreshold keys.
    private const int IndexThreshold = 8;
    private readonly List<Entry> _entries = [];
    private Dictionary<string, int>? _index;

    private readonly record struct Entry(string Key, TomlNode Value, TomlPosition KeyPosition);

    public override string TypeName => "table";
    public int Count => _entries.Count;

    /// <summary>How the table came to be; decides whether a later header or dotted key may extend it.</summary>
    internal TomlTableOrigin Origin { get; set; }

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);
    public IEnumerable<TomlNode> Values => _entries.Select(e => e.Value);

    public TomlNode this[string key] =>
        Find(key) is var i and >= 0 ? _entries[i].Value : throw new KeyNotFoundException($"TOML key '{key}' not found");

    /// <summary>Where the key was written (for tables defined by a header, the header's position).</summary>
    public TomlPosition KeyPosition(string key) => Find(key) is var i and >= 0 ? _entries[i].KeyPosition : Position;

    public bool ContainsKey(string key) => Find(key) >= 0;

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TomlNode value)
    {
        var i = Find(key);
        value = i >= 0 ? _entries[i].Value : null;
        return i >= 0;
    }

    private int Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_index is not null)
        {
            return _index.TryGetValue(key, out var i) ? i : -1;
        }

        var entries = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_entries);
        for (var i = 0; i < entries.Length; i++)
        {
            if (string.Equals(entries[i].Key, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    internal void Add(string key, TomlNode value, TomlPosition keyPosition)
    {
        if (Find(key) >= 0)
        {
            throw new ArgumentException($"duplicate TOML key '{key}'", nameof(key));
        }

        _entries.Add(new Entry(key, value, keyPosition));
        if (_index is not null)
        {
            _index.Add(key, _entries.Count - 1);
        }
        else if (_entries.Count > IndexThreshold)
        {
            _index = new Dictionary<string, int>(_entries.Count * 2, StringComparer.Ordinal);
            for (var i = 0; i < _entries.Count; i++)
            {
                _index.Add(_entries[i].Key, i);
            }
        }
    }

    internal void SetKeyPosition(string key, TomlPosition keyPosition)
    {
        var i = Find(key);
        if (i >= 0)
        {
            _entries[i] = _entries[i] with { KeyPosition = keyPosition };
        }
    }

    public IEnumerator<KeyValuePair<string, TomlNode>> GetEnumerator() =>
        _entries.Select(e => new KeyValuePair<string, TomlNode>(e.Key, e.Value)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>TOML 1.0 forbids redefining tables; these origins carry the rules of who may add to a table.</summary>
internal enum TomlTableOrigin : byte
{
    /// <summary>Created as a parent by a header such as <c>[a.b]</c>; a later <c>[a]</c> may still define it once.</summary>
    Implicit,
    /// <summary>Defined by its own header (or the root); never defined again.</summary>
    Header,
    /// <summary>Created by a dotted key; only further dotted keys of the same section may add to it.</summary>
    Dotted,
    /// <summary>An inline table: closed once written.</summary>
    Inline,
}

/// <summary>A TOML document that is not valid TOML 1.0; the message carries file, line and column.</summary>
public sealed class TomlException(string message, string? path, TomlPosition position)
    : Exception($"{path ?? "<toml>"}:{position.Line}:{position.Column}: {message}")
{
    public string Reason { get; } = message;
    public string? Path { get; } = path;
    public TomlPosition Position { get; } = position;
}
