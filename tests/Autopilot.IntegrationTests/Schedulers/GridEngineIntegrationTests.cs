using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.GridEngine;

namespace Autopilot.IntegrationTests.Schedulers;

/// <summary>
/// Drives the real single-node Son of Grid Engine on this machine (queue from
/// AUTOPILOT_TEST_SGE_QUEUE, default all.q). Every job gets a unique name and only those jobs
/// are cancelled. The qmaster is never stopped: "down" is simulated per call.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class GridEngineIntegrationTests : IAsyncLifetime
{
    private static readonly string Queue = Environment.GetEnvironmentVariable("AUTOPILOT_TEST_SGE_QUEUE") is { Length: > 0 } q ? q : "all.q";

    private readonly string _run = "aptest-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _dir;
    private readonly CountingRunner _runner = new(new ProcessRunner());
    private readonly List<string> _submitted = [];

    public GridEngineIntegrationTests()
    {
        // The qsub/qstat clients need the cell; export it for this process and its children if unset.
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SGE_ROOT")))
        {
            Environment.SetEnvironmentVariable("SGE_ROOT", "/var/lib/gridengine");
        }

        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SGE_CELL")))
        {
            Environment.SetEnvironmentVariable("SGE_CELL", "default");
        }

        _dir = Path.Combine(Path.GetTempPath(), _run);
        Directory.CreateDirectory(Path.Combine(_dir, "logs"));
    }

    /// <summary>Passes commands to the real runner and counts them per executable.</summary>
    private sealed class CountingRunner(IProcessRunner inner) : IProcessRunner
    {
        public List<ProcessSpec> Calls { get; } = [];

        public Func<ProcessSpec, ProcessSpec>? Rewrite { get; set; }

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add(spec);
            }

            return inner.RunAsync(Rewrite?.Invoke(spec) ?? spec, cancellationToken);
        }

        public int Count(string command)
        {
            lock (Calls)
            {
                return Calls.Count(c => Path.GetFileName(c.FileName) == command);
            }
        }
    }

    public async Task InitializeAsync()
    {
        var probe = await new ProcessRunner().RunAsync(new ProcessSpec("qstat", ["-xml"], Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None)
            .ConfigureAwait(false);
        Assert.True(probe.Succeeded,
            $"Grid Engine is not usable here ({probe.Describe()}); start it with tests/infra/start-sge.sh (SGE_ROOT=/var/lib/gridengine SGE_CELL=default)");
    }

    public async Task DisposeAsync()
    {
        if (_submitted.Count > 0)
        {
            // Only our own ids, whole jobs: nothing of another helper or user is touched.
            var ids = _submitted.Select(id => id.Split('.')[0]).Distinct().ToList();
            await new ProcessRunner().RunAsync(new ProcessSpec("qdel", ids, Timeout: TimeSpan.FromSeconds(30)), CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A job may still be writing its log; /tmp is cleaned eventually.
        }
    }

    private GridEngineScheduler Scheduler(SchedulerOptions? options = null) =>
        new(_runner, options ?? Options(), null, TimeProvider.System);

    private static SchedulerOptions Options(params string[] extra) => new()
    {
        Kind = "sge",
        Queue = Queue,
        Walltime = TimeSpan.FromMinutes(10),
        DrainLead = TimeSpan.FromMinutes(1),
        MemoryMb = 256,
        ExtraArgs = extra,
        CommandTimeout = TimeSpan.FromSeconds(30),
    };

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name + ".sh");
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    private async Task<SubmitResult> SubmitAsync(string jobName, string script, int count, SchedulerOptions options, bool useArray = true)
    {
        var result = await Scheduler(options).SubmitAsync(
            new SubmitRequest("test", jobName, script, count, options, Path.Combine(_dir, "logs"), useArray), CancellationToken.None);
        _submitted.AddRange(result.JobIds);
        return result;
    }

    /// <summary>A begin time an hour ahead keeps jobs in qw however free the queue is.</summary>
    private static string Later() => DateTime.Now.AddHours(1).ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);

    private async Task<IReadOnlyList<Pilot>> WaitForAsync(string[] names, Func<IReadOnlyList<Pilot>, bool> done, TimeSpan limit, string what)
    {
        var scheduler = Scheduler();
        var deadline = DateTime.UtcNow + limit;
        IReadOnlyList<Pilot> last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await scheduler.ListAsync(new PilotQuery(names), CancellationToken.None);
            if (done(last))
            {
                return last;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{what} did not happen within {limit.TotalSeconds} s; last listing: {string.Join(", ", last.Select(p => $"{p.Id}:{p.RawState}"))}");
        return last;
    }

    [Fact]
    public async Task One_pilot_then_an_array_of_eight_is_two_qsubs_listed_in_one_call_and_elements_cancel_individually()
    {
        var name = _run + "-burst";
        var script = Script("burst", "sleep 300");
        var options = Options("-a", Later());

        var single = await SubmitAsync(name, script, 1, options);
        Assert.Single(single.JobIds);
        Assert.Matches(JobId(), single.JobIds[0]);

        var burst = await SubmitAsync(name, script, 8, options);
        Assert.Equal(2, _runner.Count("qsub"));
        Assert.NotNull(burst.ArrayJobId);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => $"{burst.ArrayJobId}.{i}"), burst.JobIds);

        var qstatBefore = _runner.Count("qstat");
        var listed = await Scheduler().ListAsync(new PilotQuery([name, _run + "-other-pool"]), CancellationToken.None);
        // One listing for every pool, and one `qstat -j` for the markers of the jobs it named.
        Assert.Equal(qstatBefore + 2, _runner.Count("qstat"));
        Assert.Equal(single.JobIds.Concat(burst.JobIds).Order(), listed.Select(p => p.Id).Order());
        Assert.All(listed, p => Assert.False(p.Foreign));
        Assert.All(listed, p => Assert.Equal((PilotState.Queued, "qw", name), (p.State, p.RawState, p.Name)));
        Assert.All(listed.Where(p => p.ArrayJobId is not null), p => Assert.Equal(burst.ArrayJobId, p.ArrayJobId));
        Assert.All(listed, p => Assert.Equal(TimeSpan.FromMinutes(10), p.TimeLimit));

        // Scale-in: two queued elements go, nothing else does.
        var victims = new[] { $"{burst.ArrayJobId}.3", $"{burst.ArrayJobId}.5" };
        await Scheduler().CancelAsync(victims, CancellationToken.None);
        var after = await WaitForAsync([name], l => !l.Any(p => victims.Contains(p.Id)), TimeSpan.FromSeconds(20), "cancel of 2 elements");
        Assert.Equal(single.JobIds.Concat(burst.JobIds).Except(victims).Order(), after.Select(p => p.Id).Order());

        // Cancelling them again (already gone) is not an error.
        await Scheduler().CancelAsync(victims, CancellationToken.None);
    }

    [Fact]
    public async Task Cancelling_queued_ids_never_touches_a_running_pilot()
    {
        var name = _run + "-mixed";
        var running = await SubmitAsync(name, Script("running", "sleep 300"), 1, Options());
        var queued = await SubmitAsync(name, Script("queued", "sleep 300"), 3, Options("-a", Later()));

        var listing = await WaitForAsync([name], l => l.Any(p => p.Id == running.JobIds[0] && p.State == PilotState.Running), TimeSpan.FromSeconds(90),
            "the first pilot starting (the queue may be full of other jobs)");
        var queuedIds = listing.Where(p => p.State == PilotState.Queued).Select(p => p.Id).ToList();
        Assert.Equal(queued.JobIds.Order(), queuedIds.Order());

        await Scheduler().CancelAsync(queuedIds, CancellationToken.None);
        var after = await WaitForAsync([name], l => l.All(p => !queuedIds.Contains(p.Id)), TimeSpan.FromSeconds(20), "cancel of the queued elements");
        var survivor = Assert.Single(after);
        Assert.Equal((running.JobIds[0], PilotState.Running), (survivor.Id, survivor.State));
    }

    [Fact]
    public async Task Held_and_error_pilots_are_reported_as_such()
    {
        var held = _run + "-held";
        var broken = _run + "-eqw";
        await SubmitAsync(held, Script("held", "sleep 1"), 2, Options("-h"));
        // A working directory that does not exist makes the job fail to start: Eqw.
        var eqw = await SubmitAsync(broken, Script("eqw", "sleep 1"), 1, Options("-wd", "/nonexistent/autopilot"));

        var listing = await WaitForAsync([held, broken], l => l.Any(p => p.Name == broken && p.PendingKind == PendingKind.Error), TimeSpan.FromSeconds(90),
            "the broken pilot entering Eqw (it must first be dispatched; the queue may be busy)");
        Assert.All(listing.Where(p => p.Name == held), p => Assert.Equal((PilotState.Held, PendingKind.Held, "hqw"), (p.State, p.PendingKind, p.RawState)));
        var e = listing.Single(p => p.Name == broken);
        Assert.Equal((eqw.JobIds[0], PilotState.Queued, "Eqw"), (e.Id, e.State, e.RawState));
    }

    [Fact]
    public async Task Qmaster_unreachable_fails_closed()
    {
        // The real qstat pointed at a port nobody listens on, for this call only.
        _runner.Rewrite = spec => spec with { Environment = new Dictionary<string, string?> { ["SGE_QMASTER_PORT"] = "1" } };
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler().ListAsync(new PilotQuery([_run]), CancellationToken.None));
        Assert.Contains("qstat -xml -r -u", ex.Message);
        Assert.Contains("qmaster", ex.Message);
        var submit = await Assert.ThrowsAsync<SchedulerException>(() => SubmitAsync(_run + "-down", Script("down", "true"), 1, Options()));
        Assert.Contains("qsub", submit.Message);
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler().CancelAsync(["1"], CancellationToken.None));
        _runner.Rewrite = null;

        // A site wrapper that prints half a document and exits 0 is not "no pilots" either.
        var bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        var fake = Path.Combine(bin, "qstat");
        File.WriteAllText(fake, "#!/bin/sh\nprintf '<?xml version=\"1.0\"?>\\n<job_info>\\n  <queue_info>\\n    <job_list state=\"running\">\\n      <JB_job_number>1</JB_job_number>\\n'\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var truncated = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(Options() with { BinDir = bin }).ListAsync(new PilotQuery([_run]), CancellationToken.None));
        Assert.Contains("truncated", truncated.Message);
    }

    [Fact]
    public async Task Accounting_tells_completed_failed_cancelled_and_walltime_apart()
    {
        var since = DateTimeOffset.Now.AddMinutes(-1);
        var ok = await SubmitAsync(_run + "-ok", Script("ok", "exit 0"), 1, Options());
        var fail = await SubmitAsync(_run + "-fail", Script("fail", "exit 1"), 1, Options());
        var slow = await SubmitAsync(_run + "-wall", Script("wall", "sleep 120"), 1, Options() with { Walltime = TimeSpan.FromSeconds(5), DrainLead = TimeSpan.Zero });
        var killed = await SubmitAsync(_run + "-kill", Script("kill", "sleep 120"), 1, Options());

        await WaitForAsync([_run + "-kill"], l => l.Any(p => p.State == PilotState.Running), TimeSpan.FromSeconds(90), "the pilot to cancel starting");
        await Scheduler().CancelAsync(killed.JobIds, CancellationToken.None);

        var names = new[] { _run + "-ok", _run + "-fail", _run + "-wall", _run + "-kill" };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        OutcomeReport report;
        do
        {
            await Task.Delay(1000);
            report = await Scheduler().OutcomesAsync(new OutcomeQuery(names, since), CancellationToken.None);
        }
        while (report.Outcomes.Count < 4 && DateTime.UtcNow < deadline);

        Assert.True(report.Available);
        var byId = report.Outcomes.ToDictionary(o => o.Id);
        Assert.Equal((PilotEnd.Completed, 0), (byId[ok.JobIds[0]].End, byId[ok.JobIds[0]].ExitCode));
        Assert.Equal((PilotEnd.Failed, 1), (byId[fail.JobIds[0]].End, byId[fail.JobIds[0]].ExitCode));
        Assert.Equal(PilotEnd.Walltime, byId[slow.JobIds[0]].End);
        Assert.Equal(PilotEnd.Cancelled, byId[killed.JobIds[0]].End);
        Assert.All(report.Outcomes, o => Assert.NotNull(o.EndTime));

        var none = await Scheduler().OutcomesAsync(new OutcomeQuery([_run + "-never-submitted"], since), CancellationToken.None);
        Assert.True(none.Available);
        Assert.Empty(none.Outcomes);
    }

    [Fact]
    public async Task The_hypershell_template_drains_its_client_before_walltime_and_tasks_survive()
    {
        // A stand-in `hs` that runs one "task" ignoring nothing (USR1 would kill it) and drains on USR1.
        var fakeHs = Script("fake-hs",
            "echo \"fake client: $*\"\n"
            + "sleep 15 & task=$!\n"
            + "trap 'echo fake client: draining; wait $task 2>/dev/null; echo fake client: task status $?; exit 0' USR1\n"
            + "while kill -0 $task 2>/dev/null; do sleep 0.2; done\necho fake client: finished without drain");
        var template = Path.Combine(RepoRoot(), "bin-templates", "sge", "hypershell-pilot.sh");
        var values = new Dictionary<string, string>
        {
            ["pool"] = "cpu", ["idle_timeout"] = "30", ["cpus"] = "1", ["walltime_seconds"] = "40", ["drain_lead_seconds"] = "34",
            ["hs_command"] = fakeHs,
        };
        // The real renderer: the body comes from bin-templates/common/hypershell-client.sh.
        var rendered = Autopilot.Templates.TemplateRenderer.Render(template, values);
        var script = Script("hs-pilot", rendered.Replace("#!/bin/bash\n", "", StringComparison.Ordinal));

        var options = Options() with { Walltime = TimeSpan.FromSeconds(40), DrainLead = TimeSpan.FromSeconds(34) };
        var job = await SubmitAsync(_run + "-hs", script, 1, options);
        var log = Path.Combine(_dir, "logs", $"{_run}-hs.o{job.JobIds[0]}");
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var text = "";
        while (DateTime.UtcNow < deadline && !text.Contains("client exited", StringComparison.Ordinal))
        {
            await Task.Delay(1000);
            text = File.Exists(log) ? await File.ReadAllTextAsync(log) : "";
        }

        Assert.Contains("drain lead reached", text);
        Assert.Contains("fake client: draining", text);
        Assert.DoesNotContain("finished without drain", text);
        // The drain signal went to the client only: its task ran to its own end (a USR1 would have
        // killed it at the drain time with status 138).
        Assert.Contains("fake client: task status 0", text);
        Assert.Contains("client exited", text);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autopilot.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no Autopilot.sln above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^\d+$")]
    private static partial Regex JobId();
}
