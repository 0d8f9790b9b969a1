using System.Diagnostics;
using System.Text;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.Tests.Schedulers.Slurm;

public sealed class SlurmParserTests
{
    private const char US = '\u001F';

    private static string Row(string id, string name, string state, string reason = "None", string arrayJob = "", string task = "N/A") =>
        string.Join(US, id, arrayJob.Length == 0 ? id.Split('_')[0] : arrayJob, task, name, state, reason, "2026-01-02T03:04:05", "N/A", "1:00:00", PilotMarker.Default);

    [Theory]
    [InlineData("PENDING", "Resources", PilotState.Queued)]
    [InlineData("PENDING", "JobHeldUser", PilotState.Held)]
    [InlineData("PENDING", "JobHeldAdmin", PilotState.Held)]
    [InlineData("PENDING", "JobHeldUser,None", PilotState.Held)]
    [InlineData("REQUEUE_HOLD", "None", PilotState.Held)]
    [InlineData("SPECIAL_EXIT", "None", PilotState.Held)]
    [InlineData("REQUEUED", "None", PilotState.Queued)]
    [InlineData("RUNNING", "None", PilotState.Running)]
    [InlineData("SUSPENDED", "None", PilotState.Running)]
    [InlineData("CONFIGURING", "None", PilotState.Running)]
    [InlineData("COMPLETING", "None", PilotState.Completing)]
    [InlineData("STAGE_OUT", "None", PilotState.Completing)]
    [InlineData("COMPLETED", "None", PilotState.Finished)]
    [InlineData("FAILED", "NonZeroExitCode", PilotState.Finished)]
    [InlineData("CANCELLED", "None", PilotState.Finished)]
    [InlineData("TIMEOUT", "TimeLimit", PilotState.Finished)]
    [InlineData("NODE_FAIL", "None", PilotState.Finished)]
    [InlineData("PREEMPTED", "None", PilotState.Finished)]
    [InlineData("OUT_OF_MEMORY", "None", PilotState.Finished)]
    [InlineData("BOOT_FAIL", "None", PilotState.Finished)]
    [InlineData("DEADLINE", "None", PilotState.Finished)]
    [InlineData("PD", "Priority", PilotState.Queued)]
    [InlineData("CG", "None", PilotState.Completing)]
    [InlineData("OOM", "None", PilotState.Finished)]
    [InlineData("SOMETHING_NEW", "None", PilotState.Unknown)]
    public void States(string raw, string reason, PilotState expected) => Assert.Equal(expected, SlurmStates.Map(raw, reason));

    [Theory]
    [InlineData("Resources", PendingKind.Resources)]
    [InlineData("Priority", PendingKind.Resources)]
    [InlineData("None", PendingKind.Resources)]
    [InlineData("", PendingKind.Resources)]
    [InlineData("BeginTime", PendingKind.BeginTime)]
    [InlineData("Dependency", PendingKind.BeginTime)]
    [InlineData("QOSMaxJobsPerUserLimit", PendingKind.Limit)]
    [InlineData("QOSMaxSubmitJobPerUserLimit", PendingKind.Limit)]
    [InlineData("QOSGrpCpuLimit", PendingKind.Limit)]
    [InlineData("AssocGrpCPUMinutesLimit", PendingKind.Limit)]
    [InlineData("AssocMaxJobsLimit", PendingKind.Limit)]
    [InlineData("MaxJobsPerAccount", PendingKind.Limit)]
    [InlineData("PartitionTimeLimit", PendingKind.Limit)]
    [InlineData("PartitionDown", PendingKind.Unavailable)]
    [InlineData("PartitionInactive", PendingKind.Unavailable)]
    [InlineData("ReqNodeNotAvail", PendingKind.Unavailable)]
    [InlineData("ReqNodeNotAvail, UnavailableNodes:vm", PendingKind.Unavailable)]
    [InlineData("ReqNodeNotAvail,_UnavailableNodes:wn-db-05", PendingKind.Unavailable)]
    [InlineData("ReqNodeNotAvail, Reserved for maintenance", PendingKind.Unavailable)]
    [InlineData("Reservation", PendingKind.Unavailable)]
    [InlineData("NodeDown", PendingKind.Unavailable)]
    [InlineData("JobHeldUser", PendingKind.Held)]
    [InlineData("JobHeldAdmin", PendingKind.Held)]
    [InlineData("(JobHeldAdmin)", PendingKind.Held)]
    [InlineData("DependencyNeverSatisfied", PendingKind.Error)]
    [InlineData("InvalidAccount", PendingKind.Error)]
    [InlineData("Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions", PendingKind.Resources)]
    [InlineData("SomethingElse", PendingKind.Other)]
    public void Pending_reasons(string reason, PendingKind expected) => Assert.Equal(expected, SlurmStates.ClassifyReason(reason));

