using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>The PBS Pro adapter end to end against fake qsub/qstat/qdel that replay recorded output.</summary>
public sealed class PbsFakeEndToEndTests
{
    private static string F(string file) => PbsLsfFixtures.Read("pbs", file);

    private static PbsScheduler Adapter(FakeBin bin, string flavor = "auto") =>
        new("pbs", new ProcessRunner(), defaults: new SchedulerOptions { Kind = "pbs", BinDir = bin.Dir, Flavor = flavor, CommandTimeout = TimeSpan.FromSeconds(20) }, zone: TimeZoneInfo.Utc);

    [Fact]
    public async Task List_detects_PBS_Pro_once_and_reads_json_for_the_user()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qstat", stdout: F("qstat_f_F_json_two_jobs_pbs20__ionkrutov.json"));
        var pbs = Adapter(bin);

        var pilots = await pbs.ListAsync(new PilotQuery(["ntest"], User: "qoot"), CancellationToken.None);
        await pbs.ListAsync(new PilotQuery(["ntest"], User: "qoot"), CancellationToken.None);

        Assert.Equal(["1006.qot-calc0", "1007.qot-calc0"], pilots.Select(p => p.Id));
        Assert.All(pilots, p => Assert.Equal(PilotState.Running, p.State));
        var calls = bin.Calls();
        Assert.Equal(3, calls.Count);
        FakeBin.AssertCall(calls[0], "qstat", "--version");
        Assert.Equal(["-f", "-F", "json", "-t", "-u", "qoot"], calls[1].Args);
        Assert.Equal(["-f", "-F", "json", "-t", "-u", "qoot"], calls[2].Args);
    }

    [Fact]
    public async Task Plain_text_before_json_switches_to_listing_all_jobs_filtered_by_owner()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qstat", 2, stdout: F("qstat_u_fF_JSON_mixed_plaintext_cjson_pbs23.06__openpbs_pr2675.txt"))
           .Respond("qstat", stdout: F("qstat_f_F_json_one_job_pbs20__ionkrutov.json"));
        var pbs = Adapter(bin);

        var first = await pbs.ListAsync(new PilotQuery(["ntest"], User: "qoot"), CancellationToken.None);
        var others = await pbs.ListAsync(new PilotQuery(["ntest"], User: "someone-else"), CancellationToken.None);

        Assert.Equal(["1008.qot-calc0"], first.Select(p => p.Id));
        Assert.Empty(others);
        var calls = bin.Calls();
        Assert.Equal(["-f", "-F", "json", "-t", "-u", "qoot"], calls[1].Args);
        Assert.Equal(["-f", "-F", "json", "-t"], calls[2].Args);
        Assert.Equal(["-f", "-F", "json", "-t"], calls[3].Args);
        Assert.Equal(4, calls.Count);
    }

    [Fact]
    public async Task Conflicting_options_answer_also_drops_u()
    {
        using var bin = new FakeBin("pbs");
        bin.Mode("conflict_u").Respond("qstat", stdout: F("qstat_f_F_json_one_job_pbs20__ionkrutov.json"));
        var pilots = await Adapter(bin, "pbspro").ListAsync(new PilotQuery(["ntest"], User: "qoot"), CancellationToken.None);
        Assert.Single(pilots);
        var calls = bin.Calls();
        Assert.Equal(["-f", "-F", "json", "-t", "-u", "qoot"], calls[0].Args);
        Assert.Equal(["-f", "-F", "json", "-t"], calls[1].Args);
    }

    [Fact]
    public async Task Old_PBS_without_json_falls_back_to_qstat_f_text()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qstat", 1, stderr: "qstat: invalid option -- 'F'\nusage: ...\n", exit: 2)
           .Respond("qstat", stdout: F("qstat_f_multi_job_tab_continuation__aiida.txt"));
        var pilots = await Adapter(bin, "pbspro").ListAsync(new PilotQuery(["Cu-dbp"], User: "user02"), CancellationToken.None);
        var calls = bin.Calls();
        Assert.Equal(["-f", "-t"], calls[1].Args);
        Assert.Equal(["69301.mycluster", "69302.mycluster"], pilots.Select(p => p.Id));
        Assert.Equal([PilotState.Running, PilotState.Held], pilots.Select(p => p.State));
    }

    [Theory]
    [InlineData("qstat_f_F_json_connect_refused_stdout_pbs22__baw_server.json", "qstat_f_F_json_connect_refused_stderr_pbs22__baw_server.txt", 255)]
    [InlineData("qstat_f_F_json_no_route_stdout_pbs2025__baw_server.json", "qstat_f_F_json_no_route_stderr_pbs2025__baw_server.txt", 255)]
    [InlineData("qstat_f_F_json_no_route_stdout_pbs2025__baw_server.json", "qstat_f_F_json_no_route_stderr_pbs2025__baw_server.txt", 0)]
    public async Task Server_unreachable_fails_closed_even_with_a_json_stub(string stdout, string stderr, int exit)
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qstat", stdout: F(stdout), stderr: F(stderr), exit: exit);
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Adapter(bin, "pbspro").ListAsync(new PilotQuery(["x"], User: "u"), CancellationToken.None));
        Assert.Contains("cannot connect to server", ex.Message, StringComparison.Ordinal);
        Assert.Contains("qstat", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_array_with_every_setting()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qsub", stdout: F("qsub_array_J__openpbs_issue1108.txt"));
        var options = new SchedulerOptions
        {
            Kind = "pbs", Flavor = "pbspro", BinDir = bin.Dir, Queue = "workq", Account = "proj1", Walltime = TimeSpan.FromMinutes(90),
            Cpus = 4, MemoryMb = 4096, ExtraArgs = ["-W", "group_list=hpc"],
        };
        var result = await Adapter(bin).SubmitAsync(
            new SubmitRequest("p", "autopilot-p", bin.Script, 3, options, "/var/log/ap", Environment: new Dictionary<string, string> { ["AUTOPILOT_POOL"] = "p" }),
            CancellationToken.None);

        Assert.Equal("1008[].pbs-server", result.ArrayJobId);
        Assert.Equal(["1008[1].pbs-server", "1008[2].pbs-server", "1008[3].pbs-server"], result.JobIds);
        var call = Assert.Single(bin.Calls());
        Assert.Equal("qsub", call.Command);
        Assert.Equal(
            ["-N", "autopilot-p", "-q", "workq", "-A", "proj1", "-l", "walltime=01:30:00", "-l", "select=1:ncpus=4:mem=4096mb", "-J", "1-3",
             "-o", "/var/log/ap", "-e", "/var/log/ap", "-v", "AUTOPILOT_POOL", "-W", "group_list=hpc", bin.Script],
            call.Args);
    }

    [Fact]
    public async Task Submit_without_arrays_submits_one_job_per_pilot()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qsub", stdout: F("qsub__ionkrutov.txt"));
        var options = new SchedulerOptions { Kind = "pbs", Flavor = "pbspro", BinDir = bin.Dir, UseArrays = false };
        var result = await Adapter(bin).SubmitAsync(new SubmitRequest("p", "autopilot-p", bin.Script, 2, options, "/logs"), CancellationToken.None);
        Assert.Equal(["1013.vm-priboy", "1013.vm-priboy"], result.JobIds);
        Assert.Null(result.ArrayJobId);
        Assert.All(bin.Calls(), c => Assert.Equal(["-N", "autopilot-p", "-l", "walltime=01:00:00", "-l", "select=1:ncpus=1", "-o", "/logs", "-e", "/logs", bin.Script], c.Args));
    }

    [Fact]
    public async Task Submit_failure_names_the_command_and_stderr()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qsub", stderr: "qsub: Unknown queue\n", exit: 170);
        var options = new SchedulerOptions { Kind = "pbs", Flavor = "pbspro", BinDir = bin.Dir, Queue = "nope" };
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Adapter(bin).SubmitAsync(new SubmitRequest("p", "autopilot-p", bin.Script, 1, options, "/logs"), CancellationToken.None));
        Assert.Contains("qsub", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown queue", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_refuses_settings_that_break_the_command_line_without_running_qsub()
    {
        using var bin = new FakeBin("pbs");
        var options = new SchedulerOptions { Kind = "pbs", Flavor = "pbspro", BinDir = bin.Dir, Queue = "workq; rm -rf ~" };
        await Assert.ThrowsAsync<SchedulerException>(() => Adapter(bin).SubmitAsync(new SubmitRequest("p", "autopilot-p", bin.Script, 1, options, "/logs"), CancellationToken.None));
        Assert.Empty(bin.Calls());
    }

    [Theory]
    [InlineData("qstat: Unknown Job Id 2001.g3\nqstat: Unknown Job Id 2002.g3\n", 153, false)]
    [InlineData("qdel: Job has finished 2001.g3\n", 35, false)]
    [InlineData("qdel: Unauthorized Request  2001.g3\n", 159, true)]
    [InlineData("", 1, true)]
    public async Task Cancel_treats_gone_jobs_as_done(string stderr, int exit, bool throws)
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qdel", stderr: stderr, exit: exit);
        var task = Adapter(bin, "pbspro").CancelAsync(["2001.g3", "2002.g3", "3[7].head"], CancellationToken.None);
        if (throws)
        {
            await Assert.ThrowsAsync<SchedulerException>(() => task);
        }
        else
        {
            await task;
        }

        var call = Assert.Single(bin.Calls());
        FakeBin.AssertCall(call, "qdel", "2001.g3", "2002.g3", "3[7].head");
    }

    [Fact]
    public async Task Cancel_of_the_fixture_unknown_ids_passes()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qdel", stderr: F("qstat_unknown_job_id_stderr__ionkrutov.txt"), exit: 153);
        await Adapter(bin, "pbspro").CancelAsync(["2001.g3", "2002.g3", "2003.g3"], CancellationToken.None);
    }

    [Fact]
    public async Task Outcomes_from_history_and_unavailable_without_it()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qstat", 1, stdout: F("qstat_xf_F_json_finished_array_pbs22_spliced__baw_server.json"))
           .Respond("qstat", 2, stderr: F("qstat_fx_no_job_history_stderr__azhop_issue14.txt"), exit: 1);
        var pbs = Adapter(bin, "pbspro");
        var report = await pbs.OutcomesAsync(new OutcomeQuery(["testname"], DateTimeOffset.MinValue, "pbsuser"), CancellationToken.None);
        Assert.True(report.Available);
        var outcome = Assert.Single(report.Outcomes);
        Assert.Equal(("0.725ccdf1a5fb", PilotEnd.Completed), (outcome.Id, outcome.End));
        Assert.Equal(["-f", "-F", "json", "-t", "-x", "-u", "pbsuser"], bin.Calls()[0].Args);

        var off = await pbs.OutcomesAsync(new OutcomeQuery(["testname"], DateTimeOffset.MinValue, "pbsuser"), CancellationToken.None);
        Assert.False(off.Available);
        Assert.Contains("history", off.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_qstat_fails_closed()
    {
        var pbs = new PbsScheduler("pbs", new ProcessRunner(), defaults: new SchedulerOptions { Kind = "pbs", Flavor = "pbspro", BinDir = "/nonexistent/bin" });
        await Assert.ThrowsAsync<SchedulerException>(() => pbs.ListAsync(new PilotQuery(["x"], User: "u"), CancellationToken.None));
    }

    [Fact]
    public void Factory_creates_the_three_kinds()
    {
        using var loggers = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        Assert.Equal("pbs", SchedulerFactory.Create(new SchedulerOptions { Kind = "pbs" }, new ProcessRunner(), "/tmp", loggers, TimeProvider.System).Kind);
        Assert.Equal("torque", SchedulerFactory.Create(new SchedulerOptions { Kind = "torque" }, new ProcessRunner(), "/tmp", loggers, TimeProvider.System).Kind);
        Assert.Equal("lsf", SchedulerFactory.Create(new SchedulerOptions { Kind = "lsf" }, new ProcessRunner(), "/tmp", loggers, TimeProvider.System).Kind);
    }
}
