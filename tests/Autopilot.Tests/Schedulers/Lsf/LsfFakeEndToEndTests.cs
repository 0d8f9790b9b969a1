using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Lsf;
using Autopilot.Tests.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Lsf;

/// <summary>The LSF adapter end to end against fake bsub/bjobs/bkill.</summary>
public sealed class LsfFakeEndToEndTests
{
    private static string F(string file) => PbsLsfFixtures.Read("lsf", file);

    private static LsfScheduler Lsf(FakeBin bin) =>
        new(new ProcessRunner(), defaults: new SchedulerOptions { Kind = "lsf", BinDir = bin.Dir, CommandTimeout = TimeSpan.FromSeconds(20) }, zone: TimeZoneInfo.Utc);

    private const string Listing =
        "LSF is processing your request. Please wait ...\n" +
        "{\n  \"COMMAND\":\"bjobs\",\n  \"JOBS\":3,\n  \"RECORDS\":[\n" +
        "    {\"JOBID\":\"542935\",\"JOBINDEX\":\"1\",\"JOB_NAME\":\"autopilot-a[1]\",\"STAT\":\"RUN\",\"QUEUE\":\"short\",\"SUBMIT_TIME\":\"Mar 31 14:46\",\"START_TIME\":\"Mar 31 14:47\",\"TIME_LEFT\":\"0:59 L\",\"RUNTIMELIMIT\":\"01:30:00\",\"PEND_REASON\":\"\"},\n" +
        "    {\"JOBID\":\"542935\",\"JOBINDEX\":\"2\",\"JOB_NAME\":\"autopilot-a[2]\",\"STAT\":\"PEND\",\"QUEUE\":\"short\",\"SUBMIT_TIME\":\"Mar 31 14:46\",\"START_TIME\":\"\",\"TIME_LEFT\":\"\",\"RUNTIMELIMIT\":\"01:30:00\",\"PEND_REASON\":\"New job is waiting for scheduling;\"},\n" +
        "    {\"JOBID\":\"600\",\"JOBINDEX\":\"0\",\"JOB_NAME\":\"someone-elses\",\"STAT\":\"RUN\",\"QUEUE\":\"short\",\"SUBMIT_TIME\":\"Mar 31 14:46\",\"START_TIME\":\"\",\"TIME_LEFT\":\"\",\"RUNTIMELIMIT\":\"\",\"PEND_REASON\":\"\"}\n" +
        "  ]\n}\n";