    [Theory]
    [InlineData("COMPLETED", PilotEnd.Completed)]
    [InlineData("FAILED", PilotEnd.Failed)]
    [InlineData("OUT_OF_MEMORY", PilotEnd.Failed)]
    [InlineData("BOOT_FAIL", PilotEnd.Failed)]
    [InlineData("TIMEOUT", PilotEnd.Walltime)]
    [InlineData("DEADLINE", PilotEnd.Walltime)]
    [InlineData("PREEMPTED", PilotEnd.Preempted)]
    [InlineData("NODE_FAIL", PilotEnd.NodeFailure)]
    [InlineData("CANCELLED", PilotEnd.Cancelled)]
    [InlineData("CANCELLED by 0", PilotEnd.Cancelled)]
    [InlineData("CANCELLED by 54386", PilotEnd.Cancelled)]
    public void Ends(string raw, PilotEnd expected) => Assert.Equal(expected, SlurmStates.MapEnd(raw));

    [Theory]
    [InlineData("UNLIMITED", null)]
    [InlineData("NOT_SET", null)]
    [InlineData("INVALID", null)]
    [InlineData("N/A", null)]
    [InlineData("", null)]
    [InlineData("5", 300)]
    [InlineData("2:00", 120)]
    [InlineData("30:00", 1800)]
    [InlineData("1:00:00", 3600)]
    [InlineData("1-00:00:00", 86400)]
    [InlineData("2-03", 2 * 86400 + 3 * 3600)]
    [InlineData("365-00:00:00", 365 * 86400)]
    [InlineData("1:2:3:4", null)]
    public void Time_limits(string text, int? seconds) =>
        Assert.Equal(seconds is null ? null : TimeSpan.FromSeconds(seconds.Value), SlurmParser.ParseTimeLimit(text));

