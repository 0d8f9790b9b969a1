using System.Diagnostics;
using System.Text.RegularExpressions;
using Autopilot.Testing;

namespace Autopilot.Tests.Operations;

/// <summary>
/// `autopilot demo` is the README's first command (the main job on embedded defaults): it runs as
/// a process, its local pilots run the real `autopilot demo-worker`, and it must settle, that is
/// scale out, finish every task and come back to zero pilots, whether or not the work needs more
/// than one pilot.
/// </summary>
public sealed partial class DemoCommandTests
{
    [Theory]
    // 20 tasks fit one pilot (50 tasks per pilot): it used to wait for a second pilot that the
    // policy rightly never submits, and gave up with "did not settle in time" after 110 s.
    [InlineData(20, 1, 1)]
    // 150 tasks want three pilots; at most two are submitted per tick.
    [InlineData(150, 2, 6)]
    public async Task The_demo_scales_out_finishes_every_task_and_returns_to_zero(int tasks, int minPeak, int maxPeak)
    {
        var (exit, output, error) = await RunDemo("--tasks", $"{tasks}", "--task-seconds", "0.02", "--interval", "0.5");

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        var done = DoneLine().Match(output);
        Assert.True(done.Success, output);
        var peak = int.Parse(done.Groups["peak"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(peak, minPeak, maxPeak);
        Assert.Equal(tasks, int.Parse(done.Groups["completed"].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain("did not settle", output, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunDemo(params string[] args)
    {
        var start = new ProcessStartInfo(AutopilotBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("demo");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }

    [GeneratedRegex(@"demo: done in [0-9.]+s: scaled out to (?<peak>[0-9]+) pilots? and back to zero; (?<completed>[0-9]+) tasks completed")]
    private static partial Regex DoneLine();
}
