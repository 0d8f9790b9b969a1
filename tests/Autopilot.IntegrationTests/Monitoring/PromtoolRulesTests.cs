using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.Monitoring;

/// <summary>Issue 17: the shipped deploy/prometheus files pass promtool (Debian's prometheus package, tests/infra/start-prometheus.sh).</summary>
public sealed class PromtoolRulesTests
{
    private static string Folder => Path.Combine(TestPaths.Repo, "deploy", "prometheus");

    private static async Task<string> PromtoolAsync(params string[] args)
    {
        var result = await TestServices.Runner.RunAsync(new Autopilot.Processes.ProcessSpec("promtool", args, WorkingDirectory: Folder, Timeout: TimeSpan.FromSeconds(60)), CancellationToken.None);
        Assert.True(result.Succeeded, $"{result.Describe()}\n{result.StandardOutput}");
        return result.StandardOutput + result.StandardError;
    }

    [Fact]
    public async Task The_alerting_rules_pass_promtool_check_rules() =>
        Assert.Contains("SUCCESS: 5 rules found", await PromtoolAsync("check", "rules", "autopilot-rules.yml"), StringComparison.Ordinal);

    [Fact]
    public async Task The_rule_unit_test_fires_the_pool_paused_alert() =>
        Assert.Contains("SUCCESS", await PromtoolAsync("test", "rules", "autopilot-rules.test.yml"), StringComparison.Ordinal);

    [Fact]
    public async Task The_example_scrape_config_passes_promtool_check_config() =>
        Assert.Contains("is valid prometheus config file syntax", await PromtoolAsync("check", "config", "prometheus.yml"), StringComparison.Ordinal);
}
