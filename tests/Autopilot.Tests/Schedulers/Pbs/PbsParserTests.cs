using Autopilot.Domain;
using Autopilot.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Pbs;

public sealed class PbsParserTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;

    private static string F(string file) => PbsLsfFixtures.Read("pbs", file);

    [Theory]
    [InlineData("qsub__ionkrutov.txt", "1013.vm-priboy")]
    [InlineData("qsub_array_J__openpbs_issue1108.txt", "1008[].pbs-server")]
    public void Qsub_output_gives_the_id(string file, string id) => Assert.Equal(id, PbsParsers.ParseSubmitId(F(file)));

    [Fact]
    public void Array_parent_id_expands_to_subjob_ids()
    {
        var parent = PbsParsers.ParseSubmitId(F("qsub_array_J__openpbs_issue1108.txt"));
        Assert.Equal(["1008[1].pbs-server", "1008[2].pbs-server", "1008[3].pbs-server"], PbsScheduler.ExpandArray(parent, 3));
        Assert.Equal(["77[1]", "77[2]"], PbsScheduler.ExpandArray("77[]", 2));
        Assert.Equal(["78[1].srv", "78[2].srv"], PbsScheduler.ExpandArray("78.srv", 2));
    }

    [Theory]
    [InlineData("")]
    [InlineData("qsub: Unauthorized Request\n")]
    [InlineData("1013.vm priboy")]
    public void Qsub_output_without_an_id_is_an_error(string stdout) => Assert.Throws<FormatException>(() => PbsParsers.ParseSubmitId(stdout));

    [Fact]
    public void Json_one_job()
    {
        var listing = PbsParsers.ParseJson(F("qstat_f_F_json_one_job_pbs20__ionkrutov.json"), Utc);
        Assert.True(listing.HasJobsKey);
        Assert.Null(listing.PlainTextPrefix);
        Assert.Equal("qot-calc0", listing.Server);
        var job = Assert.Single(listing.Jobs);
        Assert.Equal(("1008.qot-calc0", "ntest", "R", "qoot@qot-calc0", "qoot", "atom-sim"), (job.Id, job.Name, job.State, job.Owner, job.OwnerUser, job.Queue));
        Assert.Equal(TimeSpan.FromHours(4), job.Walltime);
        Assert.Equal(new DateTimeOffset(2021, 4, 14, 23, 34, 19, TimeSpan.Zero), job.StartTime);
        Assert.Equal(new DateTimeOffset(2021, 4, 14, 23, 34, 17, TimeSpan.Zero), job.QueueTime);

        var pilot = PbsParsers.ToPilot(job, PbsFlavor.PbsPro);
        Assert.Equal((PilotState.Running, "R", TimeSpan.FromHours(4)), (pilot.State, pilot.RawState, pilot.TimeLimit));
    }

    [Fact]
    public void Json_two_jobs_and_tab_indented_three_jobs()
    {
        var two = PbsParsers.ParseJson(F("qstat_f_F_json_two_jobs_pbs20__ionkrutov.json"), Utc).Jobs;
        Assert.Equal([("1006.qot-calc0", "R"), ("1007.qot-calc0", "R")], two.Select(j => (j.Id, j.State)));

        var three = PbsParsers.ParseJson(F("qstat_f_F_json_tab_indent_pbs20__ionkrutov.json"), Utc).Jobs;
        Assert.Equal(["2007.vm-project_name", "2009.vm-project_name", "2010.vm-project_name"], three.Select(j => j.Id));
        Assert.All(three, j => Assert.Equal(("nsleep", "R"), (j.Name, j.State)));
    }

    [Fact]
    public void Json_running_job_from_qstat_xf()
    {
        var job = Assert.Single(PbsParsers.ParseJson(F("qstat_xf_F_json_running_pbs19__swrap.json"), Utc).Jobs);
        Assert.Equal(("12860476.meta-pbs.metacentrum.cz", "swrap_01", "R"), (job.Id, job.Name, job.State));
        Assert.Equal(TimeSpan.FromMinutes(1), job.Walltime);
        Assert.Equal(new DateTimeOffset(2022, 10, 4, 21, 23, 33, TimeSpan.Zero), job.StartTime);
        Assert.Empty(PbsParsers.ToOutcomes([job], ["swrap_01"], PbsFlavor.PbsPro, DateTimeOffset.MinValue));
    }

    [Fact]
    public void Json_finished_job_from_history_is_an_outcome()
    {
        var job = Assert.Single(PbsParsers.ParseJson(F("qstat_xf_F_json_finished_array_pbs22_spliced__baw_server.json"), Utc).Jobs);
        Assert.Equal(("0.725ccdf1a5fb", "testname", "F", 0), (job.Id, job.Name, job.State, job.ExitStatus));
        var outcome = Assert.Single(PbsParsers.ToOutcomes([job], ["testname"], PbsFlavor.PbsPro, new DateTimeOffset(2022, 10, 11, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal((PilotEnd.Completed, 0), (outcome.End, outcome.ExitCode));
        Assert.Equal(new DateTimeOffset(2022, 10, 11, 8, 13, 47, TimeSpan.Zero), outcome.EndTime);
        Assert.Empty(PbsParsers.ToOutcomes([job], ["testname"], PbsFlavor.PbsPro, new DateTimeOffset(2022, 10, 12, 0, 0, 0, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("qstat_f_F_json_connect_refused_stdout_pbs22__baw_server.json", "6cfab3a0b8ac")]
    [InlineData("qstat_f_F_json_no_route_stdout_pbs2025__baw_server.json", "aqua")]
    public void Json_stub_without_Jobs_has_no_jobs_and_says_so(string file, string server)
    {
        var listing = PbsParsers.ParseJson(F(file), Utc);
        Assert.False(listing.HasJobsKey);
        Assert.Empty(listing.Jobs);
        Assert.Equal(server, listing.Server);
    }

    [Fact]
    public void Json_after_plain_text_is_flagged()
    {
        var listing = PbsParsers.ParseJson(F("qstat_u_fF_JSON_mixed_plaintext_cjson_pbs23.06__openpbs_pr2675.txt"), Utc);
        Assert.NotNull(listing.PlainTextPrefix);
        Assert.False(listing.HasJobsKey);
        Assert.Equal("VMa", listing.Server);
    }

    [Fact]
    public void Full_text_with_tab_continuations()
    {
        var jobs = PbsParsers.ParseFullText(F("qstat_f_multi_job_tab_continuation__aiida.txt"), Utc);
        Assert.Equal(["68350.mycluster", "68351.mycluster", "69301.mycluster", "69302.mycluster", "74164.mycluster", "74165.mycluster"], jobs.Select(j => j.Id));
        Assert.Equal(["Q", "Q", "R", "H", "R", "H"], jobs.Select(j => j.State));
        Assert.Equal("cell-Qnormal", jobs[0].Name);
        Assert.Equal("Not Running: Node is in an ineligible state: offline", jobs[0].Comment);
        Assert.Equal(TimeSpan.FromHours(1), jobs[0].Walltime);

        var first = PbsParsers.ToPilot(jobs[0], PbsFlavor.PbsPro);
        Assert.Equal((PilotState.Queued, PendingKind.Unavailable), (first.State, first.PendingKind));
        var held = PbsParsers.ToPilot(jobs[3], PbsFlavor.PbsPro);
        Assert.Equal((PilotState.Held, PendingKind.Held), (held.State, held.PendingKind));
    }

    [Theory]
    [InlineData("qstat_unknown_job_id_stderr__ionkrutov.txt", 3)]
    [InlineData("qstat_unknown_job_id_stderr__opencomposer_pr9.txt", 1)]
    public void Unknown_job_id_lines_are_recognised(string file, int lines)
    {
        var all = F(file).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines, all.Length);
        Assert.All(all, l => Assert.True(PbsParsers.IsUnknownJob(l)));
        Assert.False(PbsParsers.IsUnknownJob("qstat: cannot connect to server aqua (errno=15010)"));
    }

    [Theory]
    [InlineData("Q", null, PilotState.Queued, PendingKind.Resources)]
    [InlineData("Q", "Not Running: User has reached server running job limit.", PilotState.Queued, PendingKind.Limit)]
    [InlineData("Q", "Can Never Run: Insufficient amount of queue resource: ncpus", PilotState.Queued, PendingKind.Error)]
    [InlineData("Q", "Not Running: Insufficient amount of resource: ncpus", PilotState.Queued, PendingKind.Resources)]
    [InlineData("H", null, PilotState.Held, PendingKind.Held)]
    [InlineData("W", null, PilotState.Queued, PendingKind.BeginTime)]
    [InlineData("T", null, PilotState.Queued, PendingKind.Other)]
    [InlineData("R", null, PilotState.Running, PendingKind.None)]
    [InlineData("B", null, PilotState.Running, PendingKind.None)]
    [InlineData("S", null, PilotState.Running, PendingKind.None)]
    [InlineData("U", null, PilotState.Running, PendingKind.None)]
    [InlineData("E", null, PilotState.Completing, PendingKind.None)]
    [InlineData("F", null, PilotState.Finished, PendingKind.None)]
    [InlineData("X", null, PilotState.Finished, PendingKind.None)]
    [InlineData("C", null, PilotState.Finished, PendingKind.None)]
    [InlineData("M", null, PilotState.Unknown, PendingKind.None)]
    [InlineData("Z", null, PilotState.Unknown, PendingKind.None)]
    public void State_table(string state, string? comment, PilotState expected, PendingKind kind)
    {
        var (s, k, _) = PbsStates.Map(state, PbsFlavor.PbsPro, comment);
        Assert.Equal((expected, kind), (s, k));
    }

    [Theory]
    [InlineData(0, PbsFlavor.PbsPro, true, PilotEnd.Completed)]
    [InlineData(-29, PbsFlavor.PbsPro, true, PilotEnd.Walltime)]
    [InlineData(-11, PbsFlavor.Torque, true, PilotEnd.Walltime)]
    [InlineData(271, PbsFlavor.PbsPro, true, PilotEnd.Cancelled)]
    [InlineData(265, PbsFlavor.Torque, true, PilotEnd.Cancelled)]
    [InlineData(1, PbsFlavor.PbsPro, true, PilotEnd.Failed)]
    [InlineData(-20, PbsFlavor.PbsPro, true, PilotEnd.NodeFailure)]
    [InlineData(null, PbsFlavor.PbsPro, false, PilotEnd.Cancelled)]
    [InlineData(null, PbsFlavor.PbsPro, true, PilotEnd.Unknown)]
    public void Exit_status_table(int? exit, PbsFlavor flavor, bool started, PilotEnd end) =>
        Assert.Equal(end, PbsStates.EndFromExit(exit, flavor, started));

    [Fact]
    public void Version_output_tells_the_flavor()
    {
        Assert.Equal(PbsFlavor.PbsPro, PbsParsers.ParseVersion("pbs_version = 19.1.0\n"));
        Assert.Equal(PbsFlavor.Torque, PbsParsers.ParseVersion("Version: 6.1.2\nCommit: 661e092\n"));
        Assert.Null(PbsParsers.ParseVersion("qstat: command not found"));
    }

    [Fact]
    public void Owner_filter_and_name_filter()
    {
        PbsJob[] jobs =
        [
            new("1.s", "autopilot-a", "Q", Owner: "alice@login1"),
            new("2.s", "autopilot-a", "Q", Owner: "bob@login1"),
            new("3.s", "autopilot-b", "R", Owner: "alice@login2"),
            new("4.s", "other", "R", Owner: "alice@login2"),
        ];
        Assert.Equal(["1.s", "3.s"], PbsParsers.ToPilots(jobs, ["autopilot-a", "autopilot-b"], PbsFlavor.PbsPro, "alice").Select(p => p.Id));
    }
}
