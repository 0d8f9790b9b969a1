using System.Text.RegularExpressions;

namespace Autopilot.DemandSources.HyperShell;

/// <summary>
/// A pool's tag filter: <c>key</c> (the task carries the tag, with any value) or
/// <c>key = value</c> (the tag's value, as text, equals <c>value</c>).
/// </summary>
public sealed partial record HyperShellTagFilter(string Key, string? Value)
{
    /// <summary>Parses "key" or "key = value"; null or blank gives null (no filter).</summary>
    /// <exception cref="ArgumentException">The key is not one HyperShell accepts (letters, digits and <c>+._-</c>).</exception>
    public static HyperShellTagFilter? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var key = (equals < 0 ? text : text[..equals]).Trim();
        var value = equals < 0 ? null : text[(equals + 1)..].Trim();
        // HyperShell refuses any other key, and the key ends up inside a JSON path: holding it to the
        // same alphabet keeps the path well-formed whatever the configuration says.
        if (!KeyPattern().IsMatch(key))
        {
            throw new ArgumentException(
                $"demand.tag '{text}': the key must be 1-120 letters, digits or + . _ - (as HyperShell requires), as \"key\" or \"key = value\"");
        }

        return new HyperShellTagFilter(key, value);
    }

    /// <summary>SQLite JSON path of the key, e.g. <c>$."site"</c>.</summary>
    public string JsonPath => $"$.\"{Key}\"";

    public override string ToString() => Value is null ? Key : $"{Key} = {Value}";

    [GeneratedRegex(@"^[A-Za-z0-9_.+-]{1,120}$")]
    private static partial Regex KeyPattern();
}
