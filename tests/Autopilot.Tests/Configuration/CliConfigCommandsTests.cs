using System.CommandLine;
using System.Text.Json;
using Autopilot.Cli;

namespace Autopilot.Tests.Configuration;

/// <summary>`autopilot check` and `autopilot config`, run in-process.</summary>
public sealed class CliConfigCommandsTests
{
    private static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CommandCatalog.BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Check_reports_the_issue_case_with_line_numbers_and_exits_2()
    {
        var path = ConfigTestSupport.WriteConfig("""
            state_dir = "/tmp/autopilot-test-state"

            [[pool]]
            name = "main"

            [pool.limits]
            max_pilot = 4
            min_pilots = 12
            max_pilots = 5
            tasks_per_pilot = "ten"
            """);

        var (exit, output, _) = await Run("check", "--config", path, "-q");

        Assert.Equal(2, exit);
        var lines = output.Split('\n');
        Assert.Contains($"{path}:7:1: pool:0:limits:max_pilot: unknown key; did you mean 'max_pilots'?", lines);
        Assert.Contains($"{path}:8:1: pool:0:limits:min_pilots: min_pilots (12) is greater than max_pilots (5)", lines);
        Assert.Contains($"{path}:10:1: pool:0:limits:tasks_per_pilot: expected an integer, got string \"ten\"", lines);
        Assert.Contains(lines, l => l.EndsWith("problems found", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_passes_on_the_example_file()
    {
        var (exit, output, error) = await Run("check", "--config", ConfigTestSupport.Example, "-q");

        Assert.True(exit == 0, output + error);
        Assert.Contains("valid, 1 pool", output, StringComparison.Ordinal);
        Assert.Contains("pool main: local scheduler", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_reports_an_unknown_template_placeholder_at_its_line()
    {
        var dir = ConfigTestSupport.TempDir();
        File.WriteAllText(Path.Combine(dir, "pilot.sh"), "#!/bin/sh\necho {{pool}}\necho {{no_such_value}}\n");
        var path = ConfigTestSupport.WriteConfig($"""
            template_dir = "{dir}"
            [[pool]]
            name = "main"
            template = "pilot.sh"
            """, dir);

        var (exit, output, _) = await Run("check", "--config", path, "-q");

        Assert.Equal(2, exit);
        Assert.Contains($"{Path.Combine(dir, "pilot.sh")}:3:6: pool:0:template: unknown placeholder '{{{{no_such_value}}}}'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_reports_a_missing_scheduler_command()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [[pool]]
            name = "main"
            [pool.scheduler]
            kind = "lsf"
            bin_dir = "/nonexistent"
            """);

        var (exit, output, _) = await Run("check", "--config", path, "-q");

        Assert.Equal(2, exit);
        // With bin_dir set the adapter runs bin_dir/bsub only, so PATH does not count (issue 17).
        Assert.Contains($"{path}:4:1: pool:0:scheduler:kind: command 'bsub' (needed by the lsf scheduler) is not in bin_dir /nonexistent", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_prints_merged_values_with_origins()
    {
        var (exit, output, _) = await Run("config", "--config", ConfigTestSupport.Example, "--origin", "--set", "pool.main.limits.max_pilots=7");

        Assert.Equal(0, exit);
        Assert.Contains("max_pilots = 7", output, StringComparison.Ordinal);
        Assert.Contains("# --set pool.main.limits.max_pilots", output, StringComparison.Ordinal);
        Assert.Matches(@"kind = ""local"" +# .*autopilot\.toml\.example:\d+:1", output);
    }

    [Fact]
    public async Task Config_json_is_valid_and_masks_credentials()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [[pool]]
            name = "main"
            [pool.template_vars]
            note = "https://user:topsecret@example.org/x"
            """);

        var (exit, output, _) = await Run("config", "--config", path, "--json", "--origin");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("main", doc.RootElement.GetProperty("config").GetProperty("pool")[0].GetProperty("name").GetString());
        Assert.Equal("default", doc.RootElement.GetProperty("origins").GetProperty("pool:0:limits:max_pilots").GetString());
        Assert.DoesNotContain("topsecret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_exits_2_and_lists_errors_on_stderr_when_invalid()
    {
        var path = ConfigTestSupport.WriteConfig("max_pilots = -1\n");

        var (exit, _, error) = await Run("config", "--config", path);

        Assert.Equal(2, exit);
        Assert.Equal($"{path}:1:1: max_pilots: must not be negative, got -1", error.Trim());
    }
}
