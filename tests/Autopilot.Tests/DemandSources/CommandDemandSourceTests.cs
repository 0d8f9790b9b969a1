using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.Command;
using Autopilot.Domain;
using Autopilot.Processes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Tests.DemandSources;

/// <summary>The command source with real executables (small bash scripts) and the real process runner.</summary>
public sealed class CommandDemandSourceTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CommandDemandSource Source(TimeSpan? timeout, params string[] command) =>
        new(new CommandOptions { Command = command, Timeout = timeout ?? TimeSpan.FromSeconds(10) }, new ProcessRunner(), NullLogger.Instance);

    [Fact]
    public async Task The_number_printed_is_the_demand()
    {
        var script = _dir.Script("count.sh", "echo \"  $1 \"; echo 'debug on stderr' >&2");

        var demand = await Source(null, script, "42").MeasureAsync(long.MaxValue, CancellationToken.None);

        Assert.Equal(42, demand.Tasks);
        Assert.Equal(new[] { new DemandMeasure("command", 42) }, demand.Measures);
    }

    [Fact]
    public async Task A_fraction_is_rounded_up()
    {
        var script = _dir.Script("frac.sh", "echo 2.25");

        var demand = await Source(null, script).MeasureAsync(long.MaxValue, CancellationToken.None);

        Assert.Equal(3, demand.Tasks);
    }

    [Fact]
    public async Task Zero_is_zero()
    {
        var script = _dir.Script("zero.sh", "printf 0");

        Assert.Equal(0, (await Source(null, script).MeasureAsync(long.MaxValue, CancellationToken.None)).Tasks);
    }

    [Fact]
    public async Task A_non_zero_exit_names_the_command_and_its_stderr()
    {
        var script = _dir.Script("fail.sh", "echo 12; echo 'queue server unreachable' >&2; exit 3");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Source(null, script, "--queue", "main").MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains(script, ex.Message);
        Assert.Contains("--queue main", ex.Message);
        Assert.Contains("exited with 3", ex.Message);
        Assert.Contains("queue server unreachable", ex.Message);
    }

    [Theory]
    [InlineData("echo 'twelve'", "printed 'twelve'")]
    [InlineData("echo 12 tasks", "printed '12 tasks'")]
    [InlineData("printf '3\\n4\\n'", "printed '3 4'")]
    [InlineData("echo NaN", "printed 'NaN'")]
    [InlineData("echo 0x10", "printed '0x10'")]
    public async Task Garbage_is_an_error_naming_the_command(string body, string expected)
    {
        var script = _dir.Script("garbage.sh", body + "; echo 'warning: cache stale' >&2");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Source(null, script).MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains(expected, ex.Message);
        Assert.Contains(script, ex.Message);
        Assert.Contains("warning: cache stale", ex.Message);
    }

    [Fact]
    public async Task Empty_output_is_an_error()
    {
        var script = _dir.Script("empty.sh", "echo '   '");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Source(null, script).MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("printed nothing", ex.Message);
    }

    [Fact]
    public async Task A_negative_number_is_an_error()
    {
        var script = _dir.Script("negative.sh", "echo -5");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Source(null, script).MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("negative number (-5)", ex.Message);
    }

    [Fact]
    public async Task A_hung_command_times_out_and_is_killed_with_its_children()
    {
        var pids = Path.Combine(_dir.Path, "pids");
        var script = _dir.Script("hang.sh", $"echo $$ > '{pids}'; sleep 60 & echo $! >> '{pids}'; wait");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DemandException>(() => Source(TimeSpan.FromSeconds(1), script).MeasureAsync(long.MaxValue, CancellationToken.None));
        clock.Stop();

        Assert.Contains("timed out after 1 s", ex.Message);
        Assert.Contains(script, ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var started = File.ReadAllLines(pids).Select(int.Parse).ToArray();
        Assert.Equal(2, started.Length);
        foreach (var pid in started)
        {
            Assert.False(IsAlive(pid), $"process {pid} of the hung command is still running");
        }
    }

    [Fact]
    public async Task A_missing_program_is_an_error()
    {
        var ex = await Assert.ThrowsAsync<DemandException>(
            () => Source(null, Path.Combine(_dir.Path, "nope")).MeasureAsync(long.MaxValue, CancellationToken.None));

        Assert.Contains("could not be started", ex.Message);
    }

    [Fact]
    public void An_empty_command_is_refused()
    {
        var ex = Assert.Throws<DemandException>(() => Source(null));

        Assert.Contains("demand.command is empty", ex.Message);
    }

    [Fact]
    public void Factory_builds_it_and_describe_shows_the_command()
    {
        var source = DemandSourceFactory.Create(
            new CommandOptions { Command = ["/opt/site/queue-length", "--queue", "main"] },
            new ProcessRunner(),
            NullLoggerFactory.Instance,
            TimeProvider.System);

        Assert.Equal("command /opt/site/queue-length --queue main", source.Describe());
    }

    /// <summary>Alive and not a zombie waiting for a parent that is gone.</summary>
    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        for (var i = 0; i < 20; i++)
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                return false;
            }

            // Field 3 (after the parenthesised name) is the state; Z and X are dead.
            var state = text[(text.LastIndexOf(')') + 2)..][0];
            if (state is 'Z' or 'X')
            {
                return false;
            }

            Thread.Sleep(100);
        }

        return true;
    }
}
