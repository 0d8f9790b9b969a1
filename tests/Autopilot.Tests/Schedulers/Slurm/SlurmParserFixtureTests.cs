using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.Tests.Schedulers.Slurm;

/// <summary>Every Slurm fixture that shows a squeue listing, an sbatch submission, a scancel error or sacct output (see tests/fixtures/schedulers/slurm/SOURCES.md).</summary>
public sealed class SlurmParserFixtureTests
{
    /// <summary>
    /// Autopilot's squeue format before the job comment (%k, the pilot marker) was added as a last
    /// column: the two local captures below were taken with it, so each line gets an empty comment.
    /// </summary>
    private static IReadOnlyList<Pilot> SqueueWithoutComment(string file) =>
        SlurmParser.ParseSqueue(
            string.Join('\n', SlurmFixtures.Read(file).Split('\n').Select(l => l.Length == 0 ? l : l + SlurmParser.UnitSeparator)),
            SlurmFixtures.Zone);

    private static (string Id, PilotState State)[] IdsAndStates(IEnumerable<Pilot> pilots) => pilots.Select(p => (p.Id, p.State)).ToArray();

    [Fact]
    public void Local_capture_without_r_expands_the_held_array_range()
    {
        var pilots = SqueueWithoutComment("squeue_autopilot_format_pending_range__local_capture.txt");
        Assert.Equal(
            [("23", PilotState.Finished), ("22", PilotState.Queued), ("21_1", PilotState.Held), ("21_2", PilotState.Held), ("21_3", PilotState.Held), ("21_4", PilotState.Held), ("20", PilotState.Running)],
            IdsAndStates(pilots));
        Assert.All(pilots, p => Assert.Equal("apcap-10459", p.Name));

        var begin = pilots[1];
        Assert.Equal(PendingKind.BeginTime, begin.PendingKind);
        Assert.Equal("BeginTime", begin.PendingReason);
        Assert.Null(begin.StartTime); // an expected start is not a start
        Assert.Null(begin.TimeLimit); // UNLIMITED

        var held = pilots[2];
        Assert.Equal(PendingKind.Held, held.PendingKind);
        Assert.Equal("JobHeldUser", held.PendingReason);
        Assert.Equal("21", held.ArrayJobId);
        Assert.Equal(1, held.ArrayIndex);
        Assert.Equal(TimeSpan.FromDays(1), held.TimeLimit);

        var running = pilots[6];
        Assert.Null(running.PendingReason);
        Assert.Equal(PendingKind.None, running.PendingKind);
        Assert.Equal(SlurmFixtures.Utc("2026-11-21T23:59:18"), running.SubmitTime);
        Assert.Equal(SlurmFixtures.Utc("2026-11-21T23:59:19"), running.StartTime);
        Assert.Equal(TimeSpan.FromMinutes(5), running.TimeLimit);
        Assert.Null(running.ArrayJobId);
        Assert.Equal("FAILED", pilots[0].RawState);
    }

    [Fact]
    public void Local_capture_with_the_comment_marks_look_alikes_foreign()
    {
        var pilots = SlurmParser.ParseSqueue(SlurmFixtures.Read("squeue_autopilot_format_comment__local_capture.txt"), SlurmFixtures.Zone, PilotMarker.Default);
        Assert.Equal([("12", true), ("11_1", true), ("11_2", true), ("10", false)], pilots.Select(p => (p.Id, p.Foreign)));
        // A separator inside a comment stays in the comment: the name is still read right.
        Assert.All(pilots, p => Assert.Equal("capt-mark", p.Name));
        Assert.All(pilots, p => Assert.Equal(PilotState.Held, p.State));

        // Without a marker to compare with (other tools' use of the parser) nothing is foreign.
        Assert.DoesNotContain(SlurmParser.ParseSqueue(SlurmFixtures.Read("squeue_autopilot_format_comment__local_capture.txt"), SlurmFixtures.Zone), p => p.Foreign);
    }

    [Fact]
    public void Local_capture_with_r_gives_the_same_pilots_as_the_expanded_range()
    {
        var expanded = SqueueWithoutComment("squeue_autopilot_format_pending_range__local_capture.txt");
        var perLine = SqueueWithoutComment("squeue_autopilot_format_r__local_capture.txt");
        Assert.Equal(expanded, perLine);
    }

