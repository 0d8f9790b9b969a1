using System.CommandLine;
using Autopilot.Cli;
using Autopilot.Cli.Commands;
using Autopilot.Schedulers;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Parity;

/// <summary>
/// `autopilot check` applies each scheduler's own flag rules (ValidateSettings) for every kind and
/// prints one `location: key: kind: rule` line per broken rule, at the line of the setting to change.
/// </summary>
public sealed class CheckSchedulerRulesTests
{
    internal static async Task<(int Exit, string[] Lines, string Path)> CheckAsync(string jobPrefix, string poolName, string schedulerLines)
    {
        // Line numbers below are fixed by this layout: job_prefix 2, pool name 5, scheduler keys from 8.
        var path = ConfigTestSupport.WriteConfig($"""
            state_dir = "{ConfigTestSupport.TempDir()}"
            job_prefix = "{jobPrefix}"

            [[pool]]
            name = "{poolName}"

            [pool.scheduler]
            {schedulerLines}
            """);
        var output = new StringWriter();
        var exit = await CommandCatalog.BuildRoot().Parse(["check", "--config", path, "-q"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        return (exit, output.ToString().Split('\n', StringSplitOptions.TrimEntries), path);
    }

    private static string Fakes(string kind) => System.IO.Path.Combine(ConfigTestSupport.Repo, "tests", "fakes", kind);

    [Fact]
    public async Task Torque_job_name_longer_than_15_characters()
    {
        var (exit, lines, path) = await CheckAsync("autopilot", "gpu-pool", $"kind = \"torque\"\nbin_dir = \"{Fakes("torque")}\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains($"{path}:5:1: pool:0:name: torque: job name 'autopilot-gpu-pool' is 18 characters; Torque allows at most 15 (older versions); shorten job_prefix or the pool name", lines);
    }

    [Fact]
    public async Task The_same_name_is_fine_for_PBS_Pro()
    {
        var (_, lines, _) = await CheckAsync("autopilot", "gpu-pool", $"kind = \"pbs\"\nflavor = \"pbspro\"\nbin_dir = \"{Fakes("pbs")}\"");

        // Other checks may still report something (commands, template); no scheduler rule is broken.
        Assert.DoesNotContain(lines, l => l.Contains("pool:0:name", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("pool:0:scheduler", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pbs_queue_with_a_space()
    {
        var (exit, lines, path) = await CheckAsync("autopilot", "main", $"kind = \"pbs\"\nbin_dir = \"{Fakes("pbs")}\"\nqueue = \"work q\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains($"{path}:10:1: pool:0:scheduler:queue: pbs: 'work q' contains whitespace or shell metacharacters; allowed are letters, digits and _ . @ + : -", lines);
    }

    [Fact]
    public async Task Lsf_walltime_that_is_not_whole_minutes()
    {
        var (exit, lines, path) = await CheckAsync("autopilot", "main", $"kind = \"lsf\"\nbin_dir = \"{Fakes("lsf")}\"\nwalltime = \"01:00:30\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains(lines, l => l.StartsWith($"{path}:10:1: pool:0:scheduler:walltime: lsf: LSF -W takes whole minutes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Grid_Engine_job_name_starting_with_a_digit()
    {
        var (exit, lines, path) = await CheckAsync("1ap", "main", "kind = \"sge\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains($"{path}:5:1: pool:0:name: sge: job name '1ap-main': Grid Engine rejects names that start with a digit (set job_prefix to start with a letter)", lines);
    }

    [Fact]
    public async Task Grid_Engine_cpus_without_a_parallel_environment()
    {
        var (exit, lines, path) = await CheckAsync("autopilot", "main", "kind = \"sge\"\ncpus = 4");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains(lines, l => l.StartsWith($"{path}:7:1: pool:0:scheduler:parallel_environment: sge: required for cpus = 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slurm_partition_with_a_space()
    {
        var (exit, lines, path) = await CheckAsync("autopilot", "main", "kind = \"slurm\"\nqueue = \"de bug\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains($"{path}:9:1: pool:0:scheduler:queue: slurm: partition 'de bug' may contain only ASCII letters, digits, '-', '_', '.' and ',' (no whitespace or shell characters)", lines);
    }

    [Fact]
    public async Task Local_job_name_longer_than_a_directory_name_may_be()
    {
        var prefix = new string('a', 100);
        var (exit, lines, path) = await CheckAsync(prefix, "main", "kind = \"local\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains(lines, l => l.StartsWith($"{path}:5:1: pool:0:name: local: job name '{prefix}-main': ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("scheduler.queue", "pool:3:scheduler:queue")]
    [InlineData("scheduler.extra_args", "pool:3:scheduler:extra_args")]
    [InlineData(SettingProblem.JobName, "pool:3:name")]
    public void A_problem_names_the_configuration_key_it_is_about(string key, string configKey)
    {
        Assert.Equal(configKey, new SettingProblem(key, "bad").ConfigKey("pool:3"));
    }
}
