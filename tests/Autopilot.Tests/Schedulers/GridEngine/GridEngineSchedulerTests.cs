using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.GridEngine;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Autopilot.Tests.Schedulers.GridEngine;

public sealed class GridEngineSchedulerTests
{
    /// <summary>Replays canned results in order and records every command it was asked to run.</summary>
    private sealed class RecordingRunner : IProcessRunner
    {
        private readonly Queue<Func<ProcessSpec, ProcessResult>> _replies = new();

        public List<ProcessSpec> Calls { get; } = [];

        public RecordingRunner Reply(int exit, string stdout = "", string stderr = "", bool timedOut = false)
        {
            _replies.Enqueue(spec => new ProcessResult(spec, exit, stdout, stderr, TimeSpan.FromMilliseconds(5), timedOut, false));
            return this;
        }

        public RecordingRunner Throw(Exception ex)
        {
            _replies.Enqueue(_ => throw ex);
            return this;
        }

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            Calls.Add(spec);
            if (_replies.Count == 0)
            {
                throw new InvalidOperationException($"unexpected command: {spec.Display()}");
            }

            return Task.FromResult(_replies.Dequeue()(spec));
        }

        public string[] Argv(int i) => [Calls[i].FileName, .. Calls[i].Arguments];
    }

    /// <summary>Now, read in UTC (qstat prints local times).</summary>
    private static FakeTimeProvider UtcTime()
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        return time;
    }

    private static GridEngineScheduler Scheduler(RecordingRunner runner, SchedulerOptions? options = null) =>
        new(runner, options ?? new SchedulerOptions { Kind = "sge", CommandTimeout = TimeSpan.FromSeconds(7) }, NullLogger<GridEngineScheduler>.Instance, UtcTime());

    private static SchedulerOptions Pool => new()
    {
        Kind = "sge",
        Queue = "all.q",
        Account = "physics",
        Walltime = TimeSpan.FromHours(2),
        Cpus = 4,
        MemoryMb = 4100,
        ParallelEnvironment = "smp",
        DrainLead = TimeSpan.FromMinutes(10),
        ExtraArgs = ["-l", "gpu=0"],
        CommandTimeout = TimeSpan.FromSeconds(9),
    };

    private static SubmitRequest Request(int count, SchedulerOptions? options = null, bool useArray = true, IReadOnlyDictionary<string, string>? env = null) =>
        new("cpu", "autopilot-cpu", "/state/scripts/cpu.sh", count, options ?? Pool, "/state/logs/cpu", useArray, env);

    [Fact]
    public async Task One_pilot_is_one_qsub_with_translated_resources()
    {
        var runner = new RecordingRunner().Reply(0, "101\n");
        var result = await Scheduler(runner).SubmitAsync(Request(1), CancellationToken.None);

        Assert.Equal(["101"], result.JobIds);
        Assert.Null(result.ArrayJobId);
        Assert.Equal(
            ["qsub", "-terse", "-N", "autopilot-cpu", "-ac", "AUTOPILOT=autopilot", "-q", "all.q", "-P", "physics", "-l", "h_rt=02:00:00",
             "-pe", "smp", "4", "-l", "h_vmem=1025M", "-o", "/state/logs/cpu", "-e", "/state/logs/cpu", "-S", "/bin/bash", "-b", "n",
             "-l", "gpu=0", "/state/scripts/cpu.sh"],
            runner.Argv(0));
        Assert.Equal(TimeSpan.FromSeconds(9), runner.Calls[0].Timeout);
    }

    [Fact]
    public async Task A_burst_of_eight_is_one_array_submission()
    {
        var runner = new RecordingRunner().Reply(0, "102.1-8:1\n");
        var options = Pool with { Cpus = 1, MemoryMb = 0, Account = null, ExtraArgs = [], BinDir = "/opt/sge/bin" };
        var result = await Scheduler(runner).SubmitAsync(Request(8, options), CancellationToken.None);

        Assert.Equal("102", result.ArrayJobId);
        Assert.Equal(["102.1", "102.2", "102.3", "102.4", "102.5", "102.6", "102.7", "102.8"], result.JobIds);
        Assert.Single(runner.Calls);
        Assert.Equal(
            ["/opt/sge/bin/qsub", "-terse", "-N", "autopilot-cpu", "-ac", "AUTOPILOT=autopilot", "-q", "all.q", "-l", "h_rt=02:00:00",
             "-o", "/state/logs/cpu", "-e", "/state/logs/cpu", "-t", "1-8", "-S", "/bin/bash", "-b", "n", "/state/scripts/cpu.sh"],
            runner.Argv(0));
    }

    [Fact]
    public async Task Without_arrays_a_burst_is_one_qsub_per_pilot()
    {
        var runner = new RecordingRunner().Reply(0, "7\n").Reply(0, "Your job 8 (\"autopilot-cpu\") has been submitted\n").Reply(0, "9\n");
        var result = await Scheduler(runner).SubmitAsync(Request(3, useArray: false), CancellationToken.None);
        Assert.Equal(["7", "8", "9"], result.JobIds);
        Assert.Equal(3, runner.Calls.Count);
        Assert.All(runner.Calls, c => Assert.DoesNotContain("-t", c.Arguments));

        var noArrays = new RecordingRunner().Reply(0, "10\n").Reply(0, "11\n");
        var r2 = await Scheduler(noArrays).SubmitAsync(Request(2, Pool with { UseArrays = false }), CancellationToken.None);
        Assert.Equal(["10", "11"], r2.JobIds);
    }

    [Fact]
    public async Task A_failure_midway_names_the_pilots_already_submitted()
    {
        var runner = new RecordingRunner().Reply(0, "7\n").Reply(1, "", "Unable to run job: job rejected: the requested project \"physics\" does not exist\nExiting.\n");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).SubmitAsync(Request(3, useArray: false), CancellationToken.None));
        Assert.Contains("does not exist", ex.Message);
        Assert.Contains("after 1 of 3 pilots were submitted: 7", ex.Message);
    }

    [Fact]
    public async Task Environment_values_travel_in_qsubs_environment_not_its_argv()
    {
        var runner = new RecordingRunner().Reply(0, "12\n");
        var env = new Dictionary<string, string> { ["AUTOPILOT_POOL"] = "cpu", ["TOKEN_HINT"] = "a,b=c" };
        await Scheduler(runner).SubmitAsync(Request(1, env: env), CancellationToken.None);
        var call = runner.Calls[0];
        var v = call.Arguments.ToList().IndexOf("-v");
        Assert.Equal("AUTOPILOT_POOL,TOKEN_HINT", call.Arguments[v + 1]);
        Assert.DoesNotContain(call.Arguments, a => a.Contains("a,b=c", StringComparison.Ordinal));
        Assert.Equal("a,b=c", call.Environment!["TOKEN_HINT"]);
    }

    [Theory]
    [InlineData("qsub_invalid_name_error__batchtools_issue56.txt", "cannot start with a digit")]
    [InlineData("real_qsub_digit_name_stderr__sge819.txt", "cannot start with a digit")]
    public async Task A_rejected_submission_throws_with_qsubs_words(string fixture, string words)
    {
        var runner = new RecordingRunner().Reply(1, "", GridEngineFixtures.Read(fixture));
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).SubmitAsync(Request(1), CancellationToken.None));
        Assert.Contains(words, ex.Message);
        Assert.Contains("qsub -terse", ex.Message);
    }

    [Fact]
    public async Task Submission_that_prints_no_id_or_the_wrong_array_size_is_an_error()
    {
        var garbled = new RecordingRunner().Reply(0, "Exiting.\n");
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(garbled).SubmitAsync(Request(1), CancellationToken.None));
        var shortArray = new RecordingRunner().Reply(0, "5.1-3:1\n");
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(shortArray).SubmitAsync(Request(4), CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_settings_are_refused_before_anything_runs()
    {
        var runner = new RecordingRunner();
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).SubmitAsync(Request(1, Pool with { ParallelEnvironment = null }), CancellationToken.None));
        Assert.Contains("parallel_environment", ex.Message);
        Assert.Empty(runner.Calls);
    }

    [Fact]
    public async Task Listing_is_one_qstat_call_for_every_pool()
    {
        var runner = new RecordingRunner().Reply(0, GridEngineFixtures.Read("real_qstat_xml_r__sge819.xml")).Reply(0, MarkedJobs("53", "52"));
        var pilots = await Scheduler(runner).ListAsync(new PilotQuery(["capt-hold", "capt-eqw"], User: "root"), CancellationToken.None);
        Assert.Equal(["qstat", "-xml", "-r", "-u", "root"], runner.Argv(0));
        Assert.Equal(["qstat", "-j", "53,52", "-xml"], runner.Argv(1));
        Assert.Equal(2, runner.Calls.Count);
        Assert.Equal(TimeSpan.FromSeconds(7), runner.Calls[0].Timeout);
        Assert.True(runner.Calls[0].MaxOutputBytes > ProcessSpec.DefaultMaxOutputBytes);
        Assert.Equal(["53", "52.1", "52.3", "52.4"], pilots.Select(p => p.Id));
        Assert.Equal(PendingKind.Error, pilots[0].PendingKind);
    }

    /// <summary>A <c>qstat -j ... -xml</c> answer in which every given job carries Autopilot's default marker (shape of real_qstat_j_xml_context__sge819.xml).</summary>
    private static string MarkedJobs(params string[] jobs) =>
        "<?xml version='1.0'?>\n<detailed_job_info>\n  <djob_info>\n"
        + string.Concat(jobs.Select(j => $"    <element>\n      <JB_job_number>{j}</JB_job_number>\n      <JB_context>\n        <context_list>\n          <VA_variable>AUTOPILOT</VA_variable>\n          <VA_value>autopilot</VA_value>\n        </context_list>\n      </JB_context>\n    </element>\n"))
        + "  </djob_info>\n</detailed_job_info>\n";

    [Fact]
    public async Task A_look_alike_without_the_marker_is_listed_as_foreign()
    {
        // Real captures of one moment: job 9 submitted with -ac AUTOPILOT=autopilot, array 10 by hand with the same name.
        var runner = new RecordingRunner()
            .Reply(0, GridEngineFixtures.Read("real_qstat_xml_r_marker__sge819.xml"))
            .Reply(0, GridEngineFixtures.Read("real_qstat_j_xml_context__sge819.xml"));
        var pilots = await Scheduler(runner).ListAsync(new PilotQuery(["capt-mark"], User: "root"), CancellationToken.None);

        Assert.Equal(["qstat", "-j", "9,10", "-xml"], runner.Argv(1));
        Assert.Equal([("9", false), ("10.1", true), ("10.2", true)], pilots.Select(p => (p.Id, p.Foreign)));
    }

    [Fact]
    public async Task A_marker_check_that_fails_fails_the_listing()
    {
        var runner = new RecordingRunner()
            .Reply(0, GridEngineFixtures.Read("real_qstat_xml_r_marker__sge819.xml"))
            .Reply(1, "", "error: commlib error");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).ListAsync(new PilotQuery(["capt-mark"], User: "root"), CancellationToken.None));
        Assert.Contains("look-alike", ex.Message, StringComparison.Ordinal);
        Assert.Contains("commlib error", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_defaults_to_the_current_user()
    {
        var runner = new RecordingRunner().Reply(0, "<?xml version='1.0'?>\n<job_info>\n  <queue_info>\n  </queue_info>\n  <job_info>\n  </job_info>\n</job_info>\n");
        Assert.Empty(await Scheduler(runner).ListAsync(new PilotQuery(["autopilot-cpu"]), CancellationToken.None));
        Assert.Equal(["qstat", "-xml", "-r", "-u", Environment.UserName], runner.Argv(0));
    }

    [Fact]
    public async Task Qmaster_down_fails_closed_with_the_command_and_its_stderr()
    {
        var runner = new RecordingRunner().Reply(1, "", GridEngineFixtures.Read("real_qstat_qmaster_down_stderr__sge819.txt"));
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).ListAsync(new PilotQuery(["autopilot-cpu"], User: "u"), CancellationToken.None));
        Assert.Contains("qstat -xml -r -u u", ex.Message);
        Assert.Contains("unable to send message to qmaster", ex.Message);
    }

    [Fact]
    public async Task A_local_pools_failure_hints_at_SGE_ROOT_only_when_this_process_lacks_it()
    {
        var runner = new RecordingRunner().Reply(127, "", "sh: 1: qstat: not found\n");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).ListAsync(new PilotQuery(["autopilot-cpu"], User: "u"), CancellationToken.None));

        Assert.Equal(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SGE_ROOT")), ex.Message.Contains("SGE_ROOT is not set", StringComparison.Ordinal));
        Assert.DoesNotContain("non-interactive ssh session", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_remote_pools_command_not_found_points_at_the_remote_login_environment_not_ours()
    {
        var remote = new SchedulerOptions { Kind = "sge", Ssh = new SshOptions { Host = "login.example.org" } };
        var runner = new RecordingRunner()
            .Reply(127, "", "bash: line 1: qstat: command not found\n")
            .Reply(1, "", "error: commlib error: got select error (Connection refused)\n");

        var notFound = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner, remote).ListAsync(new PilotQuery(["autopilot-cpu"], User: "u"), CancellationToken.None));
        var otherFailure = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner, remote).ListAsync(new PilotQuery(["autopilot-cpu"], User: "u"), CancellationToken.None));

        Assert.EndsWith(
            "qstat: command not found (not found on login.example.org: commands there run in a non-interactive ssh session, so set SGE_ROOT and PATH in that account's shell startup file, e.g. source $SGE_ROOT/$SGE_CELL/common/settings.sh in ~/.bashrc, or set bin_dir)",
            notFound.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SGE_ROOT is not set", notFound.Message, StringComparison.Ordinal);
        Assert.EndsWith("(Connection refused)", otherFailure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Listing_fails_closed_on_timeout_truncation_garbage_and_missing_binary()
    {
        var timeout = new RecordingRunner().Reply(-1, "", "", timedOut: true);
        Assert.Contains("timed out", (await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(timeout).ListAsync(new PilotQuery(["a"]), CancellationToken.None))).Message);

        var truncated = new RecordingRunner().Reply(0, GridEngineFixtures.Read("real_qstat_xml_r__sge819.xml")[..900]);
        Assert.Contains("truncated", (await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(truncated).ListAsync(new PilotQuery(["a"]), CancellationToken.None))).Message);

        var empty = new RecordingRunner().Reply(0, "");
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(empty).ListAsync(new PilotQuery(["a"]), CancellationToken.None));

        var missing = new RecordingRunner().Throw(new ProcessFailedException("`qstat -xml` could not be started: No such file or directory"));
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(missing).ListAsync(new PilotQuery(["a"]), CancellationToken.None));
    }

    [Fact]
    public async Task Cancel_groups_array_elements_per_job_and_leaves_others_alone()
    {
        var runner = new RecordingRunner().Reply(0, "root has deleted job 12\n");
        await Scheduler(runner).CancelAsync(["51.4", "12", "52.1", "51.3", "13", "13.2", "51.10"], CancellationToken.None);
        Assert.Equal(["qdel", "12", "13", "51", "-t", "3,4,10", "52", "-t", "1"], runner.Argv(0));
    }

    [Fact]
    public async Task Cancel_of_ids_already_gone_is_not_an_error()
    {
        var runner = new RecordingRunner().Reply(1, GridEngineFixtures.Read("real_qdel_unknown__sge819.txt"));
        await Scheduler(runner).CancelAsync(["999999", "51.77"], CancellationToken.None);
        Assert.Equal(["qdel", "999999", "51", "-t", "77"], runner.Argv(0));
    }

    [Fact]
    public async Task Cancel_that_is_refused_throws()
    {
        var runner = new RecordingRunner().Reply(1, "bob - you do not have the necessary privileges to delete the job \"12\"\n");
        var ex = await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(runner).CancelAsync(["12"], CancellationToken.None));
        Assert.Contains("necessary privileges", ex.Message);

        var down = new RecordingRunner().Reply(1, "", "error: commlib error: got select error (Connection refused)\n");
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(down).CancelAsync(["12"], CancellationToken.None));

        var nothing = new RecordingRunner();
        await Scheduler(nothing).CancelAsync([], CancellationToken.None);
        Assert.Empty(nothing.Calls);
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(nothing).CancelAsync(["12;rm"], CancellationToken.None));
    }

    [Fact]
    public async Task Outcomes_read_qacct_per_name_since_the_given_end_time()
    {
        var runner = new RecordingRunner()
            .Reply(0, GridEngineFixtures.Read("real_qacct_ok_fail_hrt_srt__sge819.txt"))
            .Reply(1, "", GridEngineFixtures.Read("real_qacct_name_not_found_stderr__sge819.txt"));
        var since = new DateTimeOffset(2026, 11, 21, 23, 0, 5, TimeSpan.Zero);
        var report = await Scheduler(runner).OutcomesAsync(new OutcomeQuery(["sgexp-fail", "nosuch-name"], since), CancellationToken.None);

        Assert.True(report.Available);
        Assert.Equal(["qacct", "-j", "sgexp-fail", "-E", "-b", "202611212300.05"], runner.Argv(0));
        Assert.Equal(["qacct", "-j", "nosuch-name", "-E", "-b", "202611212300.05"], runner.Argv(1));
        var only = Assert.Single(report.Outcomes);
        Assert.Equal(("12", PilotEnd.Failed, 1), (only.Id, only.End, only.ExitCode));
    }

    [Fact]
    public async Task Outcomes_without_an_accounting_file_are_unavailable_not_zero()
    {
        var runner = new RecordingRunner().Reply(1, "", "/var/lib/gridengine/default/common/accounting: No such file or directory\n");
        var report = await Scheduler(runner).OutcomesAsync(new OutcomeQuery(["a"], DateTimeOffset.UnixEpoch), CancellationToken.None);
        Assert.False(report.Available);
        Assert.Contains("accounting", report.Note);

        var broken = new RecordingRunner().Reply(2, "", "error: something else\n");
        await Assert.ThrowsAsync<SchedulerException>(() => Scheduler(broken).OutcomesAsync(new OutcomeQuery(["a"], DateTimeOffset.UnixEpoch), CancellationToken.None));
    }

    [Theory]
    [InlineData("autopilot-cpu", null)]
    [InlineData("528799ad34365a4c3e32ebb3f08bfd98", "start with a digit")]
    [InlineData("a:b", "only letters")]
    [InlineData("a/b", "only letters")]
    [InlineData("a@b", "only letters")]
    [InlineData("a\\b", "only letters")]
    [InlineData("a*b", "only letters")]
    [InlineData("a?b", "only letters")]
    [InlineData("a b", "only letters")]
    [InlineData("NONE", "keyword")]
    [InlineData("", "empty")]
    public void Job_name_rules(string name, string? problem)
    {
        var problems = Scheduler(new RecordingRunner()).ValidateSettings(Pool, name);
        if (problem is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.Key == SettingProblem.JobName && p.Message.Contains(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Settings_rules_name_the_key()
    {
        var s = Scheduler(new RecordingRunner());
        Assert.Contains(s.ValidateSettings(Pool with { ParallelEnvironment = "" }, "ok"), p => p.Key == "scheduler.parallel_environment");
        Assert.Empty(s.ValidateSettings(Pool with { Cpus = 1, ParallelEnvironment = null }, "ok"));
        Assert.Contains(s.ValidateSettings(Pool with { Queue = "all.q;rm -rf" }, "ok"), p => p.Key == "scheduler.queue");
        Assert.Empty(s.ValidateSettings(Pool with { Queue = "all.q@vm,long.q" }, "ok"));
        Assert.Contains(s.ValidateSettings(Pool with { Account = "my project" }, "ok"), p => p.Key == "scheduler.account");
        Assert.Contains(s.ValidateSettings(Pool with { Nodes = 2 }, "ok"), p => p.Key == "scheduler.nodes");
        Assert.Contains(s.ValidateSettings(Pool with { DrainLead = TimeSpan.FromHours(3) }, "ok"), p => p.Key == "scheduler.drain_lead");
        Assert.Contains(s.ValidateSettings(Pool with { Walltime = TimeSpan.Zero }, "ok"), p => p.Key == "scheduler.walltime");
    }

    [Theory]
    [InlineData(4100, 4, 1025)]
    [InlineData(4096, 4, 1024)]
    [InlineData(1000, 3, 334)]
    [InlineData(512, 1, 512)]
    public void Memory_is_rounded_up_per_slot(long memoryMb, int cpus, long perSlot) =>
        Assert.Equal(perSlot, GridEngineScheduler.MemoryPerSlotMb(new SchedulerOptions { MemoryMb = memoryMb, Cpus = cpus }));

    [Fact]
    public void No_soft_runtime_limit_is_requested_because_its_signal_hits_every_task()
    {
        var args = GridEngineScheduler.BuildSubmitArguments(Request(1), 1);
        Assert.DoesNotContain(args, a => a.Contains("s_rt", StringComparison.Ordinal));
        Assert.Contains("h_rt=02:00:00", args);
    }

    [Fact]
    public async Task The_factory_knows_sge()
    {
        var runner = new RecordingRunner().Reply(1, "", "error: commlib error\n");
        var options = new SchedulerOptions { Kind = "sge", BinDir = "/site/sge/bin", CommandTimeout = TimeSpan.FromSeconds(3) };
        var s = SchedulerFactory.Create(options, runner, "/tmp", NullLoggerFactory.Instance, TimeProvider.System);
        Assert.Equal("sge", s.Kind);
        Assert.IsType<GridEngineScheduler>(s);
        // The pool's bin_dir and timeout reach the listing call too.
        await Assert.ThrowsAsync<SchedulerException>(() => s.ListAsync(new PilotQuery(["a"], User: "u"), CancellationToken.None));
        Assert.Equal("/site/sge/bin/qstat", runner.Calls[0].FileName);
        Assert.Equal(TimeSpan.FromSeconds(3), runner.Calls[0].Timeout);
    }
}
