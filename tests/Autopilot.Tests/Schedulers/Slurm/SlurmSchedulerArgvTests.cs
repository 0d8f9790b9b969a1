using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.Tests.Schedulers.Slurm;

/// <summary>The exact argv of squeue/sbatch/scancel/sacct, through a recording runner.</summary>
public sealed class SlurmSchedulerArgvTests : IDisposable
{
    private const string Format = "%i\u001F%F\u001F%K\u001F%j\u001F%T\u001F%r\u001F%V\u001F%S\u001F%l\u001F%k";
    private readonly string _logs = Path.Combine(Path.GetTempPath(), "ap-slurm-argv-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_logs))
        {
            Directory.Delete(_logs, true);
        }
    }

    private SubmitRequest Request(int count, bool useArray = true, SchedulerOptions? options = null) => new(
        "gpu", "autopilot-gpu", "/srv/pilots/gpu.sh", count,
        options ?? new SchedulerOptions
        {
            Kind = "slurm",
            Queue = "debug",
            Account = "proj1",
            Walltime = TimeSpan.FromHours(26) + TimeSpan.FromMinutes(3),
            Cpus = 4,
            MemoryMb = 8192,
            Nodes = 1,
            ExtraArgs = ["--signal=B:USR1@600", "--qos=normal"],
            CommandTimeout = TimeSpan.FromSeconds(17),
        },
        _logs,
        useArray);

    [Fact]
    public async Task List_is_one_squeue_for_all_names()
    {
        var runner = new RecordingRunner().Returns(0, string.Join('\u001F', "9", "9", "N/A", "autopilot-b", "RUNNING", "None", "N/A", "N/A", "1:00", PilotMarker.Default) + "\n");
        var pilots = await new SlurmScheduler(runner).ListAsync(new PilotQuery(["autopilot-a", "autopilot-b"]), default);
        var call = Assert.Single(runner.Calls);
        Assert.Equal(["squeue", "--me", "--name=autopilot-a,autopilot-b", "-h", "-r", "-o", Format], RecordingRunner.Argv(call));
        Assert.Equal(TimeSpan.FromSeconds(30), call.Timeout);
        Assert.Equal("standard", call.Environment!["SLURM_TIME_FORMAT"]);
        Assert.Equal("9", Assert.Single(pilots).Id);
    }

    [Fact]
    public async Task List_with_finished_and_user_uses_t_all_and_u()
    {
        var runner = new RecordingRunner().Returns(0, "");
        var scheduler = new SlurmScheduler(runner, defaults: new SchedulerOptions { Kind = "slurm", BinDir = "/opt/slurm/bin", CommandTimeout = TimeSpan.FromSeconds(5) });
        Assert.Empty(await scheduler.ListAsync(new PilotQuery(["autopilot-a"], IncludeFinished: true, User: "alice"), default));
        var call = Assert.Single(runner.Calls);
        Assert.Equal(["/opt/slurm/bin/squeue", "-u", "alice", "--name=autopilot-a", "-h", "-r", "-t", "all", "-o", Format], RecordingRunner.Argv(call));
        Assert.Equal(TimeSpan.FromSeconds(5), call.Timeout);
    }

    [Fact]
    public async Task List_drops_finished_unless_asked()
    {
        var rows = string.Join('\n',
            string.Join('\u001F', "9", "9", "N/A", "autopilot-a", "COMPLETED", "None", "N/A", "N/A", "1:00", PilotMarker.Default),
            string.Join('\u001F', "10", "10", "N/A", "autopilot-a", "PENDING", "Priority", "N/A", "N/A", "1:00", PilotMarker.Default));
        var pilots = await new SlurmScheduler(new RecordingRunner().Returns(0, rows)).ListAsync(new PilotQuery(["autopilot-a"]), default);
        Assert.Equal("10", Assert.Single(pilots).Id);
    }

    [Fact]
    public async Task List_maps_a_truncated_name_back_to_the_one_requested_name_it_starts()
    {
        var row = string.Join('\u001F', "9", "9", "N/A", "autopilot-verylong", "RUNNING", "None", "N/A", "N/A", "1:00", PilotMarker.Default);
        var pilots = await new SlurmScheduler(new RecordingRunner().Returns(0, row)).ListAsync(new PilotQuery(["autopilot-verylongpoolname", "autopilot-b"]), default);
        Assert.Equal("autopilot-verylongpoolname", Assert.Single(pilots).Name);
    }

