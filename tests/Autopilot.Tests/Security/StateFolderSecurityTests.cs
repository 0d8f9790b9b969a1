using Autopilot.Configuration;
using Autopilot.Engine;
using Autopilot.Security;
using Autopilot.State;
using static Autopilot.Tests.Security.SecurityTestSupport;

namespace Autopilot.Tests.Security;

/// <summary>Issue 14, problem 2: the state folder is private, checked before use, and nothing in it is followed as a link.</summary>
public sealed class StateFolderSecurityTests : IDisposable
{
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    private readonly string _dir = TempDir();

    private string StateDir => Path.Combine(_dir, "state");

    public void Dispose() => DeleteDir(_dir);

    [Fact]
    public void Under_umask_000_a_tick_creates_everything_owner_only_and_the_next_tick_accepts_it()
    {
        var config = WriteLocalSite(_dir, demand: 1);

        var first = RunProcess("000", null, "tick", "--config", config);
        Assert.True(first.Exit == 0, first.Output + first.Error);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StateDir));
        var entries = Directory.EnumerateFileSystemEntries(StateDir).ToList();
        Assert.Contains(Path.Combine(StateDir, "tick.lock"), entries);
        Assert.Contains(Path.Combine(StateDir, "state.db"), entries);
        Assert.Contains(Path.Combine(StateDir, "scripts"), entries);
        Assert.Contains(Path.Combine(StateDir, "logs"), entries);
        foreach (var entry in entries.Concat(new[] { "scripts", "logs", "local", "pilots" }.SelectMany(d => Directory.EnumerateFileSystemEntries(Path.Combine(StateDir, d)))))
        {
            Assert.True((File.GetUnixFileMode(entry) & GroupOrOtherWrite) == 0, $"{entry} is {File.GetUnixFileMode(entry)}");
        }

        var second = RunProcess("000", null, "tick", "--config", config);
        Assert.True(second.Exit == 0, second.Output + second.Error);
    }

    [Fact]
    public void A_link_planted_at_tick_lock_is_refused_and_its_target_untouched()
    {
        var config = WriteLocalSite(_dir);
        StateDirectory.Secure(StateDir);
        var target = Path.Combine(_dir, "precious");
        File.WriteAllText(target, "root only\n");
        File.CreateSymbolicLink(Path.Combine(StateDir, "tick.lock"), target);

        var (exit, output, error) = RunProcess(null, null, "tick", "--config", config);

        Assert.Equal(2, exit);
        var line = Assert.Single(Lines(error));
        Assert.Contains("tick.lock: is a symbolic link", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
        Assert.Equal("root only\n", File.ReadAllText(target));
    }

    [Fact]
    public void A_link_planted_at_the_temp_script_is_refused_and_its_target_untouched()
    {
        var config = WriteLocalSite(_dir, demand: 1);
        StateDirectory.Secure(StateDir);
        Directory.CreateDirectory(Path.Combine(StateDir, "scripts"));
        var target = Path.Combine(_dir, "precious");
        File.WriteAllText(target, "root only\n");
        File.CreateSymbolicLink(Path.Combine(StateDir, "scripts", "main.sh.tmp"), target);

        var (exit, _, error) = RunProcess(null, null, "tick", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("main.sh.tmp: is a symbolic link", Assert.Single(Lines(error)), StringComparison.Ordinal);
        Assert.Equal("root only\n", File.ReadAllText(target));
        Assert.False(File.Exists(Path.Combine(StateDir, "scripts", "main.sh")));
    }

    [Fact]
    public void The_engine_parts_refuse_links_even_without_the_folder_check()
    {
        StateDirectory.Secure(StateDir);
        var target = Path.Combine(_dir, "precious");
        File.WriteAllText(target, "root only\n");
        var scripts = Path.Combine(StateDir, "scripts");
        StateDirectory.Ensure(scripts);
        File.CreateSymbolicLink(Path.Combine(scripts, "main.sh"), target);
        File.WriteAllText(Path.Combine(_dir, "pilot.sh"), "#!/bin/sh\n");
        var options = new AutopilotOptions { StateDir = StateDir };
        var pool = new PoolOptions { Name = "main", Template = Path.Combine(_dir, "pilot.sh") };

        Assert.Throws<UnsafeStateException>(() => PilotScripts.Write(options, pool, StateDir));
        Assert.Equal("root only\n", File.ReadAllText(target));
        Assert.Empty(Directory.EnumerateFiles(scripts, "*.tmp"));

        File.Delete(Path.Combine(scripts, "main.sh"));
        File.CreateSymbolicLink(StateDirectory.LockFile(StateDir), target);
        Assert.Throws<UnsafeStateException>(() => TickLock.TryAcquire(StateDirectory.LockFile(StateDir)));
        Assert.Equal("root only\n", File.ReadAllText(target));
    }

    [Fact]
    public async Task A_file_owned_by_another_user_in_the_state_folder_is_refused()
    {
        Assert.True(IsRoot, "this test changes a file's owner: run it as root, as CI does");
        var config = WriteLocalSite(_dir);
        await (await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None)).DisposeAsync();
        Chown(Path.Combine(StateDir, "state.db"), Nobody);

        var (exit, _, error) = RunProcess(null, null, "status", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"state.db: owned by nobody (uid {Nobody}), not by root (uid 0) who runs autopilot; refusing to use the state folder", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_folder_owned_by_another_user_or_writable_by_others_is_refused()
    {
        StateDirectory.Secure(StateDir);
        File.SetUnixFileMode(StateDir, File.GetUnixFileMode(StateDir) | UnixFileMode.GroupWrite);

        var ex = Assert.Throws<UnsafeStateException>(() => StateDirectory.Secure(StateDir));
        Assert.Equal($"state folder {StateDir}: mode 0720 lets group or others write it; refusing to use the state folder (chmod go-w it)", ex.Message);

        File.SetUnixFileMode(StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var log = Path.Combine(StateDir, "logs");
        StateDirectory.Ensure(log);
        File.WriteAllText(Path.Combine(log, "autopilot-20260101.log"), "");
        File.SetUnixFileMode(Path.Combine(log, "autopilot-20260101.log"), (UnixFileMode)Convert.ToInt32("666", 8));
        Assert.Contains("autopilot-20260101.log: mode 0666", Assert.Throws<UnsafeStateException>(() => StateDirectory.Verify(StateDir)).Message, StringComparison.Ordinal);

        if (IsRoot)
        {
            File.Delete(Path.Combine(log, "autopilot-20260101.log"));
            Chown(StateDir, Nobody);
            Assert.StartsWith($"state folder {StateDir}: owned by nobody", Assert.Throws<UnsafeStateException>(() => StateDirectory.Verify(StateDir)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_reports_an_unsafe_state_folder_at_state_dir_and_writes_no_log_file_into_it()
    {
        var config = WriteLocalSite(_dir);
        StateDirectory.Secure(StateDir);
        File.SetUnixFileMode(StateDir, (UnixFileMode)Convert.ToInt32("777", 8));

        var (exit, output, _) = await Operations.OpsTestSupport.Run("check", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"{config}:1:1: state_dir: state folder {StateDir}: mode 0777 lets group or others write it", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(StateDir, "logs")));
    }

    [Fact]
    public void Lstat_reports_the_link_itself_with_its_owner()
    {
        var target = Path.Combine(_dir, "t");
        File.WriteAllText(target, "");
        File.CreateSymbolicLink(Path.Combine(_dir, "l"), target);

        var link = UnixFile.Lstat(Path.Combine(_dir, "l"));
        var file = UnixFile.Lstat(target);

        Assert.Equal(UnixFileKind.SymbolicLink, link!.Kind);
        Assert.Equal(UnixFileKind.Regular, file!.Kind);
        Assert.Equal(UnixFile.EffectiveUid, file.Uid);
        Assert.Equal((int)File.GetUnixFileMode(target), file.Mode);
        Assert.Null(UnixFile.Lstat(Path.Combine(_dir, "missing", "x")));
    }
}