    [Theory]
    [InlineData(60, "0-00:01:00")]
    [InlineData(3600.2, "0-01:00:01")]
    [InlineData(90000, "1-01:00:00")]
    public void Walltime_format(double seconds, string expected) => Assert.Equal(expected, SlurmParser.FormatWalltime(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData("0:0", 0)]
    [InlineData("1:0", 1)]
    [InlineData("0:9", 137)]
    [InlineData("0:15", 143)]
    [InlineData("", null)]
    [InlineData("x:y", null)]
    public void Exit_codes(string text, int? expected) => Assert.Equal(expected, SlurmParser.ParseExitCode(text));

    [Theory]
    [InlineData("N/A")]
    [InlineData("Unknown")]
    [InlineData("INVALID")]
    [InlineData("None")]
    [InlineData("2026-13-01T00:00:00")]
    [InlineData("2026-02-30T00:00:00")]
    [InlineData("")]
    public void Unset_or_bad_times_are_null(string text) => Assert.Null(SlurmParser.ParseTime(text, TimeZoneInfo.Utc));

    [Fact]
    public void Times_are_read_in_the_given_zone()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2");
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), SlurmParser.ParseTime("2026-01-02T03:04:05", zone));
    }

    [Fact]
    public void Empty_output_is_no_pilots()
    {
        Assert.Empty(SlurmParser.ParseSqueue(""));
        Assert.Empty(SlurmParser.ParseSqueue("\n"));
        Assert.Empty(SlurmParser.ParseSacct(""));
    }

    [Fact]
    public void Cluster_lines_and_cluster_suffix_on_ids_are_tolerated()
    {
        var text = "CLUSTER: one\n" + Row("41;one", "autopilot-a", "RUNNING") + "\nCLUSTER: two\n" + Row("41_3", "autopilot-a", "PENDING", "Priority", "41", "3") + "\n";
        var pilots = SlurmParser.ParseSqueue(text, TimeZoneInfo.Utc);
        Assert.Equal(["41", "41_3"], pilots.Select(p => p.Id));
    }

    [Fact]
    public void Throttled_and_listed_pending_ranges_expand()
    {
        var text = Row("7_[1-3,8,10-14:2%2]", "autopilot-a", "PENDING", "JobArrayTaskLimit", "7", "1-3,8,10-14:2%2") + "\n";
        var pilots = SlurmParser.ParseSqueue(text, TimeZoneInfo.Utc);
        Assert.Equal(["7_1", "7_2", "7_3", "7_8", "7_10", "7_12", "7_14"], pilots.Select(p => p.Id));
        Assert.All(pilots, p => Assert.Equal(PilotState.Queued, p.State));
    }

    [Fact]
    public void Truncated_line_is_a_clear_error()
    {
        var full = Row("12", "autopilot-a", "RUNNING");
        var cut = full[..(full.Length / 2)];
        var ex = Assert.Throws<SchedulerException>(() => SlurmParser.ParseSqueue(Row("11", "autopilot-a", "RUNNING") + "\n" + cut));
        Assert.Contains("line 2", ex.Message);
        Assert.Contains("expected 10 fields", ex.Message);
    }

    [Fact]
    public void Unclosed_array_range_is_a_clear_error()
    {
        var ex = Assert.Throws<SchedulerException>(() => SlurmParser.ParseSqueue(Row("7_[1-3", "autopilot-a", "PENDING", "Resources", "7", "1-3")));
        Assert.Contains("array range", ex.Message);
    }

    [Fact]
    public void Absurd_array_range_is_refused_not_expanded()
    {
        var ex = Assert.Throws<SchedulerException>(() => SlurmParser.ParseSqueue(Row("7_[1-2000000000]", "autopilot-a", "PENDING", "Resources", "7", "x")));
        Assert.Contains("more than", ex.Message);
    }

    [Fact]
    public void Binary_output_is_a_clear_error()
    {
        var bytes = new byte[4096];
        new Random(42).NextBytes(bytes);
        var text = Encoding.UTF8.GetString(bytes) + "\0";
        var ex = Assert.Throws<SchedulerException>(() => SlurmParser.ParseSqueue(text));
        Assert.Contains("binary", ex.Message);
        Assert.Throws<SchedulerException>(() => SlurmParser.ParseSacct(text));
    }

    [Fact]
    public void Random_garbage_never_crashes_and_never_looks_like_a_listing()
    {
        var rng = new Random(7);
        for (var i = 0; i < 300; i++)
        {
            var chars = new char[rng.Next(1, 400)];
            for (var c = 0; c < chars.Length; c++)
            {
                chars[c] = rng.Next(10) switch
                {
                    0 => '\n',
                    1 => US,
                    2 => '_',
                    3 => '[',
                    _ => (char)rng.Next(1, 0x3000),
                };
            }

            var text = new string(chars);
            try
            {
                var pilots = SlurmParser.ParseSqueue(text);
                // Only possible when every line happened to be blank or a well-formed row.
                Assert.All(pilots, p => Assert.True(SlurmScheduler.IsCancellableId(p.Id), p.Id));
            }
            catch (SchedulerException)
            {
            }

            try
            {
                SlurmParser.ParseSacct(text);
            }
            catch (SchedulerException)
            {
            }

            try
            {
                SlurmParser.ParseSbatch(text);
            }
            catch (SchedulerException)
            {
            }

            _ = SlurmParser.ParseScancel(text);
        }
    }

    [Fact]
    public void Hundred_thousand_lines_parse_right_and_fast()
    {
        var text = Generate(100_000);
        SlurmParser.ParseSqueue(text, TimeZoneInfo.Utc); // warm-up
        var watch = Stopwatch.StartNew();
        var pilots = SlurmParser.ParseSqueue(text, TimeZoneInfo.Utc);
        watch.Stop();
        Assert.Equal(100_000, pilots.Count);
        Assert.Equal("100000_99999", pilots[^1].Id);
        Assert.Equal(99_999, pilots[^1].ArrayIndex);
        Assert.Equal(50_000, pilots.Count(p => p.State == PilotState.Running));
        Assert.Equal(50_000, pilots.Count(p => p.State == PilotState.Queued));
        // A generous bound (the shared 2-core machine is often loaded); it still catches anything quadratic.
        // The 100 ms figure is held by SlurmParserBenchmarks.
        Assert.True(watch.ElapsedMilliseconds < 10_000, $"100,000 lines took {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>n squeue lines in Autopilot's format: alternating running and pending array elements of several pools.</summary>
    public static string Generate(int n)
    {
        var sb = new StringBuilder(n * 100);
        for (var i = 0; i < n; i++)
        {
            var running = i % 2 == 0;
            sb.Append("100000_").Append(i).Append(US).Append("100000").Append(US).Append(i).Append(US)
                .Append("autopilot-pool").Append(i % 7).Append(US)
                .Append(running ? "RUNNING" : "PENDING").Append(US)
                .Append(running ? "None" : (i % 3 == 0 ? "Priority" : "Resources")).Append(US)
                .Append("2026-03-10T12:34:28").Append(US)
                .Append(running ? "2026-03-10T12:34:51" : "N/A").Append(US)
                .Append("1-00:00:00").Append(US)
                .Append(PilotMarker.Default).Append('\n');
        }

        return sb.ToString();
    }

    [Fact]
    public void Sbatch_with_banner_and_warnings_finds_the_id()
    {
        Assert.Equal(new SbatchResult("77", null), SlurmParser.ParseSbatch("Welcome to the cluster\nsbatch: warning: bla\n77\n"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sbatch: error: Batch job submission failed: Socket timed out on send/recv operation")]
    [InlineData("Submitted batch job abc")]
    [InlineData("1\n2\n")]
    public void Sbatch_without_one_clear_id_is_an_error(string stdout) => Assert.Throws<SchedulerException>(() => SlurmParser.ParseSbatch(stdout));

    [Fact]
    public void Scancel_other_errors_are_kept()
    {
        var report = SlurmParser.ParseScancel("scancel: error: Kill job error on job id 5: Access/permission denied\nscancel: error: Invalid job id abc\n");
        Assert.Empty(report.GoneIds);
        Assert.Equal(2, report.Errors.Count);
    }

}
