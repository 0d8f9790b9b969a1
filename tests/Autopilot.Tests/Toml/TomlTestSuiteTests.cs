using System.Globalization;
using System.Text.Json;
using Autopilot.Configuration;
using Tomlyn;
using Tomlyn.Syntax;

namespace Autopilot.Tests.Toml;

/// <summary>
/// The TOML 1.0 cases of the public toml-test suite, copied into tests/fixtures/toml-test, read the way
/// autopilot.toml is read (Tomlyn, strict UTF-8, TOML 1.1-only forms refused): every valid case gives
/// the expected document, every invalid case at least one error, each with file:line:col.
/// </summary>
public sealed class TomlTestSuiteTests
{
    private static readonly string SuiteRoot = Path.Combine(TomlTestPaths.Repo, "tests", "fixtures", "toml-test");

    private static IEnumerable<string> Listed(string prefix) =>
        File.ReadAllLines(Path.Combine(SuiteRoot, "files-toml-1.0.0"))
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && l.EndsWith(".toml", StringComparison.Ordinal));

    public static TheoryData<string> ValidCases() => new(Listed("valid/"));

    public static TheoryData<string> InvalidCases() => new(Listed("invalid/"));

    [Fact]
    public void The_suite_is_complete()
    {
        // A lost fixture folder must not shrink the theories to nothing and still pass.
        Assert.Equal(210, ValidCases().Count);
        Assert.Equal(499, InvalidCases().Count);
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public async Task Valid_case_decodes_to_expected_document(string path)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(SuiteRoot, path));
        var expected = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(SuiteRoot, Path.ChangeExtension(path, ".json"))));

        var result = await RunBounded(() => TomlDocument.Parse(bytes, path));

        Assert.True(result.Errors.Count == 0, string.Join(Environment.NewLine, result.Errors));
        var differences = new List<string>();
        Compare(result.Root, expected.RootElement, "$", differences);
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public async Task Invalid_case_is_rejected_with_a_position(string path)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(SuiteRoot, path));

        var result = await RunBounded(() => TomlDocument.Parse(bytes, path));

        Assert.NotEmpty(result.Errors);
        foreach (var error in result.Errors)
        {
            Assert.Matches(@"^" + System.Text.RegularExpressions.Regex.Escape(path) + @":[1-9][0-9]*:[1-9][0-9]*$", error.Location);
            Assert.StartsWith($"{error.Location}: ", error.ToString(), StringComparison.Ordinal);
        }
    }

    /// <summary>A hang is a failure too: give each case a few seconds.</summary>
    private static Task<TomlDocument.Result> RunBounded(Func<TomlDocument.Result> parse) =>
        Task.Run(parse).WaitAsync(TimeSpan.FromSeconds(10));

    private static void Compare(ConfigNode node, JsonElement expected, string at, List<string> differences)
    {
        switch (node.Kind)
        {
            case ConfigNodeKind.Table:
                if (expected.ValueKind != JsonValueKind.Object || IsScalar(expected))
                {
                    differences.Add($"{at}: got a table, expected {expected}");
                    return;
                }

                var expectedKeys = expected.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var key in node.ChildKeys)
                {
                    if (!expected.TryGetProperty(key, out var child))
                    {
                        differences.Add($"{at}: unexpected key '{key}'");
                        continue;
                    }

                    expectedKeys.Remove(key);
                    Compare(node.Child(key)!, child, $"{at}.{key}", differences);
                }

                foreach (var missing in expectedKeys)
                {
                    differences.Add($"{at}: missing key '{missing}'");
                }

                return;

            case ConfigNodeKind.Array:
                if (expected.ValueKind != JsonValueKind.Array || expected.GetArrayLength() != node.Count)
                {
                    differences.Add($"{at}: got an array of {node.Count}, expected {expected}");
                    return;
                }

                var i = 0;
                foreach (var item in expected.EnumerateArray())
                {
                    Compare(node.Child(node.ChildKeys[i])!, item, $"{at}[{i}]", differences);
                    i++;
                }

                return;
        }

        if (!IsScalar(expected))
        {
            differences.Add($"{at}: got {node.Describe()}, expected {expected}");
            return;
        }

        var type = expected.GetProperty("type").GetString()!;
        var value = expected.GetProperty("value").GetString()!;
        var ok = (type, node.Syntax) switch
        {
            ("string", StringValueSyntax s) => s.Value == value,
            ("integer", IntegerValueSyntax n) => n.Value == long.Parse(value, CultureInfo.InvariantCulture),
            ("float", FloatValueSyntax f) => FloatEquals(f.Value, value),
            ("bool", BooleanValueSyntax b) => b.Value == bool.Parse(value),
            ("datetime", DateTimeValueSyntax { Value: { Kind: TomlDateTimeKind.OffsetDateTimeByZ or TomlDateTimeKind.OffsetDateTimeByNumber } d }) =>
                d.DateTime == DateTimeOffset.Parse(value, CultureInfo.InvariantCulture) && d.DateTime.Offset == DateTimeOffset.Parse(value, CultureInfo.InvariantCulture).Offset,
            ("datetime-local", DateTimeValueSyntax { Value: { Kind: TomlDateTimeKind.LocalDateTime } d }) =>
                d.DateTime.DateTime == DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            ("date-local", DateTimeValueSyntax { Value: { Kind: TomlDateTimeKind.LocalDate } d }) =>
                DateOnly.FromDateTime(d.DateTime.DateTime) == DateOnly.ParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            ("time-local", DateTimeValueSyntax { Value: { Kind: TomlDateTimeKind.LocalTime } d }) =>
                TimeOnly.FromDateTime(d.DateTime.DateTime) == TimeOnly.Parse(value, CultureInfo.InvariantCulture),
            _ => false,
        };
        if (!ok)
        {
            differences.Add($"{at}: got {Show(node)}, expected {type} {JsonSerializer.Serialize(value)}");
        }
    }

    private static string Show(ConfigNode node) => node.Syntax switch
    {
        StringValueSyntax s => "string " + JsonSerializer.Serialize(s.Value),
        DateTimeValueSyntax d => $"{d.Value.Kind} {d.Token?.Text}",
        _ => node.Describe(),
    };

    private static bool IsScalar(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object
        && e.EnumerateObject().Count() == 2
        && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
        && e.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String;

    private static bool FloatEquals(double actual, string expected)
    {
        switch (expected)
        {
            case "nan" or "+nan" or "-nan":
                return double.IsNaN(actual);
            case "inf" or "+inf":
                return double.IsPositiveInfinity(actual);
            case "-inf":
                return double.IsNegativeInfinity(actual);
        }

        var e = double.Parse(expected, NumberStyles.Float, CultureInfo.InvariantCulture);
        return actual.Equals(e);
    }
}
