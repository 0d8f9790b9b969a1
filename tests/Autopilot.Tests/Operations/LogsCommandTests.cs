using System.Text.Json;
using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Operations;

/// <summary>`autopilot logs` against a generated HyperShell SQLite database with captured task logs.</summary>
public sealed class LogsCommandTests
{
    private const string IdA = "aaaa1111-0000-4000-8000-000000000001";
    private const string IdB = "aaaa2222-0000-4000-8000-000000000002";
    private const string IdMissing = "bbbb0000-0000-4000-8000-000000000003";
    private const string IdNoCapture = "cccc0000-0000-4000-8000-000000000004";
    private const string IdPending = "dddd0000-0000-4000-8000-000000000005";
    private const string IdCancelled = "eeee0000-0000-4000-8000-000000000006";

    private readonly string dir = TempDir();
    private readonly string config;
    private readonly string logDir;

    public LogsCommandTests()
    {
        logDir = Path.Combine(dir, "task");
        Directory.CreateDirectory(logDir);
        File.WriteAllText(Path.Combine(logDir, IdA + ".out"), "hello from A\n");
        File.WriteAllText(Path.Combine(logDir, IdA + ".err"), "");
        File.WriteAllText(Path.Combine(logDir, IdB + ".out"), "step 1\n");
        File.WriteAllText(Path.Combine(logDir, IdB + ".err"), "Traceback (most recent call last):\nValueError: boom\n");
        var db = CreateDatabase(dir,
            Done(IdA, "echo A", 0, minute: 1),
            Done(IdB, "python job.py --n 2", 3, minute: 2) with { Attempt = 2 },
            Done(IdMissing, "echo lost", 0, minute: 3) with { ClientHost = "node7", Outpath = "/nonexistent/task/x.out", Errpath = "/nonexistent/task/x.err" },
            Done(IdNoCapture, "echo quiet", 0, minute: 4) with { Outpath = null, Errpath = null },
            new TaskRow(IdPending, "echo later") { Submitted = T0.AddMinutes(5) },
            new TaskRow(IdCancelled, "echo never") { Submitted = T0.AddMinutes(1), Scheduled = T0.AddMinutes(1), ExitStatus = -1 });
        config = WriteHyperShellConfig(dir, db, """
            [pool.logs]
            task_dirs = ["/nonexistent/task"]
            """);
    }

    private TaskRow Done(string id, string args, int exit, int minute) => new(id, args)
    {
        Submitted = T0.AddMinutes(minute),
        Scheduled = T0.AddMinutes(minute).AddSeconds(1),
        Started = T0.AddMinutes(minute).AddSeconds(2),
        Completed = T0.AddMinutes(minute).AddSeconds(7),
        ExitStatus = exit,
        ClientHost = "node1",
        Outpath = Path.Combine(logDir, id + ".out"),
        Errpath = Path.Combine(logDir, id + ".err"),
        Waited = 2,
        Duration = 5,
    };

