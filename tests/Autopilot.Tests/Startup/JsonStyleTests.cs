using System.Reflection;
using System.Text.Json.Serialization;
using Autopilot.Cli;
using Autopilot.Domain;
using Autopilot.Policy;

namespace Autopilot.Tests.Startup;

/// <summary>
/// The --json outputs come from source-generated metadata (Native AOT), and the one style's enum
/// converters are listed one by one: an output type that gains an enum not listed would print it
/// as a number. This walks every output type (reflection is fine in a test) and finds each enum.
/// </summary>
public sealed class JsonStyleTests
{
    public static TheoryData<string> Contexts => [nameof(CliJsonContext), nameof(CoreJsonContext)];

    [Theory]
    [MemberData(nameof(Contexts))]
    public void Every_enum_in_a_json_output_has_a_snake_case_string_converter(string context)
    {
        var roots = (context == nameof(CliJsonContext) ? typeof(CliJsonContext) : typeof(CoreJsonContext))
            .GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
            .Select(a => (Type)a.ConstructorArguments[0].Value!)
            .ToList();
        Assert.NotEmpty(roots);
        var enums = new SortedSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<Type>();
        foreach (var root in roots)
        {
            Walk(root, seen, enums);
        }

        var converters = JsonStyle.Copy().Converters;
        var missing = enums.Where(name => !converters.Any(c => c.CanConvert(seen.First(t => t.FullName == name)))).ToList();
        Assert.True(missing.Count == 0, $"enums printed by {context} without a converter in JsonStyle: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Enums_print_as_snake_case_strings()
    {
        var options = JsonStyle.Copy();
        options.TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        Assert.Equal("\"blocked_by_pending_reason\"", System.Text.Json.JsonSerializer.Serialize(PlanRule.BlockedByPendingReason, options));
        Assert.Equal("\"completing\"", System.Text.Json.JsonSerializer.Serialize(PilotState.Completing, options));
    }

    private static void Walk(Type type, HashSet<Type> seen, SortedSet<string> enums)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.Namespace?.StartsWith("System", StringComparison.Ordinal) == true && !type.IsGenericType)
        {
            return;
        }

        if (type.IsEnum)
        {
            enums.Add(type.FullName!);
            return;
        }

        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            Walk(argument, seen, enums);
        }

        if (type.IsArray)
        {
            Walk(type.GetElementType()!, seen, enums);
        }

        if (type.Namespace?.StartsWith("Autopilot", StringComparison.Ordinal) == true)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            {
                Walk(property.PropertyType, seen, enums);
            }
        }
    }
}
