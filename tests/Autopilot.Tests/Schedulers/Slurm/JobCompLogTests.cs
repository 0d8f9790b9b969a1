using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;

namespace Autopilot.Tests.Schedulers.Slurm;

public sealed class JobCompLogTests
{
    private const string Fixture = "jobcomp_filetxt_array_and_plain_slurm22.05__autopilot.txt";

    [Fact]
    public void Array_elements_keep_their_array_ids_and_endings_map_to_outcomes()
    {
        var rows = JobCompLog.Parse(SlurmFixtures.Read(Fixture), SlurmFixtures.Zone);

        Assert.Equal(["1_4", "10", "49"], rows.Select(r => r.Id));
        Assert.Equal(["7", "10", "49"], rows.Select(r => r.RawId));
        Assert.Equal(["apx-t1", "apx-t4", "apman-w3"], rows.Select(r => r.Name));
        Assert.Equal(SlurmFixtures.Utc("2026-11-21T23:53:06"), rows[0].End);

        var outcomes = SlurmParser.ToOutcomes(rows);
        Assert.Equal([PilotEnd.Completed, PilotEnd.Failed, PilotEnd.Walltime], outcomes.Select(o => o.End));
        Assert.Equal(3, outcomes[1].ExitCode);
    }

    [Fact]
    public void A_value_with_spaces_stays_whole_and_foreign_lines_are_skipped()
    {
        var text = "garbage line\nJobId=5 UserId=u(1) GroupId=g(1) Name=ap-main JobState=CANCELLED Partition=debug TimeLimit=5 StartTime=Unknown EndTime=2026-11-22T01:00:00 NodeList=(null) WorkDir=/home/a b/c ReservationName= ExitCode=0:15\n";

        var row = Assert.Single(JobCompLog.Parse(text, TimeZoneInfo.Utc));

        Assert.Equal("5", row.Id);
        Assert.Equal("CANCELLED", row.State);
        Assert.Null(row.Start);
        Assert.Equal("0:15", row.ExitCode);
    }

    [Fact]
    public void Config_gives_the_log_type_and_place()
    {
        var config = "Configuration data as of 2026-11-22T01:00:00\nJobCompHost             = localhost\nJobCompLoc              = /var/log/slurm/jobcomp.log\nJobCompType             = jobcomp/filetxt\n";

        Assert.Equal(("jobcomp/filetxt", "/var/log/slurm/jobcomp.log"), JobCompLog.FromConfig(config));
    }

    [Fact]
    public async Task Without_accounting_storage_the_adapter_reads_the_filetxt_log_with_array_ids()
    {
        var log = Path.Combine(Path.GetTempPath(), $"jobcomp-{Guid.NewGuid():N}.log");
        File.WriteAllText(log, SlurmFixtures.Read(Fixture));
        var runner = new RecordingRunner()
            .Returns(1, stderr: "Slurm accounting storage is disabled\n")
            .Returns(0, $"JobCompLoc              = {log}\nJobCompType             = jobcomp/filetxt\n");
        var scheduler = new SlurmScheduler(runner, time: TimeProvider.System, defaults: new SchedulerOptions { Kind = "slurm" }, zone: TimeZoneInfo.Utc);

        var report = await scheduler.OutcomesAsync(new OutcomeQuery(["apx-t1", "apx-t4"], DateTimeOffset.Parse("2026-11-21T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);

        Assert.True(report.Available);
        Assert.Equal(["1_4", "10"], report.Outcomes.Select(o => o.Id));
        Assert.Contains(log, report.Note);
        Assert.Equal(["sacct", "scontrol"], runner.Calls.Select(c => c.FileName));
        Assert.Equal(["show", "config"], runner.Calls[1].Arguments);
        File.Delete(log);
    }
}