    [Fact]
    public void An_array_task_with_a_non_utf8_name_is_refused_not_guessed()
    {
        // As squeue printed it in squeue_O_unit_separator_array_task_nonutf8_name__ood_core.txt.
        IReadOnlyList<Pilot> pilots = [new Pilot("29471683_9", "\uFFFD non-utf8", PilotState.Finished, "COMPLETED", ArrayIndex: 9, ArrayJobId: "29471683")];

        // Listed by name, such a row cannot be attributed to a pool: refused, not guessed.
        var ex = Assert.Throws<SchedulerException>(() => SlurmScheduler.MatchNames(pilots, ["autopilot-a", "autopilot-b"]));
        Assert.Contains("29471683_9", ex.Message);
    }

    [Theory]
    [InlineData("sbatch_plain__manpage.txt", "34987", null)]
    [InlineData("sbatch_plain_legacy_prefix__faq.txt", "65541", null)]
    [InlineData("sbatch_plain_on_cluster__nextflow.txt", "630114", "mpp2")]
    [InlineData("sbatch_plain_on_cluster__parsl_pr2636.txt", "60060368", "slaking")]
    [InlineData("sbatch_plain_on_cluster_slurm22.05__snakemake_slurm_issue121.txt", "3969755", "nautilus")]
    [InlineData("sbatch_parsable_with_cluster__clusterfutures_pr24.txt", "75168975", "clustername")]
    [InlineData("sbatch_site_wrapper_bare_jobid__daskjq_issue209.txt", "15786755", null)]
    public void Sbatch_outputs(string file, string id, string? cluster)
    {
        Assert.Equal(new SbatchResult(id, cluster), SlurmParser.ParseSbatch(SlurmFixtures.Read(file)));
    }

    [Theory]
    [InlineData("scancel_invalid_job_id_stderr__firecrest_pr54.txt", "5")]
    [InlineData("scancel_verbose_invalid_job_id_stderr__gwf_issue259.txt", "4728169")]
    public void Scancel_invalid_id_means_already_gone(string file, string id)
    {
        var report = SlurmParser.ParseScancel(SlurmFixtures.Read(file));
        Assert.Equal([id], report.GoneIds);
        Assert.Empty(report.Errors);
    }

    [Fact]
    public void Sacct_local_completion_log_capture()
    {
        var rows = SlurmParser.ParseSacct(SlurmFixtures.Read("sacct_c_autopilot_format__local_capture.txt"), SlurmFixtures.Zone);
        var outcomes = SlurmParser.ToOutcomes(rows, ["apcap-10459"]);
        Assert.Equal(
            [("23", PilotEnd.Failed, (int?)1), ("22", PilotEnd.Cancelled, 0), ("21", PilotEnd.Cancelled, 0), ("20", PilotEnd.Cancelled, 0)],
            outcomes.Select(o => (o.Id, o.End, o.ExitCode)));
        Assert.Empty(SlurmParser.ToOutcomes(rows, ["someone-else"]));
    }

    [Fact]
    public async Task Squeue_single_unknown_job_error_is_a_scheduler_exception_naming_command_and_stderr()
    {
        var runner = new RecordingRunner().Returns(1, "", SlurmFixtures.Read("squeue_single_unknown_job_stderr__aiida_comment.txt"));
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(runner).ListAsync(new PilotQuery(["autopilot-a"]), default));
        Assert.Contains("squeue", ex.Message);
        Assert.Contains("Invalid job id specified", ex.Message);
    }

    [Fact]
    public async Task Sbatch_invalid_account_is_a_scheduler_exception_naming_command_and_stderr()
    {
        var runner = new RecordingRunner().Returns(1, "", SlurmFixtures.Read("sbatch_invalid_account_stderr_exit1__seml_issue42.txt"));
        var request = new SubmitRequest("a", "autopilot-a", "/tmp/pilot.sh", 1, new() { Kind = "slurm" }, Path.GetTempPath());
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(runner).SubmitAsync(request, default));
        Assert.Contains("sbatch", ex.Message);
        Assert.Contains("Invalid account or account/partition combination specified", ex.Message);
    }

    [Fact]
    public async Task Sacct_database_error_then_no_completion_log_is_unavailable_with_the_reason()
    {
        var runner = new RecordingRunner()
            .Returns(1, "", SlurmFixtures.Read("sacct_db_error_stderr__toil.txt"))
            .Returns(0, "JobCompType             = jobcomp/none\n")
            .Returns(1, "", "sacct: error: jobcomp plugin not configured");
        var report = await new SlurmScheduler(runner).OutcomesAsync(new OutcomeQuery(["autopilot-a"], DateTimeOffset.UnixEpoch), default);
        Assert.False(report.Available);
        Assert.Contains("Problem talking to the database", report.Note);
        Assert.Contains("jobcomp plugin not configured", report.Note);
        Assert.Equal(3, runner.Calls.Count);
    }
}
