using System.Text.Json;

namespace Autopilot.Tests.Operations;

/// <summary>
/// A tiny schema checker for the `--json` outputs: a schema is a list of lines
/// <c>path: kind[|kind...]</c>, where a path is <c>$</c>, <c>$.a.b</c>, or <c>$.a[].b</c> (every array
/// element) and a kind is one of object, array, string, number, bool, null, or absent (the property
/// may be left out). Every object listed must have exactly the properties the schema names under it:
/// a missing, an extra or a wrongly typed property is a violation. <c>path.*: any</c> accepts any
/// properties under an object (for the configuration tree, whose keys docs/configuration.md lists).
/// </summary>
internal static class JsonShape
{
    public static IReadOnlyList<string> Check(string json, string schema)
    {
        var rules = schema.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#'))
            .Select(l =>
            {
                var colon = l.LastIndexOf(':');
                return (Path: l[..colon].Trim(), Kinds: l[(colon + 1)..].Split('|', StringSplitOptions.TrimEntries).ToHashSet());
            })
            .ToList();
        var byPath = rules.ToDictionary(r => r.Path, r => r.Kinds);
        var problems = new List<string>();
        using var doc = JsonDocument.Parse(json);
        Walk(doc.RootElement, "$", byPath, problems);
        return problems;
    }

    private static void Walk(JsonElement element, string path, IReadOnlyDictionary<string, HashSet<string>> rules, List<string> problems)
    {
        if (!rules.TryGetValue(path, out var kinds))
        {
            problems.Add($"{path}: not in the schema");
            return;
        }

        var kind = Kind(element.ValueKind);
        if (!kinds.Contains(kind))
        {
            problems.Add($"{path}: {kind}, expected {string.Join("|", kinds)}");
            return;
        }

        if (element.ValueKind == JsonValueKind.Object && rules.ContainsKey(path + ".*"))
        {
            return;
        }

        if (element.ValueKind == JsonValueKind.Object)
        {
            var declared = rules.Keys.Where(k => IsChild(path, k)).Select(k => k[(path.Length + 1)..]).ToHashSet();
            var present = element.EnumerateObject().Select(p => p.Name).ToHashSet();
            foreach (var missing in declared.Except(present).Where(name => !rules[$"{path}.{name}"].Contains("absent")))
            {
                problems.Add($"{path}.{missing}: missing");
            }

            foreach (var property in element.EnumerateObject())
            {
                Walk(property.Value, $"{path}.{property.Name}", rules, problems);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Walk(item, path + "[]", rules, problems);
            }
        }
    }

    private static bool IsChild(string parent, string candidate) =>
        candidate.Length > parent.Length + 1 && candidate.StartsWith(parent + ".", StringComparison.Ordinal)
        && candidate[(parent.Length + 1)..].IndexOfAny(['.', '[']) < 0;

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };
}
