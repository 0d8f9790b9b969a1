using System.Globalization;
using System.Text.Json;
using Autopilot.Toml;

namespace Autopilot.Tests.Toml;

/// <summary>The TOML 1.0 cases of the public toml-test suite, copied into tests/fixtures/toml-test.</summary>
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

        var table = await RunBounded(() => TomlReader.Parse(bytes, path));

        var differences = new List<string>();
        Compare(table, expected.RootElement, "$", differences);
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public async Task Invalid_case_is_rejected_with_a_position(string path)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(SuiteRoot, path));

        var ex = await Assert.ThrowsAsync<TomlException>(() => RunBounded(() => TomlReader.Parse(bytes, path)));

        Assert.True(ex.Position.Line > 0, ex.Message);
        Assert.True(ex.Position.Column > 0, ex.Message);
        Assert.StartsWith($"{path}:{ex.Position.Line}:{ex.Position.Column}: ", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A hang is a failure too: give each case a few seconds.</summary>
    private static Task<TomlTable> RunBounded(Func<TomlTable> parse) =>
        Task.Run(parse).WaitAsync(TimeSpan.FromSeconds(10));

    private static void Compare(TomlNode node, JsonElement expected, string at, List<string> differences)
    {
        switch (node)
        {
            case TomlTable table:
                if (expected.ValueKind != JsonValueKind.Object || IsScalar(expected))
                {
                    differences.Add($"{at}: got a table, expected {expected}");
                    return;
                }

                var expectedKeys = expected.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var key in table.Keys)
                {
                    if (!expected.TryGetProperty(key, out var child))
                    {
                        differences.Add($"{at}: unexpected key '{key}'");
                        continue;
                    }

                    expectedKeys.Remove(key);
                    Compare(table[key], child, $"{at}.{key}", differences);
                }

                foreach (var missing in expectedKeys)
                {
                    differences.Add($"{at}: missing key '{missing}'");
                }

                return;

            case TomlArray array:
                if (expected.ValueKind != JsonValueKind.Array || expected.GetArrayLength() != array.Count)
                {
                    differences.Add($"{at}: got an array of {array.Count}, expected {expected}");
                    return;
                }

                var i = 0;
                foreach (var item in expected.EnumerateArray())
                {
                    Compare(array[i], item, $"{at}[{i}]", differences);
                    i++;
                }

                return;
        }

        if (!IsScalar(expected))
        {
            differences.Add($"{at}: got {node.TypeName} {node}, expected {expected}");
            return;
        }

        var type = expected.GetProperty("type").GetString()!;
        var value = expected.GetProperty("value").GetString()!;
        var ok = (type, node) switch
        {
            ("string", TomlString s) => s.Value == value,
            ("integer", TomlInteger n) => n.Value == long.Parse(value, CultureInfo.InvariantCulture),
            ("float", TomlFloat f) => FloatEquals(f.Value, value),
            ("bool", TomlBoolean b) => b.Value == bool.Parse(value),
            ("datetime", TomlDateTime { Kind: TomlDateTimeKind.OffsetDateTime } d) =>
                d.Offset is { } o && o == DateTimeOffset.Parse(value, CultureInfo.InvariantCulture) && o.Offset == DateTimeOffset.Parse(value, CultureInfo.InvariantCulture).Offset,
            ("datetime-local", TomlDateTime { Kind: TomlDateTimeKind.LocalDateTime } d) =>
                d.Local == DateTime.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            ("date-local", TomlDateTime { Kind: TomlDateTimeKind.LocalDate } d) =>
                d.Date == DateOnly.ParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            ("time-local", TomlDateTime { Kind: TomlDateTimeKind.LocalTime } d) =>
                d.Time == TimeOnly.Parse(value, CultureInfo.InvariantCulture),
            _ => false,
        };
        if (!ok)
        {
            differences.Add($"{at}: got {node.TypeName} {Show(node)}, expected {type} {JsonSerializer.Serialize(value)}");
        }
    }

    private static string Show(TomlNode node) => node switch
    {
        TomlString s => JsonSerializer.Serialize(s.Value),
        TomlDateTime d => $"{d.Kind} {d.Raw}",
        _ => node.ToString() ?? "",
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
