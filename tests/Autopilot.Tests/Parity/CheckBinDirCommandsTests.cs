using Autopilot.Cli.Commands;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Parity;

/// <summary>
/// Issue 17: with scheduler.bin_dir set, `check` names every command the adapter will run from it
/// (scontrol and sacct included), and looks nowhere else, because the adapter looks nowhere else.
/// </summary>
public sealed class CheckBinDirCommandsTests : IDisposable
{
    private readonly string _bin = ConfigTestSupport.TempDir();

    public void Dispose() => Directory.Delete(_bin, true);

    private void Wrappers(params string[] names)
    {
        foreach (var name in names)
        {
            var file = Path.Combine(_bin, name);
            File.WriteAllText(file, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Slurm_wrappers_without_scontrol_are_listed_and_the_missing_one_is_named()
    {
        Wrappers("sbatch", "squeue", "scancel", "sacct");

        var (exit, lines, _) = await CheckSchedulerRulesTests.CheckAsync("autopilot", "main", $"kind = \"slurm\"\nbin_dir = \"{_bin}\"");

        Assert.Equal(CheckCommand.ExitValid, exit);
        Assert.Contains(lines, l => l.StartsWith("warning: ", StringComparison.Ordinal)
            && l.Contains($"pool:0:scheduler:kind: command 'scontrol' is not in bin_dir {_bin}: a jobcomp/filetxt completion log is read through `sacct -c`", StringComparison.Ordinal));
        var pool = Assert.Single(lines, l => l.StartsWith("pool main:", StringComparison.Ordinal));
        Assert.EndsWith($"; runs {_bin}/sbatch {_bin}/squeue {_bin}/scancel {_bin}/sacct", pool, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_required_command_missing_from_bin_dir_is_an_error_even_when_it_is_on_PATH()
    {
        Wrappers("squeue", "scancel", "sacct", "scontrol");

        var (exit, lines, path) = await CheckSchedulerRulesTests.CheckAsync("autopilot", "main", $"kind = \"slurm\"\nbin_dir = \"{_bin}\"");

        Assert.Equal(CheckCommand.ExitInvalid, exit);
        Assert.Contains($"{path}:8:1: pool:0:scheduler:kind: command 'sbatch' (needed by the slurm scheduler) is not in bin_dir {_bin}", lines);
    }
}
