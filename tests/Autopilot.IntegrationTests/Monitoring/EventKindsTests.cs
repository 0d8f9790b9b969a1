using System.Text.RegularExpressions;
using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.IntegrationTests.Service;
using Autopilot.State;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.Monitoring;

/// <summary>
/// Issue 17: every event kind docs/operations.md lists ("Event kinds") is produced by one scenario on
/// the real Slurm, through the real `autopilot` program. Scheduler failures come from site wrappers
/// in bin_dir that fail while a switch file exists (a real failing command, not a mock).
/// </summary>
public sealed partial class EventKindsTests(ITestOutputHelper output)
{
    private static readonly string[] Commands = ["sbatch", "squeue", "scancel", "sacct", "scontrol"];

    /// <summary>Kinds a scenario of another test produces and asserts: lockreset needs PiCaS (PiCaSStaleLocksEndToEndTests).</summary>
    private static readonly string[] ProducedElsewhere = ["lockreset"];

    /// <summary>The kinds in the docs' table (the first column of "### Event kinds").</summary>
    private static IReadOnlyList<string> DocumentedKinds()
    {
        var text = File.ReadAllText(Path.Combine(TestPaths.Repo, "docs", "operations.md"));
        var start = text.IndexOf("### Event kinds", StringComparison.Ordinal);
        var end = text.IndexOf("\n### ", start + 1, StringComparison.Ordinal);
        return KindRow().Matches(text[start..end]).Select(m => m.Groups[1].Value).ToList();
    }

    [Fact]
    public void The_docs_list_every_kind_written_and_no_other()
    {
        var written = Enum.GetValues<EventKind>().Where(k => k != EventKind.PoolFailed).Select(EventKinds.Name).Order().ToList();

        Assert.Equal(written, DocumentedKinds().Order().ToList());
    }

