using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Local;

namespace Autopilot.IntegrationTests.Schedulers;

/// <summary>The local scheduler with real detached processes.</summary>
public sealed class LocalSchedulerIntegrationTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-local-it-").FullName;
    private readonly List<string> _ids = [];
    private LocalScheduler _local = null!;

    public Task InitializeAsync()
    {
        _local = new LocalScheduler(Path.Combine(_dir, "state"), cancelGrace: TimeSpan.FromSeconds(2));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _local.CancelAsync(_ids, default);
        Directory.Delete(_dir, true);
    }

    private string Script(string body)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        return path;
    }

    private async Task<SubmitResult> SubmitAsync(string name, string body, int count, TimeSpan? walltime = null)
    {
        var result = await _local.SubmitAsync(
            new SubmitRequest("it", name, Script(body), count, new SchedulerOptions { Walltime = walltime ?? TimeSpan.FromMinutes(10) }, Path.Combine(_dir, "logs")),
            default);
        _ids.AddRange(result.JobIds);
        return result;
    }

    private static int Pid(string stateDir, string name, string id) =>
        int.Parse(File.ReadAllText(Path.Combine(stateDir, "local", name, id + ".pid")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Live (non-zombie) processes whose session is <paramref name="sid"/>.</summary>
    private static List<int> Session(int sid)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && fields[3] == sid.ToString(CultureInfo.InvariantCulture))
                {
                    members.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return members;
    }

    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Submit_two_list_cancel_one_whose_whole_session_goes()
    {
        var name = TestServices.UniqueName("apit-local-");
        // The pilot starts a child of its own: cancel must take it down too.
        var result = await SubmitAsync(name, "echo started\nsleep 300 &\nwait", 2);
        Assert.Equal(2, result.JobIds.Count);
        Assert.All(result.JobIds, id => Assert.Matches("^local-[0-9]+$", id));
        Assert.NotEqual(result.JobIds[0], result.JobIds[1]);

        var pilots = await _local.ListAsync(new PilotQuery([name]), default);
        Assert.Equal(result.JobIds.Order(StringComparer.Ordinal), pilots.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.All(pilots, p => Assert.Equal((PilotState.Running, name, TimeSpan.FromMinutes(10)), (p.State, p.Name, p.TimeLimit)));

        var stateDir = Path.Combine(_dir, "state");
        var victim = result.JobIds[0];
        var sid = Pid(stateDir, name, victim);
        await TestServices.WaitUntilAsync(() => Task.FromResult(Session(sid).Count >= 3), TimeSpan.FromSeconds(10), "sh wrapper, timeout, pilot and its sleep running");

        await _local.CancelAsync([victim], default);
        Assert.Empty(Session(sid));

        var after = await _local.ListAsync(new PilotQuery([name]), default);
        Assert.Equal(result.JobIds[1], Assert.Single(after).Id);
        var withFinished = await _local.ListAsync(new PilotQuery([name], IncludeFinished: true), default);
        Assert.Equal((PilotState.Finished, "cancelled"), (withFinished.Single(p => p.Id == victim).State, withFinished.Single(p => p.Id == victim).RawState));

        var outcomes = await _local.OutcomesAsync(new OutcomeQuery([name], DateTimeOffset.UtcNow.AddMinutes(-5)), default);
        Assert.True(outcomes.Available);
        Assert.Equal((victim, PilotEnd.Cancelled), (Assert.Single(outcomes.Outcomes).Id, outcomes.Outcomes[0].End));

        // Gone already: not an error.
        await _local.CancelAsync([victim], default);
        Assert.Contains("started", await File.ReadAllTextAsync(Path.Combine(_dir, "logs", $"{name}-{victim}.out")));
    }

    [Fact]
    public async Task A_pilot_does_not_depend_on_the_object_or_process_that_started_it()
    {
        var name = TestServices.UniqueName("apit-local-");
        var id = Assert.Single((await SubmitAsync(name, "sleep 300", 1)).JobIds);
        var pid = Pid(Path.Combine(_dir, "state"), name, id);

        // Not our child (setsid --fork: re-parented at once), and its own session: autopilot exiting,
        // or its terminal hanging up, sends it nothing.
        Assert.NotEqual(Environment.ProcessId, ParentOf(pid));
        Assert.Contains(pid, Session(pid));
        Assert.DoesNotContain(Environment.ProcessId, Session(pid));

        // A fresh scheduler (as the next `autopilot tick` process builds) finds it from the state directory alone.
        _local = null!;
        GC.Collect();
        var fresh = new LocalScheduler(Path.Combine(_dir, "state"), cancelGrace: TimeSpan.FromSeconds(2));
        await Task.Delay(500);
        Assert.Equal((id, PilotState.Running), (Assert.Single(await fresh.ListAsync(new PilotQuery([name]), default)).Id, PilotState.Running));
        _local = fresh;
    }

    [Fact]
    public async Task Exit_codes_and_walltime_become_outcomes()
    {
        var name = TestServices.UniqueName("apit-local-");
        var ok = Assert.Single((await SubmitAsync(name, "exit 0", 1)).JobIds);
        var bad = Assert.Single((await SubmitAsync(name, "exit 3", 1)).JobIds);
        var slow = Assert.Single((await SubmitAsync(name, "sleep 300", 1, TimeSpan.FromSeconds(2))).JobIds);

        await TestServices.WaitUntilAsync(
            async () => (await _local.ListAsync(new PilotQuery([name]), default)).Count == 0,
            TimeSpan.FromSeconds(20), "all three pilots ended (the slow one by its 2 s walltime)");

        var report = await _local.OutcomesAsync(new OutcomeQuery([name], DateTimeOffset.UtcNow.AddMinutes(-5)), default);
        var byId = report.Outcomes.ToDictionary(o => o.Id);
        Assert.Equal((PilotEnd.Completed, (int?)0), (byId[ok].End, byId[ok].ExitCode));
        Assert.Equal((PilotEnd.Failed, (int?)3), (byId[bad].End, byId[bad].ExitCode));
        Assert.Equal((PilotEnd.Walltime, (int?)124), (byId[slow].End, byId[slow].ExitCode));
        var listed = await _local.ListAsync(new PilotQuery([name], IncludeFinished: true), default);
        Assert.All(listed, p => Assert.Equal(PilotState.Finished, p.State));
    }

    [Fact]
    public async Task Concurrent_submissions_never_share_an_id()
    {
        var name = TestServices.UniqueName("apit-local-");
        var other = new LocalScheduler(Path.Combine(_dir, "state"));
        var script = Script("sleep 300");
        var request = new SubmitRequest("it", name, script, 3, new SchedulerOptions(), Path.Combine(_dir, "logs"));
        var both = await Task.WhenAll(_local.SubmitAsync(request, default), other.SubmitAsync(request, default));
        var ids = both.SelectMany(r => r.JobIds).ToArray();
        _ids.AddRange(ids);
        Assert.Equal(6, ids.Distinct().Count());
        Assert.Equal(6, (await _local.ListAsync(new PilotQuery([name]), default)).Count);
    }

    [Fact]
    public void Bad_names_and_walltimes_are_reported()
    {
        Assert.Empty(_local.ValidateSettings(new SchedulerOptions(), "autopilot-a"));
        Assert.Single(_local.ValidateSettings(new SchedulerOptions(), "../etc"));
        Assert.Single(_local.ValidateSettings(new SchedulerOptions { Walltime = TimeSpan.Zero }, "autopilot-a"));
    }
}
