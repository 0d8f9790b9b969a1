using Autopilot.Configuration;
using Autopilot.Toml;
using Microsoft.Extensions.Configuration;

namespace Autopilot.Tests.Configuration;

/// <summary>
/// The loader binds from a <see cref="ConfigTree"/> instead of a ConfigurationRoot (start-up cost);
/// both must answer alike over the same layers: every value, every child list in the same order.
/// </summary>
public sealed class ConfigTreeTests
{
    private const string Toml = """
        state_dir = "/tmp/x"
        Job_Prefix = "ap"
        empty_list = []
        [log]
        level = "debug"
        [empty_table]
        [[pool]]
        name = "a"
        [pool.scheduler]
        extra_args = ["--begin=now", "-A", "x"]
        [pool.template_vars]
        Zeta = "1"
        alpha = "2"
        "10" = "ten"
        "9" = "nine"
        [[pool]]
        name = "b"
        [pool.scheduler]
        extra_args = []
        """;

    public static TheoryData<string> Cases() => ["file", "file+env+set", "env only", "example"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tree_answers_as_ConfigurationRoot_over_the_same_layers(string name)
    {
        var text = name == "example" ? File.ReadAllText(ConfigTestSupport.Example) : name == "env only" ? "" : Toml;
        var document = TomlReader.Parse(text, "t.toml");
        var env = name.Contains("env", StringComparison.Ordinal)
            ? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
            {
                ["pool:1:scheduler:extra_args:0"] = "--qos=low",
                ["pool:11:name"] = "c",
                ["pool:2:name"] = "d",
                ["LOG:Level"] = "warning",
                ["empty_table:x"] = "y",
            }
            : new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var set = name.Contains("set", StringComparison.Ordinal)
            ? new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["pool:0:name"] = "z", ["job_prefix"] = "q", ["empty_list"] = null }
            : new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

        var root = new ConfigurationBuilder()
            .Add(new TomlConfigurationSource(document, "t.toml"))
            .Add(new LayerConfigurationSource(env))
            .Add(new LayerConfigurationSource(set))
            .Build();

        var merged = new Dictionary<string, string?>(TomlFlattener.Flatten(document, "t.toml").Values, StringComparer.OrdinalIgnoreCase);
        foreach (var layer in new[] { env, set })
        {
            foreach (var (k, v) in layer)
            {
                merged[k] = v;
            }
        }

        var tree = new ConfigTree(merged);
        var compared = 0;

        void Compare(string path, IEnumerable<IConfigurationSection> children)
        {
            var expected = children.ToList();
            Assert.Equal(expected.Select(c => c.Key.ToLowerInvariant()), tree.ChildKeys(path).Select(k => k.ToLowerInvariant()));
            foreach (var child in expected)
            {
                var key = path.Length == 0 ? child.Key : path + ":" + child.Key;
                Assert.Equal(child.Value, tree.Value(key));
                Assert.Equal(child.Exists(), tree.Exists(key));
                compared++;
                Compare(key, child.GetChildren());
            }
        }

        Compare("", root.GetChildren());
        Assert.True(compared > 5, $"only {compared} keys compared");
        Assert.Empty(tree.ChildKeys("no:such:key"));
        Assert.Null(tree.Value("no:such:key"));
    }
}
