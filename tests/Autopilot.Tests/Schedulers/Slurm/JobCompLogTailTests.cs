using System.Text;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.Tests.Schedulers.Slurm;

/// <summary>
/// The jobcomp/filetxt log is read from its tail, line by line through a filter, so a busy
/// cluster's log costs a tick the lines of its own jobs, not the whole tail as text.
/// </summary>
public sealed class JobCompLogTailTests : IDisposable
{
    private const string Fixture = "jobcomp_filetxt_array_and_plain_slurm22.05__autopilot.txt";
    private readonly string dir = Directory.CreateTempSubdirectory("autopilot-jobcomp-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Line(long id, string name, string state = "COMPLETED", string array = "") =>
        $"JobId={id} UserId=u(1) GroupId=g(1) Name={name} JobState={state} Partition=debug TimeLimit=5 StartTime=2026-11-22T01:00:00 EndTime=2026-11-22T01:01:00 NodeList=n1 NodeCnt=1 ProcCnt=1 WorkDir=/home/a b/c ReservationName= Tres=cpu=1,mem=100M,node=1 {array}ExitCode=0:0";

    [Fact]
    public void The_real_log_reads_the_same_through_the_tail_reader()
    {
        var path = SlurmFixtures.Path(Fixture);

        var streamed = JobCompLog.Parse(JobCompLog.ReadTailLines(path, JobCompLog.All), SlurmFixtures.Zone);

        Assert.Equal(JobCompLog.Parse(File.ReadAllText(path), SlurmFixtures.Zone), streamed);
        Assert.Equal(["1_4", "10", "49"], streamed.Select(r => r.Id));
    }

    [Fact]
    public void Names_and_ids_pick_their_lines_and_array_elements_are_found_by_their_array_job()
    {
        var path = SlurmFixtures.Path(Fixture);

        Assert.Equal(["10"], JobCompLog.Parse(JobCompLog.ReadTailLines(path, JobCompLog.NamedAny(["apx-t4"])), SlurmFixtures.Zone).Select(r => r.Id));
        Assert.Empty(JobCompLog.ReadTailLines(path, JobCompLog.NamedAny(["nobody"])));
        // 1_4 is logged as JobId=7 ArrayJobId=1 ArrayTaskId=4.
        Assert.Equal(["1_4", "49"], SlurmAccounting.ParseCompletionLog(JobCompLog.ReadTailLines(path, JobCompLog.WithIdsAny(["1_4", "49"])), SlurmFixtures.Zone).Select(u => u.Id).Order(StringComparer.Ordinal));
        // An id of another form cannot be looked up by number: every line is kept, the parse decides.
        Assert.Equal(3, JobCompLog.ReadTailLines(path, JobCompLog.WithIdsAny(["49", "12+0"])).Count);
    }

    [Fact]
    public void A_log_longer_than_the_tail_starts_at_a_whole_line_and_keeps_a_last_line_without_newline()
    {
        var path = Path.Combine(dir, "jobcomp.log");
        var filler = Line(1, "other-job");
        using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)))
        {
            // The tail begins in the middle of one of these lines: that cut line must not be read as a job.
            for (long written = 0, id = 100; written < JobCompLog.TailBytes + 100_000; written += filler.Length + 1, id++)
            {
                writer.Write(Line(id, "other-job") + "\n");
            }

            writer.Write(Line(9001, "ap-main", "FAILED") + "\n");
            writer.Write(new string('x', 200_000) + " Name=ap-main\n"); // not a log line, and longer than the read buffer
            writer.Write(Line(9002, "ap-main", "TIMEOUT"));             // no newline at the end
        }

        var kept = JobCompLog.ReadTailLines(path, JobCompLog.NamedAny(["ap-main"]));
        var rows = JobCompLog.Parse(kept, TimeZoneInfo.Utc);

        Assert.Equal(["9001", "9002"], rows.Select(r => r.Id));
        Assert.Equal(["FAILED", "TIMEOUT"], rows.Select(r => r.State));
        var all = JobCompLog.ReadTailLines(path, JobCompLog.All);
        Assert.All(all, l => Assert.StartsWith("JobId=", l, StringComparison.Ordinal));
        Assert.True(all.Count < new FileInfo(path).Length / filler.Length, "the tail, not the whole file");
        Assert.Equal(JobCompLog.Parse(all, TimeZoneInfo.Utc).Count, all.Count);
    }

    [Fact]
    public void Reading_our_lines_from_a_full_tail_allocates_little()
    {
        var path = Path.Combine(dir, "big.log");
        using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)))
        {
            for (var id = 1; id <= 30_000; id++)
            {
                writer.Write(Line(id, id % 5_000 == 0 ? "ap-main" : "someone-else") + "\n");
            }
        }

        Assert.True(new FileInfo(path).Length > 7_000_000);
        JobCompLog.ReadTailLines(path, JobCompLog.NamedAny(["ap-main"])); // warm-up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var kept = JobCompLog.ReadTailLines(path, JobCompLog.NamedAny(["ap-main"]));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(6, kept.Count);
        // The whole tail as one string, split into lines, was more than 40 MB here (2 bytes a
        // character, twice); the filtered read keeps its buffer pooled and decodes 6 lines.
        Assert.True(allocated < 256 * 1024, $"{allocated:N0} bytes allocated");
    }
}
