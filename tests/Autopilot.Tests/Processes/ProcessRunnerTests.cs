using System.Diagnostics;
using Autopilot.Processes;

namespace Autopilot.Tests.Processes;

/// <summary>The process runner on real processes (sh, sleep, cat).</summary>
public sealed class ProcessRunnerTests
{
    private readonly ProcessRunner _runner = new();

    [Fact]
    public async Task Arguments_are_passed_as_an_array_never_through_a_shell()
    {
        var result = await _runner.RunAsync(new ProcessSpec("printf", "%s|", "a b", "$(echo no)", "'q'", ";ls"), CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal("a b|$(echo no)|'q'|;ls|", result.StandardOutput);
    }

    [Fact]
    public async Task Exit_code_stderr_environment_stdin_and_working_directory_are_honoured()
    {
        var dir = Directory.CreateTempSubdirectory("autopilot-runner-").FullName;
        var spec = new ProcessSpec(
            "sh",
            ["-c", "cat; echo \"$GREETING\"; pwd; echo oops >&2; exit 3"],
            WorkingDirectory: dir,
            Environment: new Dictionary<string, string?> { ["GREETING"] = "hello", ["HOME"] = null },
            StandardInput: "from stdin\n");

        var result = await _runner.RunAsync(spec, CancellationToken.None);

        Assert.Equal(3, result.ExitCode);
        Assert.False(result.Succeeded);
        Assert.Equal($"from stdin\nhello\n{dir}\n", result.StandardOutput);
        Assert.Equal("oops\n", result.StandardError);
        Assert.Contains("exited with 3: oops", result.Describe());
        Directory.Delete(dir);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_tree()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"autopilot-grandchild-{Guid.NewGuid():N}");
        // The grandchild writes its pid, then would outlive a kill of the shell alone.
        var spec = new ProcessSpec("sh", ["-c", $"sleep 300 & echo $! > {marker}; wait"], Timeout: TimeSpan.FromMilliseconds(500));
        var watch = Stopwatch.StartNew();

        var result = await _runner.RunAsync(spec, CancellationToken.None);

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Contains("timed out after 0.5 s", result.Describe());
        var grandchild = int.Parse(File.ReadAllText(marker).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Gone(grandchild), $"grandchild {grandchild} survived the timeout");
        File.Delete(marker);
    }

    [Fact]
    public async Task A_background_grandchild_keeping_the_pipes_open_does_not_hold_up_the_result()
    {
        // As ssh's ControlPersist master does with stderr: the command exits, a child of it lives on.
        var marker = Path.Combine(Path.GetTempPath(), $"autopilot-holder-{Guid.NewGuid():N}");
        var spec = new ProcessSpec("sh", ["-c", $"sleep 60 & echo $! > {marker}; echo done"], Timeout: TimeSpan.FromSeconds(30));
        var watch = Stopwatch.StartNew();

        var result = await _runner.RunAsync(spec, CancellationToken.None);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal("done\n", result.StandardOutput);
        Process.GetProcessById(int.Parse(File.ReadAllText(marker).Trim(), System.Globalization.CultureInfo.InvariantCulture)).Kill();
        File.Delete(marker);
    }

    [Fact]
    public async Task Cancellation_kills_the_process_and_throws()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _runner.RunAsync(new ProcessSpec("sleep", "300"), cts.Token));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Captured_output_is_bounded()
    {
        var spec = new ProcessSpec("sh", ["-c", "head -c 1000000 /dev/zero | tr '\\0' x"], MaxOutputBytes: 1000);

        var result = await _runner.RunAsync(spec, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.True(result.OutputTruncated);
        Assert.Equal(1000, result.StandardOutput.Length);
    }

    [Fact]
    public async Task A_missing_program_is_a_clear_error_naming_it()
    {
        var ex = await Assert.ThrowsAsync<ProcessFailedException>(() =>
            _runner.RunAsync(new ProcessSpec("/nonexistent/sbatch", "--parsable"), CancellationToken.None));

        Assert.Contains("/nonexistent/sbatch --parsable", ex.Message);
        Assert.Contains("could not be started", ex.Message);
    }

    [Fact]
    public void Secrets_are_redacted_from_the_displayed_command_line()
    {
        var spec = new ProcessSpec("psql", ["--dbname=postgresql://u:s3cret@db/x", "-c", "select 1"], Secrets: ["s3cret"]);

        Assert.DoesNotContain("s3cret", spec.Display());
        Assert.Contains("***", spec.Display());
        Assert.Equal("psql --dbname=postgresql://u:***@db/x -c 'select 1'", spec.Display());
    }

    private static bool Gone(int pid)
    {
        for (var i = 0; i < 50; i++)
        {
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat))
            {
                return true;
            }

            try
            {
                // A zombie waiting for a lazy reaper is dead too.
                var fields = File.ReadAllText(stat).Split(") ")[1];
                if (fields.StartsWith('Z'))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }
}
