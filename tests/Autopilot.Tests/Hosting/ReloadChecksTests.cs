using Autopilot.Cli;
using Autopilot.Cli.Commands;
using Autopilot.Configuration;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Hosting;

/// <summary>Issue 14 problem 11: a SIGHUP reload applies exactly the checks of a start.</summary>
public sealed class ReloadChecksTests
{
    [Theory]
    [InlineData("")]
    [InlineData("state_dir = \"/tmp/ap-reload\"\n")]
    public void A_file_without_pools_is_refused_on_reload_as_at_start(string text)
    {
        var path = ConfigTestSupport.WriteConfig(text);
        var request = new ConfigRequest { ConfigPath = path, Overrides = [] };

        var reload = RunCommand.Reload(request);

        Assert.Null(reload.Options);
        Assert.Equal([$"{path}: no [[pool]] defined"], reload.Errors);
        Assert.Equal(CliContext.StartProblems(ConfigLoader.Load(request)), reload.Errors);
    }

    [Fact]
    public void A_file_with_a_pool_is_taken()
    {
        var path = ConfigTestSupport.WriteConfig("state_dir = \"/tmp/ap-reload\"\n[[pool]]\nname = \"main\"\n");

        var reload = RunCommand.Reload(new ConfigRequest { ConfigPath = path, Overrides = [] });

        Assert.Empty(reload.Errors);
        Assert.Equal("main", Assert.Single(reload.Options!.Pools).Name);
    }
}
