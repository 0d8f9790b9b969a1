using Autopilot.Cli;
using Autopilot.Cli.Commands;
using Autopilot.Configuration;
using Autopilot.Hosting;
using Autopilot.Engine;
using Autopilot.Processes;
using Autopilot.State;
using Autopilot.Tests.Schedulers.Pbs;
using Microsoft.Extensions.Logging.Abstractions;
using Autopilot.DemandSources.Command;

namespace Autopilot.Tests.Engine;

/// <summary>
/// Issue 14 problem 8 for PBS/Torque and LSF: a job with exactly a pilot's name that this state folder
/// did not submit is foreign (listed, never counted, never cancelled), told apart by the ids recorded at
/// submission. Real ticks with the SQLite store against the fake scheduler commands of tests/fakes.
/// </summary>
public sealed class RecordedIdTests : IDisposable
{
    private static readonly string User = Environment.UserName;
    private readonly string _dir = Directory.CreateTempSubdirectory("autopilot-recorded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A kind's fake listings: tick 1 lists nothing; tick 2 lists our array's two elements and two look-alikes.</summary>
    public sealed record Case(string Kind, string Listing, string SubmitOutput, string EmptyListing, string[] Ours, string[] LookAlikes);

    public static TheoryData<string> Kinds => ["pbs", "torque", "lsf"];

    private static Case For(string kind) => kind switch
    {
        "pbs" => new Case(
            "pbs", "qstat", "101[].srv\n", "",
            ["101[1].srv", "101[2].srv"], ["202.srv", "303[1].srv"]),
        "torque" => new Case(
            "torque", "qstat", "101[].srv.example.org\n", "<Data></Data>",
            ["101[1].srv.example.org", "101[2].srv.example.org"], ["202.srv.example.org", "303[1].srv.example.org"]),
        _ => new Case(
            "lsf", "bjobs", "Job <101> is submitted to default queue <normal>.\n", """{"COMMAND":"bjobs","JOBS":0,"RECORDS":[]}""",
            ["101[1]", "101[2]"], ["202", "303[1]"]),
    };

    /// <summary>What the listing prints for these queued ids, all named as pool "p"'s pilots.</summary>
    private static string Listing(string kind, string jobName, IEnumerable<string> ids) => kind switch
    {
        "pbs" => "{\"Jobs\":{" + string.Join(",", ids.Select(id =>
            $"\"{id}\":{{\"Job_Name\":\"{jobName}\",\"Job_Owner\":\"{User}@h\",\"job_state\":\"Q\",\"queue\":\"workq\"}}")) + "}}",
        "torque" => "<Data>" + string.Concat(ids.Select(id =>
            $"<Job><Job_Id>{id}</Job_Id><Job_Name>{(id.Contains('[', StringComparison.Ordinal) ? jobName + "-" + id[(id.IndexOf('[', StringComparison.Ordinal) + 1)..id.IndexOf(']', StringComparison.Ordinal)] : jobName)}</Job_Name><Job_Owner>{User}@h</Job_Owner><job_state>Q</job_state><queue>batch</queue></Job>")) + "</Data>",
        _ => "{\"COMMAND\":\"bjobs\",\"JOBS\":" + ids.Count() + ",\"RECORDS\":[" + string.Join(",", ids.Select(id =>
        {
            var open = id.IndexOf('[', StringComparison.Ordinal);
            var job = open < 0 ? id : id[..open];
            var name = open < 0 ? jobName : jobName + id[open..];
            return $"{{\"JOBID\":\"{job}\",\"JOBINDEX\":\"{(open < 0 ? "0" : id[(open + 1)..^1])}\",\"JOB_NAME\":\"{name}\",\"STAT\":\"PEND\",\"QUEUE\":\"normal\",\"SUBMIT_TIME\":\"\",\"START_TIME\":\"\",\"TIME_LEFT\":\"\",\"RUNTIMELIMIT\":\"\",\"PEND_REASON\":\"\"}}";
        })) + "]}",
    };

    private AutopilotOptions Options(FakeBin bin, string kind, long demand)
    {
        var template = Path.Combine(_dir, "pilot.sh");
        File.WriteAllText(template, "#!/bin/sh\n# pool {{pool}}\nexit 0\n");
        var pool = new PoolOptions
        {
            Name = "p",
            Template = template,
            Demand = new CommandOptions { Command = ["echo", demand.ToString(System.Globalization.CultureInfo.InvariantCulture)] },
            Scheduler = new SchedulerOptions
            {
                Kind = kind, BinDir = bin.Dir, Flavor = kind == "pbs" ? "pbspro" : "auto",
                Walltime = TimeSpan.FromHours(1), DrainLead = TimeSpan.FromMinutes(1), CommandTimeout = TimeSpan.FromSeconds(20),
            },
            Limits = new LimitOptions { MaxPilots = 4, TasksPerPilot = 1, MaxQueued = 4, MaxSubmitPerTick = 4, ScaleToZeroAfter = TimeSpan.Zero },
            Policy = new PolicyOptions { ScaleInAfter = TimeSpan.Zero },
        };
        return new AutopilotOptions { StateDir = Path.Combine(_dir, "state"), JobPrefix = "ap", Pools = [pool] };
    }

    private static TickEngine Engine(AutopilotOptions options) =>
        new(options, Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System), TimeProvider.System, NullLogger<TickEngine>.Instance);

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_look_alike_is_listed_foreign_never_counted_or_cancelled_while_our_pilots_are(string kind)
    {
        var c = For(kind);
        using var bin = new FakeBin(kind);
        const string jobName = "ap-p";
        bin.Respond(c.Listing, 1, stdout: c.EmptyListing)
            .Respond(c.Listing, stdout: Listing(kind, jobName, [.. c.Ours, .. c.LookAlikes]))
            .Respond(kind == "lsf" ? "bsub" : "qsub", stdout: c.SubmitOutput)
            .Respond(kind == "lsf" ? "bkill" : "qdel", stdout: "");

        // Tick 1: demand 2, nothing listed: one array of two is submitted and its id recorded.
        var first = Assert.Single((await Engine(Options(bin, kind, 2)).RunAsync(new TickRequest(), CancellationToken.None)).Pools);
        Assert.Null(first.Error);
        Assert.Equal(c.Ours, first.Submitted);

        // Tick 2: no demand; the listing shows our two and two look-alikes submitted outside Autopilot.
        var report = await Engine(Options(bin, kind, 0)).RunAsync(new TickRequest(), CancellationToken.None);
        var second = Assert.Single(report.Pools);
        Assert.Null(second.Error);
        Assert.Equal([.. c.Ours.Select(id => (id, false)), .. c.LookAlikes.Select(id => (id, true))], second.Pilots!.Select(p => (p.Id, p.Foreign)).OrderBy(p => p.Foreign).ThenBy(p => p.Id, StringComparer.Ordinal));
        Assert.Contains("pilots 2 queued", second.Summary, StringComparison.Ordinal);
        Assert.Equal(c.Ours.Order(StringComparer.Ordinal), second.Cancelled.Order(StringComparer.Ordinal));
        var cancel = Assert.Single(bin.Calls(), call => call.Command is "qdel" or "bkill");
        Assert.Equal(c.Ours.Order(StringComparer.Ordinal), cancel.Args.Order(StringComparer.Ordinal));
        Assert.All(second.Pilots!.Where(p => p.Foreign), p => Assert.Equal(RecordedIds.ForeignReason, p.PendingReason));

        // `autopilot jobs` says what they are and that they are left alone.
        using var text = new StringWriter();
        JobsView.Write(text, report, terminal: false);
        Assert.Contains("2 foreign: the pool's job name without Autopilot's marker or a recorded id", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("never counted or cancelled", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pilot_submitted_before_a_later_qsub_failed_is_recorded_and_stays_ours()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qsub", 1, stdout: "101.srv\n")
            .Respond("qsub", 2, stderr: "qsub: Maximum number of jobs already in queue\n", exit: 38)
            .Respond("qstat", 1, stdout: "")
            .Respond("qstat", stdout: Listing("pbs", "ap-p", ["101.srv", "202.srv"]));
        var options = Options(bin, "pbs", 2);
        options = options with { Pools = [options.Pools[0] with { Scheduler = options.Pools[0].Scheduler with { UseArrays = false } }] };

        var first = Assert.Single((await Engine(options).RunAsync(new TickRequest(), CancellationToken.None)).Pools);
        Assert.Equal(["101.srv"], first.Submitted);
        Assert.Contains("submit failed", first.Error, StringComparison.Ordinal);

        var second = Assert.Single((await Engine(options).RunAsync(new TickRequest(), CancellationToken.None)).Pools);
        Assert.Equal([("101.srv", false), ("202.srv", true)], second.Pilots!.Select(p => (p.Id, p.Foreign)).OrderBy(p => p.Id, StringComparer.Ordinal));
        Assert.Contains("pilots 1 queued", second.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_alerts_on_the_store_still_records_and_returns_ids()
    {
        var stateDir = Path.Combine(_dir, "state");
        var alerts = new AlertOptions { Command = ["true"] };
        Assert.True(alerts.Enabled);
        await using (var store = await Composition.OpenStoreAsync(stateDir, alerts, new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None))
        {
            var recorded = Assert.IsAssignableFrom<ISubmittedJobStore>(store);
            await recorded.RecordSubmittedAsync("p", ["101[].srv"], DateTimeOffset.UtcNow, CancellationToken.None);
            Assert.Equal(["101"], await recorded.RecordedKeysAsync(["p"], CancellationToken.None));
        }

        await using var plain = await SqliteStateStore.OpenAsync(stateDir, CancellationToken.None);
        Assert.Equal(["101"], await plain.RecordedKeysAsync(["p"], CancellationToken.None));
    }

    [Fact]
    public async Task With_alerts_on_the_store_still_keeps_accounting_rows_and_samples()
    {
        var stateDir = Path.Combine(_dir, "state");
        var alerts = new AlertOptions { Command = ["true"] };
        var now = DateTimeOffset.UtcNow;
        await using (var store = await Composition.OpenStoreAsync(stateDir, alerts, new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None))
        {
            var books = Assert.IsAssignableFrom<IAccountingStore>(store);
            await books.AddSampleAsync(new PoolSample(now, "p", 5, 1, 2), TimeSpan.FromDays(90), CancellationToken.None);
        }

        await using var plain = await SqliteStateStore.OpenAsync(stateDir, CancellationToken.None);
        var sample = Assert.Single(await plain.SamplesAsync(now.AddMinutes(-1), "p", CancellationToken.None));
        Assert.Equal((5L, 1, 2), (sample.Demand!.Value, sample.Queued, sample.Running));
    }

    [Fact]
    public async Task Autopilot_cancel_refuses_a_pbs_look_alike_and_submit_by_hand_records_its_ids()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qsub", stdout: "101.srv\n")
            .Respond("qstat", 1, stdout: "")
            .Respond("qstat", stdout: Listing("pbs", "ap-p", ["101.srv", "202.srv"]))
            .Respond("qdel", stdout: "");
        var options = Options(bin, "pbs", 0);
        var components = Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);
        var manual = new ManualControl(options, components, Engine(options), TimeProvider.System);
        Assert.Equal(["101.srv"], (await manual.SubmitAsync("p", 1, force: false, "alice", CancellationToken.None)).Submitted);

        var refused = await manual.CancelAsync(["202.srv"], "alice", CancellationToken.None);
        Assert.Empty(refused.Cancelled);
        Assert.Contains("202.srv: a look-alike", refused.Error, StringComparison.Ordinal);

        var done = await manual.CancelAsync(["101.srv"], "alice", CancellationToken.None);
        Assert.Equal(["101.srv"], done.Cancelled);
        FakeBin.AssertCall(Assert.Single(bin.Calls(), call => call.Command == "qdel"), "qdel", "101.srv");
    }
}
