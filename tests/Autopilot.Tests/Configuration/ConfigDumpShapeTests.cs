using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

/// <summary>
/// `autopilot config` walks the options through source-generated metadata (Native AOT): a record
/// reached only through an abstract property type (a demand kind's options) must be listed in
/// <see cref="OptionsShapeContext"/>, or the command fails for pools of that kind.
/// </summary>
public sealed class ConfigDumpShapeTests
{
    [Fact]
    public void Every_options_record_behind_an_abstract_one_is_in_the_shape_context()
    {
        var missing = typeof(AutopilotOptions).Assembly.GetTypes()
            .Where(t => t is { IsAbstract: false, IsClass: true, IsPublic: true } && HasAbstractOptionsBase(t))
            .Where(t => OptionsShapeContext.Default.GetTypeInfo(t) is null)
            .Select(t => t.FullName)
            .ToList();
        Assert.True(missing.Count == 0, $"options records not in OptionsShapeContext: {string.Join(", ", missing)}");
    }

    private static bool HasAbstractOptionsBase(Type type)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t.IsAbstract && t.Name.EndsWith("Options", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