    [Fact]
    public async Task List_failures_are_scheduler_exceptions()
    {
        var list = new PilotQuery(["autopilot-a"]);
        var down = new RecordingRunner().Returns(1, "", "slurm_load_jobs error: Unable to contact slurm controller (connect failure)");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(down).ListAsync(list, default));
        Assert.Contains("Unable to contact slurm controller", ex.Message);
        Assert.Contains("squeue", ex.Message);

        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(new RecordingRunner().TimesOut()).ListAsync(list, default));
        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(new RecordingRunner().CannotStart()).ListAsync(list, default));
        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(new RecordingRunner().Returns(0, "", truncated: true)).ListAsync(list, default));
        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(new RecordingRunner()).ListAsync(new PilotQuery(["a,b"]), default));
    }

    [Fact]
    public async Task Submit_array()
    {
        var runner = new RecordingRunner().Returns(0, "4242;cluster1\n");
        var result = await new SlurmScheduler(runner).SubmitAsync(Request(3), default);
        Assert.Equal(["4242_1", "4242_2", "4242_3"], result.JobIds);
        Assert.Equal("4242", result.ArrayJobId);
        var call = Assert.Single(runner.Calls);
        Assert.Equal(
            ["sbatch", "--parsable", "--job-name=autopilot-gpu", "--comment=autopilot", "--export=NONE", "--partition=debug", "--account=proj1", "--time=1-02:03:00", "--cpus-per-task=4",
             "--mem=8192M", "--nodes=1", $"--output={_logs}/%x-%A_%a.out", "--open-mode=append", "--array=1-3", "--signal=B:USR1@600", "--qos=normal", "/srv/pilots/gpu.sh"],
            RecordingRunner.Argv(call));
        Assert.Equal(TimeSpan.FromSeconds(17), call.Timeout);
        Assert.True(Directory.Exists(_logs));
    }

    [Fact]
    public async Task Submit_one()
    {
        var runner = new RecordingRunner().Returns(0, "Submitted batch job 77\n");
        var options = new SchedulerOptions { Kind = "slurm", Walltime = TimeSpan.FromMinutes(30) };
        var result = await new SlurmScheduler(runner).SubmitAsync(Request(1, options: options), default);
        Assert.Equal(["77"], result.JobIds);
        Assert.Null(result.ArrayJobId);
        Assert.Equal(
            ["sbatch", "--parsable", "--job-name=autopilot-gpu", "--comment=autopilot", "--export=NONE", "--time=0-00:30:00", "--cpus-per-task=1", "--nodes=1", $"--output={_logs}/%x-%j.out", "--open-mode=append", "/srv/pilots/gpu.sh"],
            RecordingRunner.Argv(Assert.Single(runner.Calls)));
    }

    [Fact]
    public async Task Submit_without_arrays_is_k_sbatch_calls()
    {
        var runner = new RecordingRunner().Returns(0, "1\n").Returns(0, "2\n").Returns(0, "3\n");
        var result = await new SlurmScheduler(runner).SubmitAsync(Request(3, useArray: false), default);
        Assert.Equal(["1", "2", "3"], result.JobIds);
        Assert.Equal(3, runner.Calls.Count);
        Assert.All(runner.Calls, c => Assert.DoesNotContain(c.Arguments, a => a.StartsWith("--array", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Submit_failure_midway_names_the_ids_already_submitted()
    {
        var runner = new RecordingRunner().Returns(0, "1\n").Returns(1, "", "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(runner).SubmitAsync(Request(3, useArray: false), default));
        Assert.Contains("Socket timed out", ex.Message);
        Assert.Contains("1 of 3", ex.Message);
    }

    [Fact]
    public async Task Submit_refuses_bad_settings_without_running_anything()
    {
        var runner = new RecordingRunner();
        var bad = new SchedulerOptions { Kind = "slurm", Queue = "debug; rm -rf /" };
        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(runner).SubmitAsync(Request(1, options: bad), default));
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task Cancel_passes_ids_and_tolerates_ids_already_gone()
    {
        var runner = new RecordingRunner().Returns(1, "", "scancel: error: Kill job error on job id 5_2: Invalid job id specified\n");
        await new SlurmScheduler(runner).CancelAsync(["5_1", "5_2", "6"], default);
        Assert.Equal(["scancel", "5_1", "5_2", "6"], RecordingRunner.Argv(Assert.Single(runner.Calls)));
    }

    [Fact]
    public async Task Cancel_other_failures_throw()
    {
        var runner = new RecordingRunner().Returns(1, "", "scancel: error: Kill job error on job id 5: Access/permission denied\n");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(runner).CancelAsync(["5"], default));
        Assert.Contains("Access/permission denied", ex.Message);
        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(new RecordingRunner().Returns(1, "", "")).CancelAsync(["5"], default));
    }

    [Theory]
    [InlineData("-u")]
    [InlineData("5_[1-3]")]
    [InlineData("abc")]
    [InlineData("")]
    public async Task Cancel_refuses_anything_but_job_ids(string id)
    {
        var runner = new RecordingRunner();
        await Assert.ThrowsAsync<SchedulerException>(() => new SlurmScheduler(runner).CancelAsync([id], default));
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task Outcomes_fall_back_to_the_completion_log_when_accounting_is_disabled()
    {
        var log = string.Join('\u001F', "23", "23", "autopilot-a", "FAILED", "1:0", "2026-11-21T23:59:19", "2026-11-21T23:59:19") + "\n"
                  + string.Join('\u001F', "24", "24", "not-ours", "FAILED", "1:0", "2026-11-21T23:59:19", "2026-11-21T23:59:19") + "\n";
        // A completion log that is not a readable filetxt file is read through sacct -c.
        var runner = new RecordingRunner()
            .Returns(1, "", "Slurm accounting storage is disabled\n")
            .Returns(0, "JobCompLoc              = /nonexistent/jobcomp.log\nJobCompType             = jobcomp/filetxt\n")
            .Returns(0, log, "sacct: error: Unknown type ArrayJobId: 1\n");
        var since = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
        var report = await new SlurmScheduler(runner, zone: TimeZoneInfo.Utc).OutcomesAsync(new OutcomeQuery(["autopilot-a"], since), default);
        Assert.True(report.Available);
        Assert.Contains("accounting storage is disabled", report.Note);
        var outcome = Assert.Single(report.Outcomes);
        Assert.Equal(("23", PilotEnd.Failed, (int?)1), (outcome.Id, outcome.End, outcome.ExitCode));
        string[] tail = ["-P", "-n", "--delimiter=\u001F", "-X", "--name=autopilot-a", "-S", "2026-11-21T10:00:00", "-E", "now", "-o", "JobID,JobIDRaw,JobName,State,ExitCode,Start,End"];
        Assert.Equal(["sacct", .. tail], RecordingRunner.Argv(runner.Calls[0]));
        Assert.Equal(["scontrol", "show", "config"], RecordingRunner.Argv(runner.Calls[1]));
        Assert.Equal(["sacct", "-c", .. tail], RecordingRunner.Argv(runner.Calls[2]));
    }

    [Fact]
    public async Task Outcomes_from_accounting_when_it_works()
    {
        var rows = string.Join('\u001F', "30_2", "32", "autopilot-a", "TIMEOUT", "0:0", "2026-11-21T23:00:00", "2026-11-21T23:59:19") + "\n";
        var runner = new RecordingRunner().Returns(0, rows);
        var report = await new SlurmScheduler(runner).OutcomesAsync(new OutcomeQuery(["autopilot-a"], DateTimeOffset.UnixEpoch, "alice"), default);
        Assert.True(report.Available);
        Assert.Equal(("30_2", PilotEnd.Walltime), (report.Outcomes[0].Id, report.Outcomes[0].End));
        Assert.Equal(["-u", "alice", "-o"], runner.Calls[0].Arguments.Skip(9).Take(3));
    }

    [Theory]
    [InlineData("autopilot-gpu", null, null, 3600, 0)]
    [InlineData("autopilot gpu", null, null, 3600, 1)]
    [InlineData("autopilot-gpu", "-p", null, 3600, 1)]
    [InlineData("autopilot-gpu", "gpu;reboot", null, 3600, 1)]
    [InlineData("autopilot-gpu", "gpu,debug", "proj 1", 3600, 1)]
    [InlineData("autopilot-gpu", "gpu", "$(id)", 0, 2)]
    [InlineData("", "gpu", null, 3600, 1)]
    public void Validate_settings(string name, string? queue, string? account, int walltimeSeconds, int problems)
    {
        var options = new SchedulerOptions { Kind = "slurm", Queue = queue, Account = account, Walltime = TimeSpan.FromSeconds(walltimeSeconds) };
        var result = new SlurmScheduler(new RecordingRunner()).ValidateSettings(options, name);
        Assert.Equal(problems, result.Count);
    }

    [Fact]
    public void Validate_names_the_key()
    {
        var result = new SlurmScheduler(new RecordingRunner()).ValidateSettings(new SchedulerOptions { Queue = "a b", ExtraArgs = ["--array=1-9"] }, new string('x', 80));
        Assert.Contains(result, m => m.Key == "scheduler.queue");
        Assert.Contains(result, m => m.Key == "scheduler.extra_args" && m.Message.StartsWith("extra_args[0]:", StringComparison.Ordinal));
        Assert.Contains(result, m => m.Key == SettingProblem.JobName && m.Message.Contains("longer than 64", StringComparison.Ordinal));
    }
}
