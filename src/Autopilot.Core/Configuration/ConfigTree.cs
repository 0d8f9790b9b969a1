using System.Globalization;

namespace Autopilot.Configuration;

/// <summary>
/// The merged configuration layers as a tree of <c>:</c>-separated keys, answering what the binder
/// asks of Microsoft.Extensions.Configuration (a key's value, a key's children) with the same
/// results as a <c>ConfigurationRoot</c> over the same layers (a test holds the two together), but
/// indexed once: ConfigurationRoot re-scans and re-sorts every key of every provider for each
/// <c>GetChildren</c>, and building it costs a cron tick several milliseconds of start-up.
/// </summary>
internal sealed class ConfigTree
{
    private static readonly IReadOnlyList<string> None = [];

    private readonly IReadOnlyDictionary<string, string?> _values;
    private readonly Dictionary<string, List<string>> _children = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="values">Every layer merged, later layers winning (case-insensitive keys); a null value is a key that exists without a value.</param>
    public ConfigTree(IReadOnlyDictionary<string, string?> values)
    {
        _values = values;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in values.Keys)
        {
            var start = 0;
            while (true)
            {
                var end = key.IndexOf(':', start);
                var parent = start == 0 ? "" : key[..(start - 1)];
                var segment = end < 0 ? key[start..] : key[start..end];
                if (seen.Add(end < 0 ? key : key[..end]))
                {
                    if (!_children.TryGetValue(parent, out var list))
                    {
                        _children[parent] = list = [];
                    }

                    list.Add(segment);
                }

                if (end < 0)
                {
                    break;
                }

                start = end + 1;
            }
        }

        foreach (var list in _children.Values)
        {
            list.Sort(CompareSegments);
        }
    }

    /// <summary>The value at <paramref name="key"/>; null when absent or set without a value.</summary>
    public string? Value(string key) => _values.TryGetValue(key, out var value) ? value : null;

    /// <summary>The names of the keys directly under <paramref name="key"/> ("" for the top), in ConfigurationRoot's order.</summary>
    public IReadOnlyList<string> ChildKeys(string key) => _children.TryGetValue(key, out var list) ? list : None;

    /// <summary>As <c>IConfigurationSection.Exists()</c>: a value, or children.</summary>
    public bool Exists(string key) => Value(key) is not null || ChildKeys(key).Count > 0;

    /// <summary>ConfigurationKeyComparer on one segment: integers first, in numeric order, then text ignoring case.</summary>
    internal static int CompareSegments(string a, string b)
    {
        var aIsInt = int.TryParse(a, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x);
        var bIsInt = int.TryParse(b, NumberStyles.Integer, CultureInfo.InvariantCulture, out var y);
        if (aIsInt && bIsInt)
        {
            return x - y;
        }

        if (aIsInt != bIsInt)
        {
            return aIsInt ? -1 : 1;
        }

        return string.Compare(a, b, StringComparison.OrdinalIgnoreCase);
    }
}
