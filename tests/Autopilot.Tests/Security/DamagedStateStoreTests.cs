using Autopilot.State;
using Microsoft.Data.Sqlite;
using static Autopilot.Tests.Security.SecurityTestSupport;

namespace Autopilot.Tests.Security;

/// <summary>
/// Issue 14, problem 5: a damaged state store. Every command ends with one line and a documented
/// exit code, never a stack trace; a store that can be replaced without loss is moved aside and
/// started fresh, and `status` says so. Real SQLite files and the real program.
/// </summary>
public sealed class DamagedStateStoreTests : IDisposable
{
    private readonly string _dir = TempDir();
    private readonly List<string> _mounts = [];

    private string StateDir => Path.Combine(_dir, "state");

    private string Db => Path.Combine(StateDir, "state.db");

    public void Dispose()
    {
        foreach (var mount in _mounts)
        {
            Exec("umount", mount);
        }

        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Garbage_in_state_db_is_moved_aside_and_every_command_works_on_a_fresh_store()
    {
        var config = WriteLocalSite(_dir);
        StateDirectory.Secure(StateDir);
        File.WriteAllText(Db, "this is not a database, it is a note someone saved here\n");
        File.SetUnixFileMode(Db, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var status = RunProcess(null, null, "status", "--config", config);

        Assert.True(status.Exit == 0, status.Error);
        Assert.Contains("state store recovered ", status.Output, StringComparison.Ordinal);
        Assert.Contains("the state store was damaged (it is not a SQLite database); it was moved aside to " + Db + ".damaged-", status.Output, StringComparison.Ordinal);
        Assert.Contains("state store " + Db + ":", status.Error, StringComparison.Ordinal);
        var aside = Assert.Single(Directory.GetFiles(StateDir, "state.db.damaged-*"));
        Assert.Equal("this is not a database, it is a note someone saved here\n", File.ReadAllText(aside));
        NoStackTrace(status);

        foreach (var args in new[] { new[] { "events" }, ["tick"], ["plan"], ["pause", "main"], ["resume", "main"] })
        {
            var run = RunProcess(null, null, [.. args, "--config", config, "-q"]);
            Assert.True(run.Exit == 0, $"{string.Join(' ', args)}: {run.Output}{run.Error}");
            NoStackTrace(run);
        }

        var json = RunProcess(null, null, "status", "--json", "--config", config, "-q");
        Assert.Contains("\"store_recovered\": \"", json.Output, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(StateDir, "state.db.damaged-*"));
    }

    [Fact]
    public async Task A_partly_corrupt_store_is_found_by_the_open_and_replaced()
    {
        var config = WriteLocalSite(_dir);
        await using (var store = await SqliteStateStore.OpenAsync(StateDir, CancellationToken.None))
        {
            for (var i = 0; i < 400; i++)
            {
                await store.AppendEventAsync(new PoolEvent(DateTimeOffset.UtcNow, "main", EventKind.Submitted, [$"{i}"], new string('x', 200)), CancellationToken.None);
            }
        }

        // Checkpointed into the main file on close; now tear a page in the middle of the events table.
        Assert.False(File.Exists(Db + "-wal") && new FileInfo(Db + "-wal").Length > 0);
        using (var file = new FileStream(Db, FileMode.Open, FileAccess.Write))
        {
            file.Position = 4096 * 5;
            file.Write(Enumerable.Repeat((byte)0xA5, 4096).ToArray());
        }

        var status = RunProcess(null, null, "status", "--config", config);

        Assert.True(status.Exit == 0, status.Error);
        Assert.Contains("the state store was damaged (it is corrupt", status.Output, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(StateDir, "state.db.damaged-*"));
        NoStackTrace(status);
    }

    [Fact]
    public void A_folder_in_place_of_the_store_is_moved_aside()
    {
        var config = WriteLocalSite(_dir);
        StateDirectory.Secure(StateDir);
        StateDirectory.Ensure(Db);
        File.WriteAllText(Path.Combine(Db, "kept.txt"), "kept");

        var tick = RunProcess(null, null, "tick", "--config", config);

        Assert.True(tick.Exit == 0, tick.Error);
        Assert.Contains("a folder is in its place", tick.Error, StringComparison.Ordinal);
        var aside = Assert.Single(Directory.GetDirectories(StateDir, "state.db.damaged-*"));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(aside, "kept.txt")));
        Assert.True(File.Exists(Db));
    }

    [Fact]
    public void A_read_only_state_folder_ends_each_command_with_one_line_and_exit_2()
    {
        var config = WriteLocalSite(_dir, extra: "[log]\nfile = false\n");
        Mount(StateDir, "ro,mode=0700");

        foreach (var args in new[] { new[] { "status" }, ["events"], ["tick"], ["pause", "main"] })
        {
            var run = RunProcess(null, null, [.. args, "--config", config, "-q"]);
            Assert.True(run.Exit == 2, $"{string.Join(' ', args)}: exit {run.Exit}: {run.Output}{run.Error}");
            var line = Assert.Single(Lines(run.Error));
            Assert.True(line.Contains("state store " + Db + ": cannot open or write it", StringComparison.Ordinal)
                || line.Contains("read-only", StringComparison.OrdinalIgnoreCase), line);
            NoStackTrace(run);
        }
    }

    [Fact]
    public void A_full_disk_ends_each_command_with_one_line_and_exit_2()
    {
        var config = WriteLocalSite(_dir, extra: "[log]\nfile = false\n");
        Mount(StateDir, "size=256k,mode=0700");
        var first = RunProcess(null, null, "tick", "--config", config, "-q");
        Assert.True(first.Exit == 0, first.Error);

        // Fill what is left of the 256 KiB.
        var filler = Path.Combine(StateDir, "filler");
        using (var file = new FileStream(filler, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            var block = new byte[4096];
            try
            {
                while (true)
                {
                    file.Write(block);
                    file.Flush();
                }
            }
            catch (IOException)
            {
            }
        }

        var reason = string.Concat(Enumerable.Repeat("a long reason that needs pages ", 2000));
        var pause = RunProcess(null, null, "pause", "main", "--reason", reason, "--config", config, "-q");

        Assert.True(pause.Exit == 2, $"exit {pause.Exit}: {pause.Output}{pause.Error}");
        var line = Assert.Single(Lines(pause.Error));
        Assert.True(line.Contains("the disk is full", StringComparison.Ordinal), line);
        NoStackTrace(pause);
    }

    private static void NoStackTrace((int Exit, string Output, string Error) run)
    {
        Assert.DoesNotContain("   at ", run.Output + run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.Output + run.Error, StringComparison.Ordinal);
    }

    private void Mount(string at, string options)
    {
        Assert.True(IsRoot, "this test mounts a tmpfs: run it as root, as CI does");
        Directory.CreateDirectory(at);
        var (exit, error) = Exec("mount", "-t", "tmpfs", "-o", options, "tmpfs", at);
        Assert.True(exit == 0, "mount: " + error);
        _mounts.Add(at);
    }
}
