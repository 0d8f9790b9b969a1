using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Pbs;
using Autopilot.Tests.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Torque;

public sealed class TorqueParserTests
{
    private static string F(string file) => PbsLsfFixtures.Read("torque", file);

    [Fact]
    public void Qsub_output_gives_the_id() => Assert.Equal("3481331.egeon2", PbsParsers.ParseSubmitId(F("qsub__torque_issue312.txt")));

    [Fact]
    public void Qsub_usage_error_is_not_an_id() => Assert.Throws<FormatException>(() => PbsParsers.ParseSubmitId(F("qsub_J_option_error_exit2_torque613__nf_issue5218.txt")));

    [Fact]
    public void Xml_queued_job()
    {
        var job = Assert.Single(TorqueXmlParser.Parse(F("qstat_x_queued__batcheuphoria.xml"), TimeZoneInfo.Utc));
        Assert.Equal(("4499334.pbsserver", "r180328_183957634_pid_4_starAlignment", "Q", "otp-data"), (job.Id, job.Name, job.State, job.OwnerUser));
        Assert.Equal(TimeSpan.FromHours(5), job.Walltime);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1522255162), job.QueueTime);
        var pilot = PbsParsers.ToPilot(job, PbsFlavor.Torque);
        Assert.Equal((PilotState.Queued, PendingKind.Resources), (pilot.State, pilot.PendingKind));
    }

    [Fact]
    public void Xml_completed_job_with_raw_newlines_in_sched_hint()
    {
        var job = Assert.Single(TorqueXmlParser.Parse(F("qstat_x_completed_multiline_sched_hint__batcheuphoria.xml"), TimeZoneInfo.Utc));
        Assert.Equal(("4564045.pbsserver", "r180405_163953553_stds_snvJoinVcfFiles", "C", 0), (job.Id, job.Name, job.State, job.ExitStatus));
        Assert.Equal(TimeSpan.FromHours(4), job.Walltime);
        var outcome = Assert.Single(PbsParsers.ToOutcomes([job], [job.Name], PbsFlavor.Torque, DateTimeOffset.MinValue));
        Assert.Equal(PilotEnd.Completed, outcome.End);
        Assert.Empty(PbsParsers.ToPilots([job], [job.Name], PbsFlavor.Torque));
    }

    [Fact]
    public void Xml_edge_cases()
    {
        Assert.Empty(TorqueXmlParser.Parse(""));
        Assert.Throws<FormatException>(() => TorqueXmlParser.Parse("<Data><Job><Job_Id>1</Job_Id><job_state>Q"));
        Assert.Throws<FormatException>(() => TorqueXmlParser.Parse("qstat: cannot connect to server"));
        var jobs = TorqueXmlParser.Parse("<?xml version=\"1.0\"?><Data><Job><Job_Id>9[2].s</Job_Id><Job_Name>a&amp;b</Job_Name><job_state>R</job_state><comment>x < y</comment></Job></Data>");
        var job = Assert.Single(jobs);
        Assert.Equal(("9[2].s", "a&b", "R", 2, "9[].s", "x < y"), (job.Id, job.Name, job.State, job.ArrayIndex!.Value, job.ArrayParentId, job.Comment));
    }

    [Fact]
    public void Full_text_ids_without_server_suffix()
    {
        var jobs = PbsParsers.ParseFullText(F("qstat_f_tab_continuation_jobid_without_server__aiida.txt"), TimeZoneInfo.Utc);
        Assert.Equal(
            [("549159", "H"), ("555716", "R"), ("556491", "R"), ("546437", "C"), ("547637", "Q"), ("547683", "Q"), ("549004", "Q"), ("549005", "Q"), ("549008", "Q"), ("543984", "C")],
            jobs.Select(j => (j.Id, j.State)));
        Assert.Equal("somejob010", jobs[2].Name);
        Assert.Equal(TimeSpan.FromHours(144), jobs[2].Walltime);
        Assert.Equal(271, jobs[3].ExitStatus);
        var outcomes = PbsParsers.ToOutcomes(jobs, ["job_546437", "job_543984"], PbsFlavor.Torque, DateTimeOffset.MinValue);
        Assert.All(outcomes, o => Assert.Equal((PilotEnd.Cancelled, 271), (o.End, o.ExitCode)));
        Assert.Equal(2, outcomes.Count);
    }

    [Theory]
    [InlineData("qstat_unknown_job_id_error_torque51_stderr__torque_issue312.txt")]
    [InlineData("qstat_unknown_job_id_stderr__kale_issue47.txt")]
    public void Unknown_job_id_wordings(string file) => Assert.True(PbsParsers.IsUnknownJob(F(file)));

    [Fact]
    public void Cancel_in_progress_is_already_ending() => Assert.True(PbsParsers.IsAlreadyEnded(F("qdel_cancel_in_progress_stderr__cbio_issue25.txt")));

    [Fact]
    public void Validation_flags_long_names_and_J_for_torque()
    {
        var torque = new PbsScheduler("torque", new Autopilot.Processes.ProcessRunner());
        var problems = torque.ValidateSettings(new SchedulerOptions { Kind = "torque", ExtraArgs = ["-J", "x"] }, "autopilot-gpu-pool");
        Assert.Contains(problems, p => p.Key == SettingProblem.JobName && p.Message.Contains("15", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == "scheduler.extra_args" && p.Message.StartsWith("Torque's qsub has no -J", StringComparison.Ordinal));
        Assert.Empty(torque.ValidateSettings(new SchedulerOptions { Kind = "torque" }, "ap-gpu"));

        var pbs = new PbsScheduler("pbs", new Autopilot.Processes.ProcessRunner());
        Assert.Empty(pbs.ValidateSettings(new SchedulerOptions { Kind = "pbs" }, "autopilot-gpu-pool"));
        Assert.NotEmpty(pbs.ValidateSettings(new SchedulerOptions { Kind = "pbs", Flavor = "torque" }, "autopilot-gpu-pool"));
        Assert.Contains(pbs.ValidateSettings(new SchedulerOptions { Kind = "pbs", Flavor = "slurm" }, "ap"), p => p.Key == "scheduler.flavor");
    }

    [Theory]
    [InlineData("workq", null, 0)]
    [InlineData("-workq", null, 1)]
    [InlineData("work q", null, 1)]
    [InlineData("workq;rm", null, 1)]
    [InlineData("workq", "$(id)", 1)]
    [InlineData("workq@server", "proj-1.a", 0)]
    public void Validation_of_queue_and_account(string queue, string? account, int problems)
    {
        var pbs = new PbsScheduler("pbs", new Autopilot.Processes.ProcessRunner());
        Assert.Equal(problems, pbs.ValidateSettings(new SchedulerOptions { Kind = "pbs", Queue = queue, Account = account }, "autopilot-p").Count);
    }
}