    [Fact]
    public async Task One_scenario_on_Slurm_produces_every_documented_kind()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 20);
        var bin = Path.Combine(harness.Dir, "site-bin");
        Directory.CreateDirectory(bin);
        foreach (var command in Commands)
        {
            var file = Path.Combine(bin, command);
            File.WriteAllText(file, $"#!/bin/sh\nif [ -e \"$(dirname \"$0\")/fail-{command}\" ]; then echo '{command}: error: injected failure' >&2; exit 1; fi\nexec /usr/bin/{command} \"$@\"\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        void Fail(string command, bool on)
        {
            var flag = Path.Combine(bin, "fail-" + command);
            if (on)
            {
                File.WriteAllText(flag, "");
            }
            else
            {
                File.Delete(flag);
            }
        }

        async Task<CliRun> Tick(int exit)
        {
            var run = await harness.RunAsync("tick");
            Assert.True(run.ExitCode == exit, run.ToString());
            return run;
        }

        var queued = new PoolSpec(tasks.Demand)
        {
            MaxQueued = 2, MaxSubmitPerTick = 2, UseArrays = false, BinDir = bin, Backoff = "[\"1s\"]",
            ScaleToZeroAfter = "0s", ExtraArgs = EndToEndHarness.StayQueued,
        };
        harness.WriteConfig(queued);

        Fail("squeue", true);
        await Tick(1);                                            // pilotsunreadable
        Fail("squeue", false);
        await Tick(0);                                            // recovered, submitted (2 queued)
        harness.WriteConfig(queued with { Demand = new DemandSpec("kind = \"hypershell\"\nbackend = \"sqlite\"\npath = \"/nonexistent/tasks.db\"\n") });
        await Tick(1);                                            // demandunreadable
        harness.WriteConfig(queued);
        tasks.Set(0);
        Fail("scancel", true);
        await Tick(1);                                            // recovered, cancelfailed
        Fail("scancel", false);
        await Tick(0);                                            // cancelled
        tasks.Set(20);
        Fail("sbatch", true);
        await Tick(1);                                            // submitfailed, backoffstarted
        Fail("sbatch", false);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await Tick(0);                                            // submitted, backoffended

        foreach (var command in new[] { "pause", "resume", "drain", "resume" })
        {
            var run = await harness.RunAsync(command, EndToEndHarness.Pool);   // paused, resumed, draining
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        var manual = await harness.RunAsync("submit", EndToEndHarness.Pool, "1", "--force", "--json");   // manualsubmit
        Assert.True(manual.ExitCode == 0, manual.ToString());
        var manualId = Assert.Single(manual.Json().GetProperty("submitted").EnumerateArray()).GetString()!;
        var cancel = await harness.RunAsync("cancel", manualId);                                           // manualcancel
        Assert.True(cancel.ExitCode == 0, cancel.ToString());

        // Pilots that fail at once: first while accounting cannot be read, then the crash loop.
        await TestServices.RunUncheckedAsync("scancel", ["--name=" + harness.JobName]);
        // A cancelled job can linger in squeue while it completes (CG); counted as running, it would
        // take one of the crash loop's pilots (the full run on a loaded machine saw "1 running").
        await TestServices.WaitUntilAsync(async () => (await harness.SqueueAsync()).Count == 0, TimeSpan.FromSeconds(60), "the cancelled pilots gone from squeue");
        var crashing = queued with { ExtraArgs = [], SleepSeconds = 0, ExitCode = 1, MaxQueued = 3, MaxSubmitPerTick = 3 };
        harness.WriteConfig(crashing with { MaxQueued = 1, MaxSubmitPerTick = 1 });
        tasks.Set(10);
        var lost = EndToEndHarness.SubmittedIds(await Tick(0));
        await harness.WaitEndedAsync(Assert.Single(lost));
        Fail("sacct", true);
        Fail("scontrol", true);
        await Tick(0);                                            // outcomesunreadable
        Fail("sacct", false);
        Fail("scontrol", false);
        harness.WriteConfig(crashing);
        tasks.Set(30);
        var failing = EndToEndHarness.SubmittedIds(await Tick(0));
        foreach (var id in failing)
        {
            await harness.WaitEndedAsync(id);
        }

        await Tick(Autopilot.Engine.TickReport.ExitPoolPaused);  // crashloop

        // The service: a reload that works and one that does not.
        File.WriteAllText(harness.ConfigPath, "schedule = \"* * * * * *\"\n" + File.ReadAllText(harness.ConfigPath));
        var good = File.ReadAllText(harness.ConfigPath);
        using (var run = AutopilotProcess.Start(["run", "--config", harness.ConfigPath]))
        {
            await run.WaitForLineAsync("service started", TimeSpan.FromSeconds(30));
            await run.SignalAsync("HUP");                         // configreloaded
            await run.WaitForLineAsync("reload: configuration reloaded", TimeSpan.FromSeconds(30));
            File.WriteAllText(harness.ConfigPath, "max_pilots = -1\n" + good);
            await run.SignalAsync("HUP");                         // configrejected
            await run.WaitForLineAsync("keeping the old one", TimeSpan.FromSeconds(30));
            await run.SignalAsync("TERM");
            await run.WaitForExitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine(run.Output);
        }

        File.WriteAllText(harness.ConfigPath, good);
        var events = await harness.RunAsync("events", "--json");
        Assert.True(events.ExitCode == 0, events.ToString());
        output.WriteLine(events.Stdout);
        var produced = events.Json().EnumerateArray().Select(e => e.GetProperty("kind").GetString()!).ToHashSet();
        var missing = DocumentedKinds().Where(k => !produced.Contains(k) && !ProducedElsewhere.Contains(k)).ToList();
        Assert.True(missing.Count == 0, $"documented kinds no step produced: {string.Join(", ", missing)}");
    }

    [GeneratedRegex(@"^\| `([a-z]+)` \|", RegexOptions.Multiline)]
    private static partial Regex KindRow();
}