    [Fact]
    public async Task List_reads_json_after_the_banner()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bjobs", stdout: Listing);
        var pilots = await Lsf(bin).ListAsync(new PilotQuery(["autopilot-a"], User: "efranz"), CancellationToken.None);
        Assert.Equal([("542935[1]", PilotState.Running, 1), ("542935[2]", PilotState.Queued, 2)], pilots.Select(p => (p.Id, p.State, p.ArrayIndex!.Value)));
        Assert.All(pilots, p => Assert.Equal(("542935", TimeSpan.FromMinutes(90)), (p.ArrayJobId!, p.TimeLimit!.Value)));
        var call = Assert.Single(bin.Calls());
        FakeBin.AssertCall(call, "bjobs", "-u", "efranz", "-o", LsfParsers.ListFields, "-json");
    }

    [Fact]
    public async Task No_unfinished_job_is_an_empty_listing()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bjobs", stderr: F("bjobs_no_unfinished_job_stderr__bsub_issue11.txt"), exit: 255);
        Assert.Empty(await Lsf(bin).ListAsync(new PilotQuery(["autopilot-a"]), CancellationToken.None));
        Assert.Equal(["-o", LsfParsers.ListFields, "-json"], Assert.Single(bin.Calls()).Args);
    }

    [Fact]
    public async Task Without_json_support_the_delimited_form_is_used_from_then_on()
    {
        using var bin = new FakeBin("lsf");
        bin.Mode("no_json").Respond("bjobs", stdout: "542935|3|autopilot-a[3]|PSUSP|short|Mar 31 14:46|-|-|01:30:00|-\n");
        var lsf = Lsf(bin);
        var pilots = await lsf.ListAsync(new PilotQuery(["autopilot-a"], User: "efranz"), CancellationToken.None);
        await lsf.ListAsync(new PilotQuery(["autopilot-a"], User: "efranz"), CancellationToken.None);
        Assert.Equal(("542935[3]", PilotState.Held), (Assert.Single(pilots).Id, pilots[0].State));
        var calls = bin.Calls();
        Assert.Equal(3, calls.Count);
        Assert.Equal(["-u", "efranz", "-noheader", "-o", LsfParsers.ListFields + " delimiter='|'"], calls[1].Args);
        Assert.Equal(calls[1].Args, calls[2].Args);
    }

    [Fact]
    public async Task A_daemon_error_fails_closed()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bjobs", stderr: "LSF daemon (LIM) not responding ... still trying\nls_gethostinfo(): Timeout\n", exit: 255);
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Lsf(bin).ListAsync(new PilotQuery(["autopilot-a"]), CancellationToken.None));
        Assert.Contains("not responding", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_array_with_every_setting()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bsub", stdout: F("bsub__ood_core.txt"));
        var options = new SchedulerOptions
        {
            Kind = "lsf", BinDir = bin.Dir, Queue = "short", Account = "proj1", Walltime = TimeSpan.FromMinutes(90), Cpus = 4, MemoryMb = 4096,
            DrainLead = TimeSpan.FromMinutes(10), ExtraArgs = ["-G", "hpcgroup", "-wa", "USR1", "-wt", "0:10"],
        };
        var result = await Lsf(bin).SubmitAsync(new SubmitRequest("a", "autopilot-a", bin.Script, 3, options, "/logs"), CancellationToken.None);
        Assert.Equal("542935", result.ArrayJobId);
        Assert.Equal(["542935[1]", "542935[2]", "542935[3]"], result.JobIds);
        var call = Assert.Single(bin.Calls());
        Assert.Equal(
            ["-J", "autopilot-a[1-3]", "-q", "short", "-P", "proj1", "-W", "1:30", "-n", "4", "-R", "span[hosts=1]", "-R", "rusage[mem=4096]",
             "-o", "/logs/autopilot-a.%J_%I.out", "-e", "/logs/autopilot-a.%J_%I.err", "-env", "PATH", "-G", "hpcgroup", "-wa", "USR1", "-wt", "0:10", bin.Script],
            call.Args);
    }

    [Fact]
    public async Task Submit_single_with_own_rusage_and_default_queue()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bsub", stdout: F("bsub_default_queue__nextflow.txt"));
        var options = new SchedulerOptions { Kind = "lsf", BinDir = bin.Dir, MemoryMb = 100, DrainLead = TimeSpan.Zero, ExtraArgs = ["-R", "rusage[mem=4GB]"] };
        var result = await Lsf(bin).SubmitAsync(new SubmitRequest("a", "autopilot-a", bin.Script, 1, options, "/logs"), CancellationToken.None);
        Assert.Equal(["2329803"], result.JobIds);
        Assert.Equal(["-J", "autopilot-a", "-W", "1:00", "-n", "1", "-o", "/logs/autopilot-a.%J.out", "-e", "/logs/autopilot-a.%J.err", "-env", "PATH", "-R", "rusage[mem=4GB]", bin.Script], Assert.Single(bin.Calls()).Args);
    }

    [Fact]
    public async Task Submit_rejected_by_bsub_names_the_error()
    {
        using var bin = new FakeBin("lsf");
        var options = new SchedulerOptions { Kind = "lsf", BinDir = bin.Dir, ExtraArgs = ["-Q", "x"] };
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Lsf(bin).SubmitAsync(new SubmitRequest("a", "autopilot-a", bin.Script, 1, options, "/logs"), CancellationToken.None));
        Assert.Contains("illegal option -- Q", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Job <542935> is being terminated\n", 0, false)]
    [InlineData("Job <542935>: Job has already finished\n", "", 255, false)]
    [InlineData("Job <542935> is not found\n", "", 255, false)]
    [InlineData("Job <542935>: User permission denied\n", "", 255, true)]
    public async Task Cancel_elements_and_gone_jobs(string stderr, string stdout, int exit, bool throws)
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bkill", stdout: stdout, stderr: stderr, exit: exit);
        var task = Lsf(bin).CancelAsync(["542935[1]", "542935[2]", "764254593"], CancellationToken.None);
        if (throws)
        {
            await Assert.ThrowsAsync<SchedulerException>(() => task);
        }
        else
        {
            await task;
        }

        FakeBin.AssertCall(bin.Calls()[0], "bkill", "542935[1]", "542935[2]", "764254593");
    }

    [Fact]
    public async Task Cancel_output_of_the_fixture_passes()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bkill", stdout: F("bkill__aiida.txt"));
        await Lsf(bin).CancelAsync(["764254593"], CancellationToken.None);
    }

    [Fact]
    public async Task Outcomes_from_bjobs_a()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bjobs", stdout:
            "{\"COMMAND\":\"bjobs\",\"JOBS\":3,\"RECORDS\":[" +
            "{\"JOBID\":\"7\",\"JOBINDEX\":\"1\",\"JOB_NAME\":\"autopilot-a[1]\",\"STAT\":\"EXIT\",\"EXIT_CODE\":\"140\",\"EXIT_REASON\":\"TERM_RUNLIMIT: job killed after reaching LSF run time limit\",\"FINISH_TIME\":\"Jan  9 10:00\"}," +
            "{\"JOBID\":\"7\",\"JOBINDEX\":\"2\",\"JOB_NAME\":\"autopilot-a[2]\",\"STAT\":\"EXIT\",\"EXIT_CODE\":\"130\",\"EXIT_REASON\":\"TERM_OWNER: job killed by owner\",\"FINISH_TIME\":\"Jan  9 10:00\"}," +
            "{\"JOBID\":\"8\",\"JOBINDEX\":\"0\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"EXIT\",\"EXIT_CODE\":\"1\",\"EXIT_REASON\":\"\",\"FINISH_TIME\":\"Jan  9 10:00\"}]}");
        var report = await Lsf(bin).OutcomesAsync(new OutcomeQuery(["autopilot-a"], DateTimeOffset.MinValue, "efranz"), CancellationToken.None);
        Assert.True(report.Available);
        Assert.Equal([("7[1]", PilotEnd.Walltime), ("7[2]", PilotEnd.Cancelled), ("8", PilotEnd.Failed)], report.Outcomes.Select(o => (o.Id, o.End)));
        Assert.Equal(["-a", "-u", "efranz", "-o", LsfParsers.OutcomeFields, "-json"], Assert.Single(bin.Calls()).Args);
    }
}
