using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Lsf;
using Autopilot.Tests.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Lsf;

public sealed class LsfParserTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly DateTimeOffset Now = new(2019, 1, 10, 12, 0, 0, TimeSpan.Zero);

    private static string F(string file) => PbsLsfFixtures.Read("lsf", file);

    [Theory]
    [InlineData("bsub__ood_core.txt", "542935")]
    [InlineData("bsub__aiida.txt", "764254593")]
    [InlineData("bsub_default_queue__nextflow.txt", "2329803")]
    public void Bsub_output_gives_the_id(string file, string id) => Assert.Equal(id, LsfParsers.ParseSubmitId(F(file)));

    [Fact]
    public void Bsub_after_a_banner_and_errors()
    {
        Assert.Equal("12", LsfParsers.ParseSubmitId("LSF is processing your request. Please wait ...\nJob <12> is submitted to queue <normal>.\n"));
        Assert.Throws<FormatException>(() => LsfParsers.ParseSubmitId("Request aborted by esub. Job not submitted.\n"));
        Assert.Throws<FormatException>(() => LsfParsers.ParseSubmitId(""));
    }

    [Fact]
    public void Bkill_and_bjobs_messages()
    {
        Assert.Contains("is being terminated", F("bkill__aiida.txt"), StringComparison.Ordinal);
        Assert.True(LsfParsers.IsGone(F("bjobs_job_not_found_stderr__aiida.txt")));
        Assert.True(LsfParsers.IsGone("Job <5>: Job has already finished"));
        Assert.True(LsfParsers.IsNoJobs(F("bjobs_no_unfinished_job_stderr__bsub_issue11.txt")));
        Assert.False(LsfParsers.IsNoJobs("LSF daemon (LIM) not responding ... still trying"));
    }

    [Fact]
    public void Json_done()
    {
        var job = Assert.Single(LsfParsers.ParseJson(F("bjobs_o_json_done__batcheuphoria.json"), Now, Utc));
        Assert.Equal(("22005", "ls -l", "DONE", "short-dmg", "otptest"), (job.Id, job.Name, job.Stat, job.Queue, job.User));
        Assert.Equal(TimeSpan.FromMinutes(10), job.TimeLimit);
        Assert.Equal(new DateTimeOffset(2018, 12, 28, 19, 56, 0, TimeSpan.Zero), job.FinishTime);
        var outcome = Assert.Single(LsfParsers.ToOutcomes([job], ["ls -l"], DateTimeOffset.MinValue));
        Assert.Equal((PilotEnd.Completed, 0), (outcome.End, outcome.ExitCode));
    }

    [Fact]
    public void Json_done_with_exit_code_and_pend_reason()
    {
        var job = Assert.Single(LsfParsers.ParseJson(F("bjobs_o_json_done_exitcode__batcheuphoria.json"), Now, Utc));
        Assert.Equal(("22005", "DONE", 1), (job.Id, job.Stat, job.ExitCode));
        Assert.Equal("Job dependency condition not satisfied;", job.PendReason);
    }

    [Fact]
    public void Json_six_jobs()
    {
        var jobs = LsfParsers.ParseJson(F("bjobs_o_json_six_jobs_exit_done__batcheuphoria.json"), Now, Utc);
        Assert.Equal(["487641", "487642", "488155", "491861", "491864", "491867"], jobs.Select(j => j.Id));
        Assert.Equal(["EXIT", "EXIT", "EXIT", "DONE", "DONE", "DONE"], jobs.Select(j => j.Stat));
        Assert.Equal(new DateTimeOffset(2019, 1, 7, 9, 59, 0, TimeSpan.Zero), jobs[0].FinishTime);
        Assert.Empty(LsfParsers.ToPilots(jobs, ["RoddyTest_testScript"]));
        var outcomes = LsfParsers.ToOutcomes(jobs, ["RoddyTest_testScript"], DateTimeOffset.MinValue);
        Assert.Equal([PilotEnd.Unknown, PilotEnd.Unknown, PilotEnd.Unknown, PilotEnd.Completed, PilotEnd.Completed], outcomes.Select(o => o.End));
    }

    [Fact]
    public void Json_array_elements_empty_listing_banner_and_error_records()
    {
        const string json = "LSF is processing your request. Please wait ...\n" +
            "{\"COMMAND\":\"bjobs\",\"JOBS\":3,\"RECORDS\":[" +
            "{\"JOBID\":\"77\",\"JOBINDEX\":\"2\",\"JOB_NAME\":\"autopilot-a[2]\",\"STAT\":\"PEND\",\"PEND_REASON\":\"The user has reached his/her job slot limit;\"}," +
            "{\"JOBID\":\"77\",\"JOBINDEX\":\"3\",\"JOB_NAME\":\"autopilot-a[3]\",\"STAT\":\"PSUSP\"}," +
            "{\"JOBID\":\"99\",\"ERROR\":\"Job <99> is not found\"}]}";
        var pilots = LsfParsers.ToPilots(LsfParsers.ParseJson(json, Now, Utc), ["autopilot-a"]);
        Assert.Equal(["77[2]", "77[3]"], pilots.Select(p => p.Id));
        Assert.Equal([(PilotState.Queued, PendingKind.Limit), (PilotState.Held, PendingKind.Held)], pilots.Select(p => (p.State, p.PendingKind)));
        Assert.All(pilots, p => Assert.Equal("77", p.ArrayJobId));
        Assert.Empty(LsfParsers.ParseJson("{\"COMMAND\":\"bjobs\",\"JOBS\":0,\"RECORDS\":[]}", Now, Utc));
        Assert.Empty(LsfParsers.ParseJson("{\"COMMAND\":\"bjobs\",\"JOBS\":0}", Now, Utc));
        Assert.Throws<FormatException>(() => LsfParsers.ParseJson("{\"COMMAND\":\"bjobs\",\"JOBS\":2}", Now, Utc));
        Assert.Throws<FormatException>(() => LsfParsers.ParseJson("LSF is down. Please wait ...\n{\"JOBS\":0,\"RECORDS\":[]}", Now, Utc));
        Assert.Throws<FormatException>(() => LsfParsers.ParseJson("{\"COMMAND\":\"bjobs\",\"JOBS\":3,\"RECORDS\":[{\"JOBID\":\"1\",\"ST", Now, Utc));
    }

    [Fact]
    public void Delimited_text_with_exit_reason()
    {
        const string fields = "id stat exit_reason exec_host user slots max_req_proc exec_host queue finish_time start_time %complete submit_time name delimiter=\"|\"";
        var jobs = LsfParsers.ParseDelimited(F("bjobs_noheader_o_delimiter_pipe__aiida.txt"), fields, Now, Utc);
        Assert.Equal(["764213236", "764220165", "764220167", "764254593", "764255172", "764245175", "764399747"], jobs.Select(j => j.Id));
        Assert.Equal(["EXIT", "PEND", "PEND", "RUN", "RUN", "RUN", "DONE"], jobs.Select(j => j.Stat));
        Assert.Equal("aiida-1033269", jobs[0].Name);
        Assert.Equal(PilotEnd.Walltime, LsfStates.End(jobs[0].Stat, jobs[0].ExitCode, jobs[0].ExitReason));
        Assert.Equal(new DateTimeOffset(2019, 2, 2, 0, 46, 0, TimeSpan.Zero) < Now ? 2019 : 2018, jobs[0].FinishTime!.Value.Year);
        var pilots = LsfParsers.ToPilots(jobs, ["test"]);
        Assert.Equal(["764254593", "764255172", "764245175"], pilots.Select(p => p.Id));
    }

    [Fact]
    public void Delimited_text_from_our_own_field_list()
    {
        var text = "101|0|autopilot-a|PEND|normal|Jan  9 10:00|-|-|01:00:00|New job is waiting for scheduling;\n" +
                   "102|4|autopilot-a[4]|RUN|normal|Jan  9 10:00|Jan  9 10:05 L|0:40 L|01:00:00|-\n" +
                   "103|0|autopilot-b|USUSP|normal|Jan  9 10:00|Jan  9 10:05|-|-|-\n";
        var jobs = LsfParsers.ParseDelimited(text, LsfParsers.ListFields, Now, Utc);
        Assert.Equal(["101", "102[4]", "103"], jobs.Select(j => j.Id));
        Assert.Equal(new DateTimeOffset(2019, 1, 9, 10, 5, 0, TimeSpan.Zero), jobs[1].StartTime);
        Assert.Equal(TimeSpan.FromHours(1), jobs[1].TimeLimit);
        Assert.Throws<FormatException>(() => LsfParsers.ParseDelimited("1|RUN\n", LsfParsers.ListFields, Now, Utc));
    }

    [Theory]
    [InlineData("PEND", null, PilotState.Queued, PendingKind.Resources)]
    [InlineData("PEND", "The queue is inactivated by the administrator;", PilotState.Queued, PendingKind.Unavailable)]
    [InlineData("PEND", "The user has reached his/her job slot limit;", PilotState.Queued, PendingKind.Limit)]
    [InlineData("PEND", "Job dependency condition not satisfied;", PilotState.Queued, PendingKind.BeginTime)]
    [InlineData("PSUSP", null, PilotState.Held, PendingKind.Held)]
    [InlineData("WAIT", null, PilotState.Queued, PendingKind.Resources)]
    [InlineData("RUN", null, PilotState.Running, PendingKind.None)]
    [InlineData("SSUSP", null, PilotState.Running, PendingKind.None)]
    [InlineData("USUSP", null, PilotState.Held, PendingKind.Held)]
    [InlineData("DONE", null, PilotState.Finished, PendingKind.None)]
    [InlineData("EXIT", null, PilotState.Finished, PendingKind.None)]
    [InlineData("UNKWN", null, PilotState.Unknown, PendingKind.None)]
    [InlineData("ZOMBI", null, PilotState.Unknown, PendingKind.None)]
    public void State_table(string stat, string? reason, PilotState state, PendingKind kind)
    {
        var (s, k, _) = LsfStates.Map(stat, reason);
        Assert.Equal((state, kind), (s, k));
    }

    [Theory]
    [InlineData("DONE", 0, null, PilotEnd.Completed)]
    [InlineData("EXIT", 140, "TERM_RUNLIMIT: job killed after reaching LSF run time limit", PilotEnd.Walltime)]
    [InlineData("EXIT", 130, "TERM_OWNER: job killed by owner", PilotEnd.Cancelled)]
    [InlineData("EXIT", 130, "TERM_ADMIN: job killed by root or LSF administrator", PilotEnd.Cancelled)]
    [InlineData("EXIT", 130, "TERM_PREEMPT: job killed after preemption", PilotEnd.Preempted)]
    [InlineData("EXIT", 1, null, PilotEnd.Failed)]
    [InlineData("EXIT", null, null, PilotEnd.Unknown)]
    public void End_table(string stat, int? code, string? reason, PilotEnd end) => Assert.Equal(end, LsfStates.End(stat, code, reason));

    [Fact]
    public void Times_infer_the_year_and_drop_flag_letters()
    {
        Assert.Equal(new DateTimeOffset(2018, 12, 31, 23, 48, 0, TimeSpan.Zero), LsfParsers.ParseTime("Dec  31 23:48 L", Now, Utc));
        Assert.Equal(new DateTimeOffset(2019, 1, 7, 9, 59, 0, TimeSpan.Zero), LsfParsers.ParseTime("Jan  7 09:59 L", Now, Utc));
        Assert.Equal(new DateTimeOffset(2017, 5, 1, 1, 2, 0, TimeSpan.Zero), LsfParsers.ParseTime("May 1 01:02 2017", Now, Utc));
        Assert.Null(LsfParsers.ParseTime("-", Now, Utc));
        Assert.Null(LsfParsers.ParseTime("soon", Now, Utc));
    }

    [Fact]
    public void Large_and_binary_outputs()
    {
        var jobs = LsfParsers.ParseJson(PbsLsfGenerated.LsfJson(100_000), Now, Utc);
        Assert.Equal(100_000, jobs.Count);
        Assert.Equal(100_000, LsfParsers.ToPilots(jobs, ["autopilot-gen"]).Count);
        Assert.Equal(100_000, LsfParsers.ParseDelimited(PbsLsfGenerated.LsfDelimited(100_000), LsfParsers.ListFields, Now, Utc).Count);
        var bytes = new byte[1024];
        new Random(3).NextBytes(bytes);
        var binary = System.Text.Encoding.Latin1.GetString(bytes) + "\0";
        Assert.Throws<FormatException>(() => LsfParsers.ParseJson(binary, Now, Utc));
        Assert.Throws<FormatException>(() => LsfParsers.ParseDelimited(binary, LsfParsers.ListFields, Now, Utc));
    }

    [Fact]
    public void Validation()
    {
        var lsf = new LsfScheduler(new Autopilot.Processes.ProcessRunner());
        Assert.Empty(lsf.ValidateSettings(new SchedulerOptions { Kind = "lsf", Queue = "normal", Account = "proj" }, "autopilot-a"));
        var problems = lsf.ValidateSettings(new SchedulerOptions { Kind = "lsf", Queue = "a b", Account = "-x", Walltime = TimeSpan.FromSeconds(90), ExtraArgs = ["-J", "z"] }, "autopilot-a[1]");
        Assert.Contains(problems, p => p.Key == "scheduler.queue");
        Assert.Contains(problems, p => p.Key == "scheduler.account");
        Assert.Contains(problems, p => p.Key == "scheduler.walltime");
        Assert.Contains(problems, p => p.Key == "scheduler.extra_args" && p.Message.StartsWith("extra_args[0]:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Key == SettingProblem.JobName);
    }
}
