using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Local;
using Autopilot.State;
using Autopilot.Tests.Operations;
using Microsoft.Extensions.Logging.Abstractions;
using Autopilot.Testing;

namespace Autopilot.Tests.Security;

/// <summary>
/// Issue 14 problems 4 and 15 on the local scheduler with real processes and the real `autopilot`
/// program: a kill -9 while a pilot is being started, and a submission that fails part-way. The
/// scheduler's command (setsid) comes from bin_dir, where a wrapper runs the real one and then
/// misbehaves on cue.
/// </summary>
public sealed class LocalPilotTests : IAsyncLifetime
{
    private readonly string _dir = OpsTestSupport.TempDir();
    private readonly string _prefix = "h14a" + Guid.NewGuid().ToString("N")[..6];

    private string StateDir => Path.Combine(_dir, "state");

    private string Bin => Path.Combine(_dir, "bin");

    private string JobName => _prefix + "-main";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        var local = new LocalScheduler(StateDir, cancelGrace: TimeSpan.FromSeconds(2));
        var left = await local.ListAsync(new PilotQuery([JobName]), CancellationToken.None);
        await local.CancelAsync(left.Where(p => p.IsActive).Select(p => p.Id).ToList(), CancellationToken.None);
        Directory.Delete(_dir, recursive: true);
    }

    private string WriteConfig(int pendingTasks, int maxPilots)
    {
        var db = Path.Combine(_dir, "main.db");
        if (!File.Exists(db))
        {
            HyperShellTestDatabase.CreateSqlite(db, HyperShellSchemaVersion.Classic, new HyperShellTaskBatch(HyperShellTaskState.Pending, pendingTasks));
        }

        var template = Path.Combine(_dir, "pilot.sh");
        File.WriteAllText(template, "#!/bin/sh\n# pool {{pool}}\nexec sleep 120\n");
        var path = Path.Combine(_dir, "autopilot.toml");
        File.WriteAllText(path, $"""
            state_dir = "{StateDir}"
            job_prefix = "{_prefix}"
            [log]
            file = false
            [[pool]]
            name = "main"
            template = "{template}"
            [pool.demand]
            kind = "hypershell"
            path = "{db}"
            [pool.scheduler]
            kind = "local"
            walltime = "00:10:00"
            drain_lead = "1m"
            bin_dir = "{Bin}"
            [pool.limits]
            max_pilots = {maxPilots}
            tasks_per_pilot = 10
            max_queued = 5
            max_submit_per_tick = 5
            """);
        return path;
    }

    /// <summary>Live processes whose command line names this test's pid files: the pilots' wrappers.</summary>
    private List<int> PilotWrappers()
    {
        var marker = Path.Combine(StateDir, "local", JobName) + "/";
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z'))
                {
                    continue;
                }

                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Any(a => a.StartsWith(marker, StringComparison.Ordinal) && a.EndsWith(".pid", StringComparison.Ordinal)))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked.
            }
        }

        return found;
    }

    private static async Task<ProcessResult> Autopilot(params string[] args)
    {
        var program = AutopilotBinary.Path;
        return await new ProcessRunner().RunAsync(new ProcessSpec(program, args, Timeout: TimeSpan.FromSeconds(60)), CancellationToken.None);
    }

    [Fact]
    public async Task Kill_9_between_starting_a_local_pilot_and_recording_it_never_leaves_it_untracked()
    {
        // setsid starts the pilot, then the autopilot that called it is killed before it can record the pid.
        OpsTestSupport.WriteScript(Path.Combine(Bin, "setsid"), """
            #!/bin/sh
            /usr/bin/setsid "$@"
            rc=$?
            if [ ! -e "$0.killed" ]; then touch "$0.killed"; kill -9 "$PPID"; sleep 5; fi
            exit $rc
            """);
        var config = WriteConfig(pendingTasks: 5, maxPilots: 1);

        var crashed = await Autopilot("tick", "--config", config);
        Assert.Equal(137, crashed.ExitCode);
        await TestWait.UntilAsync(() => PilotWrappers().Count == 1, TimeSpan.FromSeconds(10), "the pilot started by the killed tick");
        var record = Path.Combine(StateDir, "local", JobName, "local-1.json");
        Assert.Contains("\"pid\": 0", File.ReadAllText(record), StringComparison.Ordinal);

        // The next tick comes after the 30 s a start may take: what the killed one left must still be
        // seen as the running pilot it is, not replaced (age the record instead of sleeping 30 s).
        var json = JsonNode.Parse(File.ReadAllText(record))!.AsObject();
        json["submit_time"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        File.WriteAllText(record, json.ToJsonString());

        var next = await Autopilot("tick", "-v", "--config", config);
        Assert.True(next.ExitCode == 0, next.StandardError);
        Assert.DoesNotContain("submitted", next.StandardError.Split('\n').Single(l => l.Contains("pool main: demand", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Single(PilotWrappers());
        Assert.DoesNotContain("\"pid\": 0", File.ReadAllText(record), StringComparison.Ordinal);

        var jobs = await Autopilot("jobs", "--json", "--config", config);
        var pilot = Assert.Single(JsonDocument.Parse(jobs.StandardOutput).RootElement.GetProperty("pools")[0].GetProperty("pilots").EnumerateArray());
        Assert.Equal("local-1", pilot.GetProperty("id").GetString());
        Assert.Equal("running", pilot.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_submission_that_fails_part_way_reports_the_pilots_that_went_in_everywhere()
    {
        // The third start fails: two of three pilots are running.
        OpsTestSupport.WriteScript(Path.Combine(Bin, "setsid"), """
            #!/bin/sh
            echo x >> "$0.calls"
            if [ "$(wc -l < "$0.calls")" -ge 3 ]; then echo "setsid: cannot fork: Resource temporarily unavailable" >&2; exit 1; fi
            exec /usr/bin/setsid "$@"
            """);
        var config = WriteConfig(pendingTasks: 25, maxPilots: 3);

        var tick = await Autopilot("tick", "--config", config);

        Assert.Equal(1, tick.ExitCode);
        var line = tick.StandardError.Split('\n').Single(l => l.Contains("pool main: demand", StringComparison.Ordinal));
        Assert.Contains("submitted 2 (local-1 local-2)", line, StringComparison.Ordinal);
        Assert.Contains("submit failed", line, StringComparison.Ordinal);
        Assert.Contains("local-3", line, StringComparison.Ordinal);
        Assert.Equal(2, PilotWrappers().Count);

        var events = JsonDocument.Parse((await Autopilot("events", "--json", "--config", config)).StandardOutput).RootElement.EnumerateArray().ToList();
        var submitted = Assert.Single(events, e => e.GetProperty("kind").GetString() == "submitted");
        Assert.Equal(["local-1", "local-2"], submitted.GetProperty("job_ids").EnumerateArray().Select(i => i.GetString()));
        var failed = Assert.Single(events, e => e.GetProperty("kind").GetString() == "submitfailed");
        Assert.Contains("exited with 1", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("local-1, local-2", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var status = JsonDocument.Parse((await Autopilot("status", "--json", "--config", config)).StandardOutput).RootElement;
        var last = status.GetProperty("pools")[0].GetProperty("last_tick");
        Assert.False(last.GetProperty("ok").GetBoolean());
        Assert.Contains("submitted 2 (local-1 local-2)", last.GetProperty("summary").GetString(), StringComparison.Ordinal);

        // Next tick: the two are counted, one more is started (after the back-off), never a fourth.
        var jobs = JsonDocument.Parse((await Autopilot("jobs", "--json", "--config", config)).StandardOutput).RootElement;
        Assert.Equal(["local-1", "local-2"], jobs.GetProperty("pools")[0].GetProperty("pilots").EnumerateArray().Select(p => p.GetProperty("id").GetString()));
    }
}

internal static class TestWait
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(50);
        }
    }
}