    [Fact]
    public async Task Full_id_shows_state_timings_and_both_logs()
    {
        var (exit, output, error) = await Run("logs", IdA, "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains($"task {IdA} (pool main)", output, StringComparison.Ordinal);
        Assert.Contains("state      succeeded, exit status 0", output, StringComparison.Ordinal);
        Assert.Contains("client     node1", output, StringComparison.Ordinal);
        Assert.Contains("submitted  2025-03-01 10:01:00Z", output, StringComparison.Ordinal);
        Assert.Contains("completed  2025-03-01 10:01:07Z", output, StringComparison.Ordinal);
        Assert.Contains("duration   5 s", output, StringComparison.Ordinal);
        Assert.Contains($"--- stdout: {logDir}/{IdA}.out\nhello from A\n", output, StringComparison.Ordinal);
        Assert.Contains($"--- stderr: {logDir}/{IdA}.err\n(empty)\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unique_prefix_finds_the_failed_task_with_its_exit_status_and_attempt()
    {
        var (exit, output, error) = await Run("logs", "aaaa2", "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains($"task {IdB}", output, StringComparison.Ordinal);
        Assert.Contains("state      failed, exit status 3", output, StringComparison.Ordinal);
        Assert.Contains("attempt    2", output, StringComparison.Ordinal);
        Assert.Contains("ValueError: boom", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ambiguous_prefix_lists_the_candidates_and_exits_2()
    {
        var (exit, output, error) = await Run("logs", "AAAA", "--config", config, "-q");

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("'AAAA' matches 2 tasks", error, StringComparison.Ordinal);
        Assert.Contains($"{IdA}  pool main  submitted 2025-03-01 10:01:00Z  echo A", error, StringComparison.Ordinal);
        Assert.Contains($"{IdB}  pool main  submitted 2025-03-01 10:02:00Z  python job.py --n 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_id_exits_1_and_a_non_id_exits_2()
    {
        var (exit, _, error) = await Run("logs", "9999", "--config", config, "-q");
        Assert.Equal(1, exit);
        Assert.Contains("no task with id or prefix '9999'", error, StringComparison.Ordinal);

        (exit, _, error) = await Run("logs", "x%", "--config", config, "-q");
        Assert.Equal(2, exit);
        Assert.Contains("not a task id", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_files_say_where_they_were_written_and_how_to_fetch_them()
    {
        var (exit, output, error) = await Run("logs", "bbbb", "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains("--- stdout: /nonexistent/task/x.out is not on this machine (written on node7; set the pool's logs.ssh = true to fetch it over ssh)", output, StringComparison.Ordinal);
        Assert.Contains("--- stderr: /nonexistent/task/x.err is not on this machine", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_without_captured_output_says_so()
    {
        var (exit, output, error) = await Run("logs", "cccc", "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains("--- stdout: no captured output", output, StringComparison.Ordinal);
        Assert.Contains("--- stderr: no captured output", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_and_cancelled_states()
    {
        var (_, pending, _) = await Run("logs", "dddd", "--config", config, "-q");
        var (_, cancelled, _) = await Run("logs", "eeee", "--config", config, "-q");

        Assert.Contains("state      pending\n", pending, StringComparison.Ordinal);
        Assert.Contains("started    -\n", pending, StringComparison.Ordinal);
        Assert.Contains("state      cancelled, exit status -1", cancelled, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recent_list_is_newest_first_and_limited()
    {
        var (exit, output, error) = await Run("logs", "--config", config, "-q", "--limit", "3");

        Assert.True(exit == 0, error);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l[..36]).ToList();
        // Pending task: last heard of at submission (10:05); then completions 10:04:07, 10:03:07.
        Assert.Equal([IdPending, IdNoCapture, IdMissing], rows);
    }

    [Fact]
    public async Task Failed_filter_and_grep_on_log_content()
    {
        var (_, failed, _) = await Run("logs", "--config", config, "-q", "--failed", "--json");
        var ids = JsonDocument.Parse(failed).RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        Assert.Equal([IdB], ids);

        var (_, grepped, _) = await Run("logs", "--config", config, "-q", "--grep", "hello from", "--json");
        ids = JsonDocument.Parse(grepped).RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        Assert.Equal([IdA], ids);

        var (_, byCommand, _) = await Run("logs", "--config", config, "-q", "--grep", "^echo (lost|quiet)$", "--json");
        ids = JsonDocument.Parse(byCommand).RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        Assert.Equal([IdNoCapture, IdMissing], ids);

        var (_, byId, _) = await Run("logs", "--config", config, "-q", "--grep", "^eeee", "--json");
        ids = JsonDocument.Parse(byId).RootElement.GetProperty("tasks").EnumerateArray().Select(t => t.GetProperty("id").GetString()).ToList();
        Assert.Equal([IdCancelled], ids);
    }

    [Fact]
    public async Task Single_task_json_carries_the_logs()
    {
        var (exit, output, error) = await Run("logs", IdB, "--config", config, "-q", "--json");

        Assert.True(exit == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("failed", root.GetProperty("task").GetProperty("state").GetString());
        Assert.Equal(3, root.GetProperty("task").GetProperty("exit_status").GetInt32());
        Assert.Equal("local", root.GetProperty("stderr").GetProperty("source").GetString());
        Assert.Equal("Traceback (most recent call last):\nValueError: boom\n", root.GetProperty("stderr").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Follow_prints_output_as_it_grows_until_the_task_completes()
    {
        const string id = "f0110000-0000-4000-8000-000000000007";
        var outFile = Path.Combine(logDir, id + ".out");
        File.WriteAllText(outFile, "line 1\n");
        var db = Path.Combine(dir, "main.db");
        InsertTasks(db, new TaskRow(id, "long job")
        {
            Submitted = T0.AddMinutes(9), Scheduled = T0.AddMinutes(9), Started = T0.AddMinutes(9), ClientHost = "node1",
            Outpath = outFile, Errpath = Path.Combine(logDir, id + ".err"),
        });

        var running = Run("logs", "f011", "--follow", "--config", config, "-q");
        await Task.Delay(1500);
        File.AppendAllText(outFile, "line 2\n");
        Execute(db, $"UPDATE task SET completion_time = '2025-03-01 10:10:00.000000', exit_status = 0, duration = 60 WHERE id = '{id}'");
        var finished = await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(20)));

        Assert.Same(running, finished);
        var (exit, output, error) = await running;
        Assert.True(exit == 0, error);
        Assert.Contains("state      in_flight", output, StringComparison.Ordinal);
        Assert.Contains("line 1\nline 2\n-- task succeeded (exit status 0)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pilot_output_is_found_by_job_id_in_the_pilot_log_folder()
    {
        var pilots = Path.Combine(dir, "state", "pilots", "main");
        Directory.CreateDirectory(pilots);
        // The names the schedulers write: Slurm %x-%j.out, a Slurm array %x-%A_%a.out, local <name>-local-N.out.
        File.WriteAllText(Path.Combine(pilots, "autopilot-main-4242.out"), "pilot 4242 started\n");
        File.WriteAllText(Path.Combine(pilots, "autopilot-main-4300_1.out"), "element 1\n");
        File.WriteAllText(Path.Combine(pilots, "autopilot-main-4300_2.out"), "element 2\n");
        File.WriteAllText(Path.Combine(pilots, "autopilot-main-14242.out"), "another job\n");
        File.WriteAllText(Path.Combine(pilots, "autopilot-main-local-3.out"), "local pilot\n");

        var (exit, output, error) = await Run("logs", "--pilot", "4242", "--config", config, "-q");
        Assert.True(exit == 0, error);
        Assert.Equal($"==> {pilots}/autopilot-main-4242.out (pool main) <==\npilot 4242 started\n", output);

        (exit, output, _) = await Run("logs", "--pilot", "4300", "--config", config, "-q");
        Assert.Equal(0, exit);
        Assert.Contains("element 1\n", output, StringComparison.Ordinal);
        Assert.Contains("element 2\n", output, StringComparison.Ordinal);

        (exit, output, _) = await Run("logs", "--pilot", "local-3", "--config", config, "-q");
        Assert.Equal(0, exit);
        Assert.Contains("local pilot", output, StringComparison.Ordinal);

        (exit, _, error) = await Run("logs", "--pilot", "999", "--config", config, "-q");
        Assert.Equal(1, exit);
        Assert.Contains($"no output of pilot 999 under {pilots}", error, StringComparison.Ordinal);
    }
}
