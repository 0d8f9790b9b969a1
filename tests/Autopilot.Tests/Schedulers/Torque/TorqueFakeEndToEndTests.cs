using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Pbs;
using Autopilot.Tests.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Torque;

/// <summary>The Torque side of the PBS adapter end to end against fake Torque commands.</summary>
public sealed class TorqueFakeEndToEndTests
{
    private static string F(string file) => PbsLsfFixtures.Read("torque", file);

    private static PbsScheduler Torque(FakeBin bin) =>
        new("torque", new ProcessRunner(), defaults: new SchedulerOptions { Kind = "torque", BinDir = bin.Dir, CommandTimeout = TimeSpan.FromSeconds(20) }, zone: TimeZoneInfo.Utc);

    [Fact]
    public async Task Kind_torque_lists_with_qstat_x_t_and_never_asks_the_version()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qstat", stdout: F("qstat_x_queued__batcheuphoria.xml"));
        var pilots = await Torque(bin).ListAsync(new PilotQuery(["r180328_183957634_pid_4_starAlignment"], User: "otp-data"), CancellationToken.None);
        var pilot = Assert.Single(pilots);
        Assert.Equal(("4499334.pbsserver", PilotState.Queued, TimeSpan.FromHours(5)), (pilot.Id, pilot.State, pilot.TimeLimit));
        var call = Assert.Single(bin.Calls());
        FakeBin.AssertCall(call, "qstat", "-x", "-t");

        Assert.Empty(await Torque(bin).ListAsync(new PilotQuery(["r180328_183957634_pid_4_starAlignment"], User: "someone"), CancellationToken.None));
    }

    [Fact]
    public async Task Factory_adapter_uses_the_pools_bin_dir_for_listing()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qstat", stdout: F("qstat_x_queued__batcheuphoria.xml"));
        var torque = SchedulerFactory.Create(new SchedulerOptions { Kind = "torque", BinDir = bin.Dir }, new ProcessRunner(), "/tmp", Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System);
        Assert.Single(await torque.ListAsync(new PilotQuery(["r180328_183957634_pid_4_starAlignment"], User: "otp-data"), CancellationToken.None));
        FakeBin.AssertCall(Assert.Single(bin.Calls()), "qstat", "-x", "-t");
    }

    [Fact]
    public async Task Kind_pbs_with_flavor_auto_detects_torque()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qstat", stdout: F("qstat_x_completed_multiline_sched_hint__batcheuphoria.xml"));
        var pbs = new PbsScheduler("pbs", new ProcessRunner(), defaults: new SchedulerOptions { Kind = "pbs", BinDir = bin.Dir }, zone: TimeZoneInfo.Utc);
        var pilots = await pbs.ListAsync(new PilotQuery(["r180405_163953553_stds_snvJoinVcfFiles"], IncludeFinished: true, User: "otp-data"), CancellationToken.None);
        Assert.Equal(PilotState.Finished, Assert.Single(pilots).State);
        Assert.Equal(["qstat --version", "qstat -x -t"], bin.Calls().Select(c => c.Command + " " + string.Join(' ', c.Args)));
    }

    [Fact]
    public async Task Submit_array_uses_t_and_nodes_ppn()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qsub", stdout: "3481331[].egeon2\n");
        var options = new SchedulerOptions { Kind = "torque", BinDir = bin.Dir, Queue = "batch", Walltime = TimeSpan.FromHours(2), Cpus = 2, MemoryMb = 2048 };
        var result = await Torque(bin).SubmitAsync(new SubmitRequest("p", "ap-p", bin.Script, 4, options, "/logs"), CancellationToken.None);
        Assert.Equal(["3481331[1].egeon2", "3481331[2].egeon2", "3481331[3].egeon2", "3481331[4].egeon2"], result.JobIds);
        var call = Assert.Single(bin.Calls());
        Assert.Equal(["-N", "ap-p", "-q", "batch", "-l", "walltime=02:00:00", "-l", "nodes=1:ppn=2,mem=2048mb", "-t", "1-4", "-o", "/logs", "-e", "/logs", bin.Script], call.Args);
    }

    [Fact]
    public async Task Submit_single_reads_the_id()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qsub", stdout: F("qsub__torque_issue312.txt"));
        var options = new SchedulerOptions { Kind = "torque", BinDir = bin.Dir };
        var result = await Torque(bin).SubmitAsync(new SubmitRequest("p", "ap-p", bin.Script, 1, options, "/logs"), CancellationToken.None);
        Assert.Equal(["3481331.egeon2"], result.JobIds);
    }

    [Fact]
    public async Task The_fake_qsub_rejects_J_exactly_as_Torque_6_1_3_does()
    {
        using var bin = new FakeBin("torque");
        var result = await new ProcessRunner().RunAsync(new ProcessSpec(Path.Combine(bin.Dir, "qsub"), "-N", "x", "-J", "1-3", bin.Script), CancellationToken.None);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(F("qsub_J_option_error_exit2_torque613__nf_issue5218.txt").Trim(), result.StandardError.Trim());
    }

    [Fact]
    public async Task The_fake_qstat_rejects_F_json()
    {
        using var bin = new FakeBin("torque");
        var result = await new ProcessRunner().RunAsync(new ProcessSpec(Path.Combine(bin.Dir, "qstat"), "-f", "-F", "json"), CancellationToken.None);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("qstat: invalid option -- 'F'", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("qdel_cancel_in_progress_stderr__cbio_issue25.txt", 1)]
    [InlineData("qstat_unknown_job_id_error_torque51_stderr__torque_issue312.txt", 153)]
    public async Task Cancel_ignores_gone_and_cancelling_jobs(string stderrFile, int exit)
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qdel", stderr: F(stderrFile).Replace("qstat:", "qdel:", StringComparison.Ordinal), exit: exit);
        await Torque(bin).CancelAsync(["801668.mskcc-fe1.local", "3481331[2].egeon2"], CancellationToken.None);
        Assert.Equal(["801668.mskcc-fe1.local", "3481331[2].egeon2"], Assert.Single(bin.Calls()).Args);
    }

    [Fact]
    public async Task Outcomes_from_completed_jobs_still_shown()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qstat", stdout: F("qstat_x_completed_multiline_sched_hint__batcheuphoria.xml"));
        var report = await Torque(bin).OutcomesAsync(new OutcomeQuery(["r180405_163953553_stds_snvJoinVcfFiles"], DateTimeOffset.MinValue, "otp-data"), CancellationToken.None);
        Assert.True(report.Available);
        Assert.Equal(PilotEnd.Completed, Assert.Single(report.Outcomes).End);
    }

    [Fact]
    public async Task Listing_failure_is_an_error()
    {
        using var bin = new FakeBin("torque");
        bin.Respond("qstat", stderr: "Cannot connect to default server host 'head' - check pbs_server daemon and/or trqauthd.\nqstat: cannot connect to server head (errno=111) Connection refused\n", exit: 111);
        await Assert.ThrowsAsync<SchedulerException>(() => Torque(bin).ListAsync(new PilotQuery(["x"], User: "u"), CancellationToken.None));
    }
}
