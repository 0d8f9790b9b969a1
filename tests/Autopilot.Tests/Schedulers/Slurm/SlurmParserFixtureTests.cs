using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.Tests.Schedulers.Slurm;

/// <summary>Every Slurm fixture that shows a squeue listing, an sbatch submission, a scancel error or sacct output (see tests/fixtures/schedulers/slurm/SOURCES.md).</summary>
public sealed class SlurmParserFixtureTests
{
    private static IReadOnlyList<Pilot> Squeue(string file, SqueueLayout layout) =>
        SlurmParser.ParseSqueue(SlurmFixtures.Read(file), layout, SlurmFixtures.Zone);

    /// <summary>
    /// Autopilot's squeue format before the job comment (%k, the pilot marker) was added as a last
    /// column: the two local captures below were taken with it.
    /// </summary>
    private static readonly SqueueLayout WithoutComment = SqueueLayout.FromFormat("%i\u001F%F\u001F%K\u001F%j\u001F%T\u001F%r\u001F%V\u001F%S\u001F%l");

    private static (string Id, PilotState State)[] IdsAndStates(IEnumerable<Pilot> pilots) => pilots.Select(p => (p.Id, p.State)).ToArray();

    [Fact]
    public void Local_capture_without_r_expands_the_held_array_range()
    {
        var pilots = Squeue("squeue_autopilot_format_pending_range__local_capture.txt", WithoutComment);
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
        var expanded = Squeue("squeue_autopilot_format_pending_range__local_capture.txt", WithoutComment);
        var perLine = Squeue("squeue_autopilot_format_r__local_capture.txt", WithoutComment);
        Assert.Equal(expanded, perLine);
    }

    [Fact]
    public void Manpage_default_listing()
    {
        var pilots = Squeue("squeue_default__manpage.txt", SqueueLayout.Headered());
        Assert.Equal([("12345", PilotState.Running), ("12346", PilotState.Queued), ("12348", PilotState.Queued)], IdsAndStates(pilots));
        Assert.Equal(["job1", "job2", "job3"], pilots.Select(p => p.Name));
        Assert.Equal(("Resources", PendingKind.Resources), (pilots[1].PendingReason, pilots[1].PendingKind));
        Assert.Equal(("Priority", PendingKind.Resources), (pilots[2].PendingReason, pilots[2].PendingKind));
        Assert.Null(pilots[0].PendingReason); // dev[9-12] is a node list, not a reason
    }

    [Fact]
    public void Manpage_id_and_priority_only_gives_ids_with_unknown_state()
    {
        var pilots = Squeue("squeue_o_dot6i_p__manpage.txt", SqueueLayout.Headered());
        Assert.Equal([("65543", PilotState.Unknown), ("65544", PilotState.Unknown), ("65545", PilotState.Unknown)], IdsAndStates(pilots));
    }

    [Fact]
    public void Array_doc_pending_range_is_one_queued_pilot_per_element()
    {
        var pilots = Squeue("squeue_array_pending_range__job_array_doc.txt", SqueueLayout.Headered());
        Assert.Equal(1024, pilots.Count);
        var queued = pilots.Where(p => p.State == PilotState.Queued).ToArray();
        Assert.Equal(1020, queued.Length);
        Assert.Equal("1080_5", queued[0].Id);
        Assert.Equal("1080_1024", queued[^1].Id);
        Assert.All(queued, p => Assert.Equal(("1080", "Resources", "tmp"), (p.ArrayJobId, p.PendingReason, p.Name)));
        Assert.Equal(Enumerable.Range(5, 1020), queued.Select(p => p.ArrayIndex!.Value));
        Assert.Equal([("1080_1", PilotState.Running), ("1080_2", PilotState.Running), ("1080_3", PilotState.Running), ("1080_4", PilotState.Running)],
            IdsAndStates(pilots.Where(p => p.State != PilotState.Queued)));
    }

    [Fact]
    public void Array_doc_one_per_line()
    {
        var pilots = Squeue("squeue_r_array_one_per_line__job_array_doc.txt", SqueueLayout.Headered());
        Assert.Equal(
            [("1082_3", PilotState.Queued), ("1082_4", PilotState.Queued), ("1080", PilotState.Running), ("1081", PilotState.Running), ("1082_1", PilotState.Running), ("1082_2", PilotState.Running)],
            IdsAndStates(pilots));
        Assert.Equal(["Resources", "Priority"], pilots.Take(2).Select(p => p.PendingReason));
        Assert.Equal((int?)3, pilots[0].ArrayIndex);
        Assert.Null(pilots[2].ArrayIndex);
    }

    [Fact]
    public void Array_doc_running_elements()
    {
        var pilots = Squeue("squeue_array_running__job_array_doc.txt", SqueueLayout.Headered());
        Assert.Equal(["21845_1", "21845_2", "21845_3", "21845_4"], pilots.Select(p => p.Id));
        Assert.All(pilots, p => Assert.Equal((PilotState.Running, "21845", "array"), (p.State, p.ArrayJobId, p.Name)));
    }

