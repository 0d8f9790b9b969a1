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

    /// <summary>
    /// The SQL condition on the <c>tag</c> column (parameters @tag_path, @tag_key, @tag_value): the
    /// one the demand count and `logs` both use, so a pool's tasks are the same set in both.
    /// </summary>
    public string SqlCondition(bool sqlite) => (Value, sqlite) switch
    {
        (null, true) => "json_type(tag, @tag_path) IS NOT NULL",
        // The value's text as PostgreSQL's ->> gives it (true, 1, 1.5, text), so one setting means the same on both backends.
        (_, true) => "(CASE json_type(tag, @tag_path) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract(tag, @tag_path) AS TEXT) END) = @tag_value",
        (null, false) => "tag::jsonb ? @tag_key",
        _ => "tag::jsonb ->> @tag_key = @tag_value",
    };

    /// <summary>The parameters <see cref="SqlCondition"/> uses on that backend, by name without '@'.</summary>
    public IReadOnlyList<(string Name, string Value)> SqlParameters(bool sqlite)
    {
        var first = sqlite ? ("tag_path", JsonPath) : ("tag_key", Key);
        return Value is null ? [first] : [first, ("tag_value", Value)];
    }

    public override string ToString() => Value is null ? Key : $"{Key} = {Value}";

    [GeneratedRegex(@"^[A-Za-z0-9_.+-]{1,120}$")]
    private static partial Regex KeyPattern();
}
