using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.IntegrationTests.Schedulers;

/// <summary>The Slurm adapter against the real single-node Slurm (partition from AUTOPILOT_TEST_SLURM_PARTITION).</summary>
public sealed class SlurmSchedulerIntegrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-slurm-it-").FullName;
    private readonly List<string> _names = [];

    public void Dispose()
    {
        foreach (var name in _names)
        {
            TestServices.RunUncheckedAsync("scancel", ["--name=" + name]).GetAwaiter().GetResult();
        }

        Directory.Delete(_dir, true);
    }

    private string Name()
    {
        var name = TestServices.UniqueName("apit-");
        _names.Add(name);
        return name;
    }

    private string Script(string body)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".sh");
        File.WriteAllText(path, "#!/bin/bash\n" + body + "\n");
        return path;
    }

    private SubmitRequest Request(string name, string script, int count, params string[] extra) => new(
        "it", name, script, count,
        new SchedulerOptions
        {
            Kind = "slurm",
            Queue = TestServices.SlurmPartition,
            Walltime = TimeSpan.FromMinutes(10),
            Cpus = 1,
            ExtraArgs = extra,
        },
        Path.Combine(_dir, "logs"));

    [Fact]
    public async Task Submit_one_and_an_array_list_in_one_call_cancel_an_element_then_all()
    {
        var counting = new CountingRunner(new ProcessRunner());
        var slurm = new SlurmScheduler(counting);
        var name = Name();
        var script = Script("sleep 300");

        var single = await slurm.SubmitAsync(Request(name, script, 1), default);
        var array = await slurm.SubmitAsync(Request(name, script, 3, "--hold"), default);
        var id = Assert.Single(single.JobIds);
        Assert.Matches("^[0-9]+$", id);
        Assert.NotNull(array.ArrayJobId);
        Assert.Equal(Enumerable.Range(1, 3).Select(i => $"{array.ArrayJobId}_{i}"), array.JobIds);

        counting.Squeue = 0;
        var pilots = await slurm.ListAsync(new PilotQuery([name, "apit-nosuchpool"]), default);
        Assert.Equal(1, counting.Squeue);
        Assert.Equal(new[] { id }.Concat(array.JobIds), pilots.Select(p => p.Id).Order(StringComparer.Ordinal));
        Assert.All(pilots, p => Assert.Equal(name, p.Name));
        var first = pilots.Single(p => p.Id == id);
        Assert.Contains(first.State, new[] { PilotState.Queued, PilotState.Running });
        Assert.Equal(TimeSpan.FromMinutes(10), first.TimeLimit);
        foreach (var element in pilots.Where(p => p.ArrayJobId is not null))
        {
            Assert.Equal((PilotState.Held, PendingKind.Held, "JobHeldUser"), (element.State, element.PendingKind, element.PendingReason));
            Assert.Equal(array.ArrayJobId, element.ArrayJobId);
            Assert.NotNull(element.SubmitTime);
        }

        await slurm.CancelAsync([array.JobIds[1]], default);
        var rest = await slurm.ListAsync(new PilotQuery([name]), default);
        Assert.Equal(new[] { id, array.JobIds[0], array.JobIds[2] }, rest.Select(p => p.Id).Order(StringComparer.Ordinal));
        // Slurm drops a cancelled element of a still-pending array from the array's index set: no record of it stays, even with -t all.
        var all = await slurm.ListAsync(new PilotQuery([name], IncludeFinished: true), default);
        Assert.DoesNotContain(all, p => p.Id == array.JobIds[1]);

        // The cancelled element is already gone: cancelling it again with the rest is not an error.
        await slurm.CancelAsync([id, .. array.JobIds], default);
        await TestServices.WaitUntilAsync(
            async () => (await slurm.ListAsync(new PilotQuery([name]), default)).Count == 0,
            TimeSpan.FromSeconds(30), $"every pilot named {name} gone after cancel");
        // What lingers for MinJobAge: the single pilot and the array's own record (the last pending elements cancelled together).
        var finished = await slurm.ListAsync(new PilotQuery([name], IncludeFinished: true), default);
        Assert.Contains(finished, p => p.Id == id);
        Assert.Contains(finished, p => p.Id == array.ArrayJobId || p.ArrayJobId == array.ArrayJobId);
        Assert.All(finished, p => Assert.Equal((PilotState.Finished, "CANCELLED"), (p.State, p.RawState)));
    }

    [Fact]
    public async Task Outcomes_come_from_the_completion_log_when_accounting_is_disabled()
    {
        var slurm = new SlurmScheduler(new ProcessRunner());
        var name = Name();
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        var failed = Assert.Single((await slurm.SubmitAsync(Request(name, Script("exit 1"), 1), default)).JobIds);
        var cancelled = Assert.Single((await slurm.SubmitAsync(Request(name, Script("sleep 300"), 1), default)).JobIds);
        await slurm.CancelAsync([cancelled], default);

        OutcomeReport report = OutcomeReport.Unavailable("not asked yet");
        await TestServices.WaitUntilAsync(
            async () =>
            {
                report = await slurm.OutcomesAsync(new OutcomeQuery([name], since), default);
                return report.Outcomes.Count >= 2;
            },
            TimeSpan.FromSeconds(60), $"sacct shows both pilots named {name} as ended");

        Assert.True(report.Available);
        Assert.Contains("accounting storage is disabled", report.Note); // the machine runs without slurmdbd
        Assert.Equal(2, report.Outcomes.Count);
        var f = report.Outcomes.Single(o => o.Id == failed);
        Assert.Equal((PilotEnd.Failed, (int?)1, "FAILED", name), (f.End, f.ExitCode, f.RawState, f.Name));
        var c = report.Outcomes.Single(o => o.Id == cancelled);
        Assert.Equal(PilotEnd.Cancelled, c.End);
        Assert.NotNull(c.EndTime);
    }

    [Fact]
    public async Task A_missing_squeue_is_a_scheduler_exception_naming_it()
    {
        var slurm = new SlurmScheduler(new ProcessRunner(), defaults: new SchedulerOptions { Kind = "slurm", BinDir = Path.Combine(_dir, "no-slurm-here") });
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => slurm.ListAsync(new PilotQuery(["apit-x"]), default));
        Assert.Contains("squeue", ex.Message);
        Assert.Contains("no-slurm-here", ex.Message);
    }

    [Fact]
    public async Task Sbatch_rejection_names_the_command_and_slurms_reason()
    {
        var slurm = new SlurmScheduler(new ProcessRunner());
        var request = Request(Name(), Script("true"), 1) with { Scheduler = new SchedulerOptions { Kind = "slurm", Queue = "apit-no-such-partition" } };
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => slurm.SubmitAsync(request, default));
        Assert.Contains("sbatch", ex.Message);
        Assert.Contains("invalid partition", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Counts squeue calls; everything else passes to the real runner.</summary>
    private sealed class CountingRunner(IProcessRunner inner) : IProcessRunner
    {
        public int Squeue { get; set; }

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            if (Path.GetFileName(spec.FileName) == "squeue")
            {
                Squeue++;
            }

            return inner.RunAsync(spec, cancellationToken);
        }
    }
}
