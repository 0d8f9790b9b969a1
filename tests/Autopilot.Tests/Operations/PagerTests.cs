using System.Diagnostics;
using static Autopilot.Tests.Operations.OpsTestSupport;
using Autopilot.Testing;

namespace Autopilot.Tests.Operations;

/// <summary>
/// `autopilot logs` pages through $PAGER only when its output is a terminal. The terminal is a real
/// pseudo-terminal made by script(1); the pager is a script that records what it was given.
/// </summary>
public sealed class PagerTests
{
    private const string Id = "aaaa1111-0000-4000-8000-000000000001";
    private readonly string dir = TempDir();
    private readonly string config;
    private readonly string paged;
    private readonly string pager;

    public PagerTests()
    {
        var logDir = Path.Combine(dir, "task");
        Directory.CreateDirectory(logDir);
        File.WriteAllText(Path.Combine(logDir, Id + ".out"), "hello through the pager\n");
        File.WriteAllText(Path.Combine(logDir, Id + ".err"), "");
        var db = CreateDatabase(dir, new TaskRow(Id, "echo paged")
        {
            Scheduled = T0.AddSeconds(1),
            Started = T0.AddSeconds(2),
            Completed = T0.AddSeconds(3),
            ExitStatus = 0,
            ClientHost = "node1",
            Outpath = Path.Combine(logDir, Id + ".out"),
            Errpath = Path.Combine(logDir, Id + ".err"),
        });
        config = WriteHyperShellConfig(dir, db);
        paged = Path.Combine(dir, "paged.txt");
        pager = WriteScript(Path.Combine(dir, "pager.sh"), $"#!/bin/sh\n[ -t 1 ] && echo 'pager-had-a-terminal'\ncat > '{paged}'\n");
    }

    private static string Autopilot => AutopilotBinary.Path;

    [Fact]
    public async Task On_a_terminal_the_task_log_goes_to_the_pager()
    {
        var (exit, terminal) = await RunOnTerminal($"PAGER='{pager}'");

        Assert.True(exit == 0, terminal);
        var text = File.ReadAllText(paged);
        Assert.Contains($"task {Id} (pool main)", text, StringComparison.Ordinal);
        Assert.Contains("hello through the pager", text, StringComparison.Ordinal);
        // The pager owns the terminal; autopilot printed nothing there itself.
        Assert.Contains("pager-had-a-terminal", terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("hello through the pager", terminal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PAGER_cat_prints_straight_to_the_terminal()
    {
        var (exit, terminal) = await RunOnTerminal("PAGER=cat");

        Assert.True(exit == 0, terminal);
        Assert.Contains("hello through the pager", terminal, StringComparison.Ordinal);
        Assert.False(File.Exists(paged));
    }

    [Fact]
    public async Task Output_to_a_pipe_never_starts_the_pager()
    {
        var info = new ProcessStartInfo(Autopilot) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "logs", Id, "--config", config, "-q" })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PAGER"] = pager;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("hello through the pager", output, StringComparison.Ordinal);
        Assert.False(File.Exists(paged));
    }

    /// <summary>`autopilot logs` under script(1): its stdout is a pseudo-terminal; returns what the terminal showed.</summary>
    private async Task<(int Exit, string Terminal)> RunOnTerminal(string environment)
    {
        var info = new ProcessStartInfo("script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in new[] { "-qec", $"env {environment} '{Autopilot}' logs {Id} --config '{config}' -q", "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
