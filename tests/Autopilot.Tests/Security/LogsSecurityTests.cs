using Autopilot.TaskLogs;
using Microsoft.Data.Sqlite;
using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Security;

/// <summary>
/// Issue 14, problems 16 and 17: `autopilot logs` on a database written by the real HyperShell 2.8.2
/// (tests/fixtures/hypershell-2.8.2, with its --capture files) reads only task-output folders, and
/// escapes control characters from the database and the logs unless --raw.
/// </summary>
public sealed class LogsSecurityTests : IDisposable
{
    private readonly string _dir = TempDir();
    private readonly string _db;
    private readonly string _taskDir;
    private readonly string _config;
    private readonly string _id;

    public LogsSecurityTests()
    {
        var fixture = Path.Combine(Repo, "tests", "fixtures", "hypershell-2.8.2");
        var lib = Path.Combine(_dir, "site", "lib");
        _taskDir = Path.Combine(lib, "task");
        Directory.CreateDirectory(_taskDir);
        _db = Path.Combine(lib, "main.db");
        File.Copy(Path.Combine(fixture, "retries-capture.db"), _db);
        foreach (var file in Directory.GetFiles(Path.Combine(fixture, "site-lib-task")))
        {
            File.Copy(file, Path.Combine(_taskDir, Path.GetFileName(file)));
        }

        // The database names the capture files under the site it was made in; point them at this copy.
        Execute(_db, $"UPDATE task SET outpath = replace(outpath, '/home/xcore/hs/site', '{_dir}/site'), errpath = replace(errpath, '/home/xcore/hs/site', '{_dir}/site')");
        _id = Scalar("SELECT id FROM task WHERE args LIKE 'echo out-1%'");
        _config = WriteHyperShellConfig(_dir, _db);
    }

    public void Dispose() => SecurityTestSupport.DeleteDir(_dir);

    [Fact]
    public async Task A_capture_file_in_the_site_task_folder_is_printed()
    {
        var (exit, output, error) = await Run("logs", _id, "--config", _config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains($"--- stdout: {_taskDir}/{_id}.out\nout-1\n", output, StringComparison.Ordinal);
        Assert.Contains($"--- stderr: {_taskDir}/{_id}.err\nerr-1\n", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("{task}/../../../../../../../etc/shadow")]
    [InlineData("{dir}/secret")]
    public async Task A_path_outside_the_task_folders_is_refused_and_not_printed(string outpath)
    {
        File.WriteAllText(Path.Combine(_dir, "secret"), "TOP SECRET\n");
        outpath = outpath.Replace("{task}", _taskDir, StringComparison.Ordinal).Replace("{dir}", _dir, StringComparison.Ordinal);
        Execute(_db, $"UPDATE task SET outpath = '{outpath}' WHERE id = '{_id}'");

        var (exit, output, error) = await Run("logs", _id, "--config", _config, "-q");
        var json = await Run("logs", _id, "--json", "--config", _config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains($"--- stdout: {outpath} is not under a task-output folder of this pool ({_taskDir}, ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", output + json.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("TOP SECRET", output + json.Output, StringComparison.Ordinal);
        Assert.Contains("\"available\": false", json.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_link_in_the_task_folder_to_a_file_outside_is_refused()
    {
        File.WriteAllText(Path.Combine(_dir, "secret"), "TOP SECRET\n");
        var link = Path.Combine(_taskDir, "link.out");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "secret"));
        Execute(_db, $"UPDATE task SET outpath = '{link}' WHERE id = '{_id}'");

        var (exit, output, error) = await Run("logs", _id, "--config", _config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains($"--- stdout: {link} leads to {_dir}/secret through a symbolic link, outside the task-output folders", output, StringComparison.Ordinal);
        Assert.DoesNotContain("TOP SECRET", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_the_pool_lists_in_task_dirs_is_read()
    {
        var extra = Path.Combine(_dir, "scratch", "hs-out");
        Directory.CreateDirectory(extra);
        File.WriteAllText(Path.Combine(extra, "t.out"), "from scratch\n");
        Execute(_db, $"UPDATE task SET outpath = '{extra}/t.out' WHERE id = '{_id}'");
        var config = WriteHyperShellConfig(_dir, _db, $"""
            [pool.logs]
            task_dirs = ["{_dir}/scratch/hs-out"]
            """);

        var (exit, output, error) = await Run("logs", _id, "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains($"--- stdout: {extra}/t.out\nfrom scratch\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminal_escape_sequences_from_the_database_and_the_log_are_shown_escaped_unless_raw()
    {
        const string title = "\u001b]0;owned\u0007";
        const string clear = "\u001b[2J\u001b[H";
        File.WriteAllText(Path.Combine(_taskDir, _id + ".out"), $"before{clear}after\r\nnext\rhidden\n\u009b31m");
        using (var connection = new SqliteConnection($"Data Source={_db};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE task SET command = $c, args = $c, client_host = $h WHERE id = $id";
            command.Parameters.AddWithValue("$c", "echo hi" + title);
            command.Parameters.AddWithValue("$h", "node\u001b[31m1");
            command.Parameters.AddWithValue("$id", _id);
            command.ExecuteNonQuery();
        }

        var one = await Run("logs", _id, "--config", _config, "-q");
        var list = await Run("logs", "--config", _config, "-q");
        var raw = await Run("logs", _id, "--raw", "--config", _config, "-q");

        Assert.Equal(0, one.Exit);
        Assert.DoesNotContain('\u001b', one.Output);
        Assert.DoesNotContain('\u0007', one.Output);
        Assert.DoesNotContain('\u009b', one.Output);
        Assert.Contains("command    echo hi\\x1B]0;owned\\x07", one.Output, StringComparison.Ordinal);
        Assert.Contains("client     node\\x1B[31m1", one.Output, StringComparison.Ordinal);
        Assert.Contains("before\\x1B[2J\\x1B[Hafter\r\nnext\\x0Dhidden\n\\u009B31m", one.Output, StringComparison.Ordinal);
        Assert.Equal(0, list.Exit);
        Assert.DoesNotContain('\u001b', list.Output);
        Assert.Contains("echo hi\\x1B]0;owned\\x07", list.Output, StringComparison.Ordinal);
        Assert.Contains(title, raw.Output, StringComparison.Ordinal);
        Assert.Contains(clear, raw.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain text\n\twith a tab", "plain text\n\twith a tab")]
    [InlineData("a\u001bb", "a\\x1Bb")]
    [InlineData("crlf\r\nkept", "crlf\r\nkept")]
    [InlineData("cr\r", "cr\\x0D")]
    [InlineData("nul\0del\u007f", "nul\\x00del\\x7F")]
    [InlineData("c1\u0085\u009b", "c1\\u0085\\u009B")]
    [InlineData("bidi\u202eevil\u2066", "bidi\\u202Eevil\\u2066")]
    [InlineData("ünïcode ✓", "ünïcode ✓")]
    public void Escape_keeps_text_and_line_ends_and_shows_control_characters(string input, string expected) =>
        Assert.Equal(expected, TerminalText.Escape(input));

    private string Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }
}
