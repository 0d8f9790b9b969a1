using System.Text.Json;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>
/// Reads the two CouchDB view answers PiCaS demand needs. Pure: body in, counts out; a body that
/// does not hold the expected numbers throws <see cref="FormatException"/> saying what was wrong.
/// </summary>
public static class PiCaSViewParser
{
    /// <summary>
    /// <c>GET .../_view/todo?limit=0</c> answers <c>{"total_rows":N,"offset":0,"rows":[]}</c>:
    /// the view's row count without its rows.
    /// </summary>
    public static long ParseTotalRows(string body)
    {
        using var json = Parse(body);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"expected a JSON object with total_rows, got a JSON {Kind(root.ValueKind)}");
        }

        if (!root.TryGetProperty("total_rows", out var total))
        {
            // A reduce view queried without group answers {"rows":[...]} only.
            throw new FormatException(
                "the answer has no total_rows (is this a reduce view? then set reduce = true and query it by state)");
        }

        return NonNegativeInteger(total, "total_rows");
    }

    /// <summary>
    /// <c>GET .../_view/overview_total?group=true</c> answers
    /// <c>{"rows":[{"key":"todo","value":N},{"key":"locked","value":M},...]}</c>: one row per state that
    /// has tokens. A state without a row has no tokens. Every value must be a non-negative integer.
    /// </summary>
    public static IReadOnlyDictionary<string, long> ParseStateCounts(string body)
    {
        using var json = Parse(body);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("expected a JSON object with a rows array");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            if (row.ValueKind != JsonValueKind.Object || !row.TryGetProperty("key", out var key) || !row.TryGetProperty("value", out var value))
            {
                throw new FormatException($"row {index} has no key and value");
            }

            if (key.ValueKind != JsonValueKind.String)
            {
                throw new FormatException(
                    $"row {index} has key {Shorten(key.GetRawText())}, not a state name (query the reduce view with group=true; is the view emitting states as keys?)");
            }

            var state = key.GetString()!;
            var n = NonNegativeInteger(value, $"the value of state '{Shorten(state)}'");
            counts[state] = counts.TryGetValue(state, out var before) ? checked(before + n) : n;
            index++;
        }

        return counts;
    }

    private static JsonDocument Parse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"the answer is not JSON ({ex.Message}): {Shorten(body)}", ex);
        }
    }

    private static long NonNegativeInteger(JsonElement value, string what)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new FormatException($"{what} is {Shorten(value.GetRawText())}, not a number");
        }

        if (!value.TryGetInt64(out var n))
        {
            throw new FormatException($"{what} is {Shorten(value.GetRawText())}, not a whole number");
        }

        if (n < 0)
        {
            throw new FormatException($"{what} is negative ({n})");
        }

        return n;
    }

    private static string Kind(JsonValueKind kind) => kind.ToString().ToLowerInvariant();

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 120 ? text : text[..120] + "...";
    }
}
