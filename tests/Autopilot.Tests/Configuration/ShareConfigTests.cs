using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

public sealed class ShareConfigTests
{
    private static string Pool(string name, string share, string demandPath = "/tmp/tasks.db") => $"""
        [[pool]]
        name = "{name}"
        [pool.demand]
        path = "{demandPath}"
        [pool.share]
        {share}

        """;

    [Fact]
    public void A_share_group_binds_and_prints_back()
    {
        var path = ConfigTestSupport.WriteConfig("state_dir = \"/tmp/x\"\n"
            + Pool("gpu", "group = \"accel\"\norder = 1\noverflow_after = \"15m\"")
            + Pool("scavenger", "group = \"accel\"\norder = 2"));

        var config = ConfigTestSupport.Load(path);

        Assert.Empty(config.Errors);
        Assert.Equal(new ShareOptions { Group = "accel", Order = 1, OverflowAfter = TimeSpan.FromMinutes(15) }, config.Options.Pools[0].Share);
        Assert.Equal(new ShareOptions { Group = "accel", Order = 2, OverflowAfter = TimeSpan.FromMinutes(10) }, config.Options.Pools[1].Share);

        var again = ConfigTestSupport.Load(ConfigTestSupport.WriteConfig(ConfigDump.ToToml(config.Options)));
        Assert.Empty(again.Errors);
        Assert.Equal(config.Options.Pools[0].Share, again.Options.Pools[0].Share);
    }

    [Theory]
    [InlineData("group = \"g\"\norder = 1", "group = \"g\"\norder = 1", "pool:1:share:order", 15, "pools 'a' and 'b' of share group 'g' both have order 1: orders must differ")]
    [InlineData("group = \"g\"\norder = 1", "group = \"g\"\norder = 2\nextra = 1", "pool:1:share:extra", 16, "unknown key")]
    [InlineData("group = \"g\"\norder = 0", "group = \"g\"\norder = 2", "pool:0:share:order", 8, "")]
    [InlineData("group = \"g\"\noverflow_after = \"0s\"", "group = \"g\"\norder = 2", "pool:0:share:overflow_after", 8, "must be longer than zero")]
    [InlineData("order = 1", "group = \"g\"\norder = 2", "pool:0:share", 6, "a [pool.share] table needs a group")]
    public void Bad_share_settings_name_file_line_and_key(string first, string second, string key, int line, string message)
    {
        var path = ConfigTestSupport.WriteConfig("state_dir = \"/tmp/x\"\n" + Pool("a", first) + Pool("b", second));
        var config = ConfigTestSupport.Load(path);

        // A share group of one (the order-less case leaves 'b' alone) is an error of its own: skip it here.
        var error = Assert.Single(config.Errors, e => !e.Message.Contains("a share needs at least two pools", StringComparison.Ordinal));
        Assert.Equal(key, error.Key);
        Assert.Equal($"{path}:{line}", error.Location[..error.Location.LastIndexOf(':')]);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pools_of_one_group_must_read_the_same_demand()
    {
        var path = ConfigTestSupport.WriteConfig("state_dir = \"/tmp/x\"\n"
            + Pool("a", "group = \"g\"\norder = 1") + Pool("b", "group = \"g\"\norder = 2", "/tmp/other.db"));

        var error = Assert.Single(ConfigTestSupport.Load(path).Errors);

        Assert.Equal("pool:1:demand", error.Key);
        Assert.Equal($"{path}:11", error.Location[..error.Location.LastIndexOf(':')]);
        Assert.Equal($"pool 'b' is in share group 'g' with pool 'a' ({path}:7:1", error.Message[..error.Message.IndexOf(')')]);
        Assert.Contains("the pools of a group must have the same [pool.demand]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_group_of_one_pool_is_refused()
    {
        var path = ConfigTestSupport.WriteConfig("state_dir = \"/tmp/x\"\n" + Pool("a", "group = \"lonely\""));

        var error = Assert.Single(ConfigTestSupport.Load(path).Errors);

        Assert.Equal("pool:0:share:group", error.Key);
        Assert.Contains("share group 'lonely' has only pool 'a': a share needs at least two pools", error.Message, StringComparison.Ordinal);
    }
}