    [Fact]
    public void Array_doc_suspended_elements_count_as_running()
    {
        var pilots = Squeue("squeue_array_suspended__job_array_doc.txt", SqueueLayout.Headered());
        Assert.Equal(["21845_1", "21845_2", "21845_3", "21845_4"], pilots.Select(p => p.Id));
        Assert.All(pilots, p => Assert.Equal((PilotState.Running, "S"), (p.State, p.RawState)));
        Assert.Equal("arturo", pilots[1].Name);
    }

    [Fact]
    public void Nextflow_id_and_compact_state()
    {
        var pilots = Squeue("squeue_noheader_o_i_t__nextflow.txt", SqueueLayout.FromFormat("%i %t"));
        Assert.Equal(
            [("5", PilotState.Queued), ("6", PilotState.Queued), ("13", PilotState.Running), ("14", PilotState.Finished), ("15", PilotState.Finished), ("4", PilotState.Running), ("22", PilotState.Running)],
            IdsAndStates(pilots));
    }

    [Fact]
    public void Aiida_caret_separated_fourteen_fields()
    {
        var layout = SqueueLayout.FromFormat("%i^^^%t^^^%r^^^%B^^^%u^^^%D^^^%C^^^%R^^^%P^^^%l^^^%M^^^%S^^^%j^^^%V");
        Assert.Equal("^^^", layout.Delimiter);
        var pilots = Squeue("squeue_noheader_o_caret_sep_14fields__aiida.txt", layout);
        Assert.Equal(
            [("862540", PilotState.Queued), ("863100", PilotState.Queued), ("863546", PilotState.Queued), ("863313", PilotState.Held),
             ("862538", PilotState.Running), ("861352", PilotState.Running), ("863553", PilotState.Running), ("863554", PilotState.Running)],
            IdsAndStates(pilots));
        Assert.Equal(
            [PendingKind.BeginTime, PendingKind.Resources, PendingKind.Resources, PendingKind.Held],
            pilots.Take(4).Select(p => p.PendingKind));
        Assert.Equal("longsqw_L24_q_10_0", pilots[0].Name);
        Assert.Equal(TimeSpan.FromDays(1), pilots[0].TimeLimit);
        Assert.Equal(TimeSpan.FromMinutes(10), pilots[1].TimeLimit);
        Assert.Null(pilots[7].TimeLimit); // NOT_SET
        Assert.Equal(SlurmFixtures.Utc("2013-05-22T01:41:11"), pilots[0].SubmitTime);
        Assert.Null(pilots[1].StartTime); // pending: the expected start is not kept
        Assert.Equal(SlurmFixtures.Utc("2013-05-23T11:41:30"), pilots[4].StartTime);
    }

    [Fact]
    public void Ood_unit_separated_listing_with_header()
    {
        var pilots = Squeue("squeue_O_unit_separator__ood_core.txt", SqueueLayout.Headered(SqueueLayout.UnitSeparator));
        Assert.Equal(
            [("6779842", PilotState.Running), ("6787542", PilotState.Running), ("6769365", PilotState.Running), ("6783828", PilotState.Finished)],
            IdsAndStates(pilots));
        // This real job name contains the unit separator itself; the fields around it still line up.
        Assert.Equal("cupd3_n_fcc_mix_n15\u001Fcohp", pilots[0].Name);
        Assert.Equal("ondemand/sys/dashboard/sys/bc_osc_vmd", pilots[1].Name);
        Assert.Equal(TimeSpan.FromDays(4), pilots[0].TimeLimit);
        Assert.Equal(SlurmFixtures.Utc("2026-03-10T12:34:28"), pilots[0].SubmitTime);
        Assert.Equal(SlurmFixtures.Utc("2026-03-10T12:34:51"), pilots[0].StartTime);
        Assert.Equal(("TIMEOUT", TimeSpan.FromHours(2)), (pilots[3].RawState, pilots[3].TimeLimit));
        Assert.Null(pilots[0].ArrayJobId);
    }

    [Fact]
    public void Ood_two_jobs_completed_and_pending()
    {
        var pilots = Squeue("squeue_O_unit_separator_2jobs__ood_core.txt", SqueueLayout.Headered(SqueueLayout.UnitSeparator));
        Assert.Equal([("5096321", PilotState.Finished), ("4320602", PilotState.Queued)], IdsAndStates(pilots));
        Assert.Equal(("Resources", PendingKind.Resources, TimeSpan.FromDays(2)), (pilots[1].PendingReason, pilots[1].PendingKind, pilots[1].TimeLimit));
        Assert.Equal("LES-data-init", pilots[1].Name);
    }

    [Fact]
    public void Ood_cluster_header_line_is_skipped()
    {
        var pilots = Squeue("squeue_M_cluster_header_O_unit_separator__ood_core.txt", SqueueLayout.Headered(SqueueLayout.UnitSeparator));
        Assert.Equal([("5096321", PilotState.Finished), ("4320602", PilotState.Queued)], IdsAndStates(pilots));
    }

