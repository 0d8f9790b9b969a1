using Autopilot.Security;
using Autopilot.Tests.Operations;
using static Autopilot.Tests.Security.SecurityTestSupport;

namespace Autopilot.Tests.Security;

/// <summary>Issue 14, problem 10: a root warning, and files another non-root user could change are refused.</summary>
public sealed class TrustedFilesTests : IDisposable
{
    private static readonly UnixFileMode GroupWritable = (UnixFileMode)Convert.ToInt32("664", 8);
    private static readonly UnixFileMode WorldWritable = (UnixFileMode)Convert.ToInt32("777", 8);

    private readonly string _dir = TempDir();

    public void Dispose() => DeleteDir(_dir);

    [Fact]
    public async Task Check_warns_when_running_as_root()
    {
        var config = WriteLocalSite(_dir);

        var (exit, output, error) = await OpsTestSupport.Run("check", "--config", config);

        Assert.True(exit == 0, output + error);
        Assert.Equal(IsRoot, error.Contains("warning: running as root. Autopilot needs no privilege of its own", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_start_warns_when_running_as_root()
    {
        var config = WriteLocalSite(_dir);

        var (exit, _, error) = RunProcess(null, null, "status", "--config", config);

        Assert.Equal(0, exit);
        Assert.Equal(IsRoot, error.Contains("running as root", StringComparison.Ordinal));
    }

    [Fact]
    public void Under_quiet_the_root_warning_is_not_repeated_but_check_still_says_it()
    {
        var config = WriteLocalSite(_dir);

        var (exit, _, error) = RunProcess(null, null, "status", "--config", config, "-q");
        var (checkExit, _, checkError) = RunProcess(null, null, "check", "--config", config, "-q");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("running as root", error, StringComparison.Ordinal);
        Assert.Equal(0, checkExit);
        Assert.Equal(IsRoot, checkError.Contains("running as root", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_world_writable_config_file_is_refused_by_check_and_by_tick()
    {
        var config = WriteLocalSite(_dir);
        File.SetUnixFileMode(config, (UnixFileMode)Convert.ToInt32("666", 8));

        var check = await OpsTestSupport.Run("check", "--config", config);
        var tick = await OpsTestSupport.Run("tick", "--config", config, "-q");

        Assert.Equal(2, check.Exit);
        Assert.Contains($"{config}: configuration file {config} has mode 0666: group or others can change what autopilot runs; refusing it (chmod go-w {config})", check.Output, StringComparison.Ordinal);
        Assert.Equal(2, tick.Exit);
        Assert.Contains("configuration file " + config + " has mode 0666", tick.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_writable_template_or_template_folder_is_refused_at_the_template_key()
    {
        var config = WriteLocalSite(_dir);
        var template = Path.Combine(_dir, "pilot.sh");
        File.SetUnixFileMode(template, GroupWritable);

        var (exit, output, _) = await OpsTestSupport.Run("check", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"{config}:5:1: pool:0:template: template {template} has mode 0664", output, StringComparison.Ordinal);

        File.SetUnixFileMode(template, (UnixFileMode)Convert.ToInt32("644", 8));
        File.SetUnixFileMode(_dir, WorldWritable);
        var again = await OpsTestSupport.Run("tick", "--config", config, "-q");
        Assert.Equal(2, again.Exit);
        Assert.Contains($"pool:0:template: template folder {_dir} has mode 0777", again.Error, StringComparison.Ordinal);
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    [Fact]
    public async Task A_bin_dir_or_a_command_in_it_owned_by_another_user_is_refused()
    {
        Assert.True(IsRoot, "this test changes a file's owner: run it as root, as CI does");
        var bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        var sbatch = OpsTestSupport.WriteScript(Path.Combine(bin, "sbatch"), "#!/bin/sh\nexit 0\n");
        var config = WriteLocalSite(_dir, extra: "");
        File.WriteAllText(config, File.ReadAllText(config).Replace("kind = \"local\"", $"kind = \"local\"\nbin_dir = \"{bin}\"", StringComparison.Ordinal));
        Chown(sbatch, Nobody);

        var (exit, output, _) = await OpsTestSupport.Run("check", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"pool:0:scheduler:bin_dir: command in bin_dir {sbatch} is owned by nobody (uid {Nobody}), who could change what autopilot runs", output, StringComparison.Ordinal);

        Chown(sbatch, 0);
        Chown(bin, Nobody);
        var again = await OpsTestSupport.Run("check", "--config", config);
        Assert.Equal(2, again.Exit);
        Assert.Contains($"bin_dir {bin} is owned by nobody", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Files_owned_by_root_or_by_the_user_and_not_writable_by_others_are_trusted()
    {
        var file = Path.Combine(_dir, "f");
        File.WriteAllText(file, "");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("644", 8));

        Assert.Null(TrustedFiles.Problem(file, "template", UnixFile.EffectiveUid));
        Assert.Null(TrustedFiles.Problem("/usr/bin/env", "command", 12345));
        Assert.Null(TrustedFiles.Problem(Path.Combine(_dir, "missing"), "template", UnixFile.EffectiveUid));
    }
}
