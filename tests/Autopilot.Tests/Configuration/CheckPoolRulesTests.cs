using System.CommandLine;
using Autopilot.Cli;
using Autopilot.Cli.Commands;

namespace Autopilot.Tests.Configuration;

/// <summary>Issue 19, items 1 and 2: what `check` says about a pool's walltime and its crash-loop settings.</summary>
public sealed class CheckPoolRulesTests
{
    private static async Task<(int Exit, string[] Lines, string Path)> CheckAsync(string poolLines)
    {
        // Line numbers below are fixed by this layout: the pool's keys start at line 5.
        var path = ConfigTestSupport.WriteConfig($"""
            state_dir = "{ConfigTestSupport.TempDir()}"

            [[pool]]
            name = "cpu"
            {poolLines}
            """);
        var output = new StringWriter();
        var exit = await CommandCatalog.BuildRoot().Parse(["check", "--config", path, "-q"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        return (exit, output.ToString().Split('\n', StringSplitOptions.TrimEntries), path);
    }

    [Fact]
    public async Task A_pool_whose_walltime_minus_drain_lead_is_below_min_useful_walltime_is_rejected_naming_both_keys()
    {
        // The case: it passed `check`, then every tick said WalltimeTooShort and exited 0.
        var (exit, lines, path) = await CheckAsync("""
            [pool.scheduler]
            walltime = "00:06:00"
            drain_lead = "5m30s"
            """);

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        var line = Assert.Single(lines, l => l.Contains("min_useful_walltime", StringComparison.Ordinal));
        Assert.StartsWith($"{path}:", line, StringComparison.Ordinal);
        Assert.Contains("pool:0:policy:min_useful_walltime: scheduler.walltime (00:06:00) minus scheduler.drain_lead (5m30s) leaves 30s, less than min_useful_walltime (5m)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Walltime_that_leaves_exactly_min_useful_walltime_passes()
    {
        var (exit, lines, _) = await CheckAsync("""
            [pool.scheduler]
            walltime = "00:15:00"
            drain_lead = "10m"
            """);

        Assert.True(exit == CheckCommand.ExitValid, string.Join('\n', lines));
    }

    [Fact]
    public async Task Idle_timeout_below_min_pilot_runtime_is_a_warning_at_its_line()
    {
        var (exit, lines, path) = await CheckAsync("""
            idle_timeout = "20s"
            """);

        Assert.True(exit == CheckCommand.ExitValid, string.Join('\n', lines));
        Assert.Contains($"warning: {path}:5:1: pool:0:idle_timeout: idle_timeout (20s) is shorter than policy.min_pilot_runtime (1m): "
            + "pilots that find no work leave sooner than the crash-loop detector's idea of a short run; lower min_pilot_runtime or raise idle_timeout", lines);

        (exit, lines, _) = await CheckAsync("""
            idle_timeout = "20s"

            [pool.policy]
            min_pilot_runtime = "15s"
            """);
        Assert.Equal(CheckCommand.ExitValid, exit);
        Assert.DoesNotContain(lines, l => l.StartsWith("warning:", StringComparison.Ordinal));
    }
}