    [Fact]
    public void Ood_array_task_with_non_utf8_name()
    {
        var pilots = Squeue("squeue_O_unit_separator_array_task_nonutf8_name__ood_core.txt", SqueueLayout.Headered(SqueueLayout.UnitSeparator));
        var p = Assert.Single(pilots);
        Assert.Equal(("29471683_9", PilotState.Finished, "29471683", (int?)9), (p.Id, p.State, p.ArrayJobId, p.ArrayIndex));
        Assert.Equal("\uFFFD non-utf8", p.Name);

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
    public void Sacct_ood_unit_separated()
    {
        var layout = SacctLayout.FromFormat("User,Group,JobId,JobName,Elapsed,ReqMem,AllocCPUS,ReqCPUS,Timelimit,State,TotalCPU,MaxRSS,Partition,Submit,Start,End,ReqTRES", SqueueLayout.UnitSeparator);
        var rows = SlurmParser.ParseSacct(SlurmFixtures.Read("sacct_P_n_delim_x1f_units_G__ood_core.txt"), layout, SlurmFixtures.Zone);
        Assert.Equal([("20251", "PENDING"), ("20252", "RUNNING"), ("5963565", "CANCELLED by 1001")], rows.Select(r => (r.Id, r.State)));
        Assert.Null(rows[0].Start); // Unknown
        var outcome = Assert.Single(SlurmParser.ToOutcomes(rows));
        Assert.Equal(("5963565", "RStudio", PilotEnd.Cancelled), (outcome.Id, outcome.Name, outcome.End));
        Assert.Equal(SlurmFixtures.Utc("2026-02-11T15:13:00"), outcome.StartTime);
        Assert.Equal(SlurmFixtures.Utc("2026-02-11T15:13:03"), outcome.EndTime);
    }

    [Fact]
    public void Sacct_toil_pipe_separated_with_steps()
    {
        var rows = SlurmParser.ParseSacct(SlurmFixtures.Read("sacct_n_P_JobIDRaw_State_ExitCode__toil.txt"), SacctLayout.FromFormat("JobIDRaw,State,ExitCode", "|"), SlurmFixtures.Zone);
        Assert.Equal(22, rows.Count);
        var outcomes = SlurmParser.ToOutcomes(rows);
        Assert.Equal(
            [
                ("609663", PilotEnd.Failed, (int?)130),
                ("754725", PilotEnd.Walltime, 0),
                ("765096", PilotEnd.Failed, 137),
                ("767925", PilotEnd.Failed, 2),
                ("785023", PilotEnd.Failed, 127),
                ("789456", PilotEnd.Failed, 1),
                ("789869", PilotEnd.Completed, 0),
            ],
            outcomes.Select(o => (o.Id, o.End, o.ExitCode)));
    }

    [Fact]
    public void Sacct_manpage_default_fixed_width_keeps_blank_job_name_in_place()
    {
        var rows = SlurmParser.ParseSacct(SlurmFixtures.Read("sacct_default__manpage.txt"), SacctLayout.Headered(), SlurmFixtures.Zone);
        Assert.Equal([("2", "script01", "RUNNING"), ("3", "script02", "RUNNING"), ("4", "endscript", "RUNNING"), ("4.0", "", "COMPLETED")], rows.Select(r => (r.Id, r.Name, r.State)));
        Assert.Empty(SlurmParser.ToOutcomes(rows)); // running jobs and a step are no outcomes
    }

    [Fact]
    public void Sacct_manpage_format_list()
    {
        var rows = SlurmParser.ParseSacct(SlurmFixtures.Read("sacct_format_jobid_elapsed_ncpus_ntasks_state__manpage.txt"), SacctLayout.Headered(), SlurmFixtures.Zone);
        Assert.Equal(["3", "3.0", "4", "4.0", "5", "5.0"], rows.Select(r => r.Id));
        Assert.All(rows, r => Assert.Equal("COMPLETED", r.State));
        Assert.Equal(["3", "4", "5"], SlurmParser.ToOutcomes(rows).Select(o => o.Id));
    }

    [Fact]
    public void Sacct_manpage_allocations_with_unknown_end()
    {
        var rows = SlurmParser.ParseSacct(SlurmFixtures.Read("sacct_X_jobid_start_end_state__manpage.txt"), SacctLayout.Headered(), SlurmFixtures.Zone);
        Assert.Equal([("2", "COMPLETED"), ("3", "RUNNING"), ("4", "COMPLETED"), ("5", "RUNNING")], rows.Select(r => (r.Id, r.State)));
        Assert.Null(rows[1].End);
        Assert.Equal(SlurmFixtures.Utc("2014-07-03T11:59:01"), rows[0].End);
        Assert.Equal(["2", "4"], SlurmParser.ToOutcomes(rows).Select(o => o.Id));
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
