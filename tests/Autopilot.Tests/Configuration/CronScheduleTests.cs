using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

/// <summary>The `schedule` and `time_zone` keys (Cronos).</summary>
public sealed class CronScheduleTests
{
    /// <summary>Issue 14 problem 7: a schedule that never fires within a year is refused by the binder, so by `check`, start and reload.</summary>
    [Theory]
    [InlineData("0 0 30 2 *")]
    [InlineData("0 0 31 4 *")]
    [InlineData("0 0 0 30 2 *")]
    public void A_schedule_with_no_occurrence_within_a_year_is_refused_with_file_line_and_key(string schedule)
    {
        var path = ConfigTestSupport.WriteConfig($"state_dir = \"/tmp/x\"\nschedule = \"{schedule}\"\n");

        var loaded = ConfigTestSupport.Load(path);

        var error = Assert.Single(loaded.Errors).ToString();
        Assert.StartsWith($"{path}:2:", error, StringComparison.Ordinal);
        Assert.Contains($"schedule: cron expression '{schedule}' does not fire within a year", error, StringComparison.Ordinal);
    }

    /// <summary>Issue 14 problem 7: `check` exits 2 on 30 February, naming file, line and key.</summary>
    [Fact]
    public async Task Check_rejects_30_February()
    {
        var path = ConfigTestSupport.WriteConfig("schedule = \"0 0 30 2 *\"\n[[pool]]\nname = \"main\"\n");

        var (exit, output, error) = await Autopilot.Tests.Operations.OpsTestSupport.Run("check", "--config", path);

        Assert.Equal(2, exit);
        Assert.Contains($"{path}:1:1: schedule: cron expression '0 0 30 2 *' does not fire within a year", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schedule_months_away_is_accepted()
    {
        var path = ConfigTestSupport.WriteConfig("schedule = \"0 0 1 3 *\"\ntime_zone = \"Europe/Amsterdam\"\n");

        var loaded = ConfigTestSupport.Load(path);

        Assert.Empty(loaded.Errors);
        Assert.Equal("Europe/Amsterdam", loaded.Options.TimeZone);
        Assert.Equal("Europe/Amsterdam", CronSchedule.Of(loaded.Options).Zone.Id);
    }

    [Fact]
    public void An_unknown_time_zone_is_refused_with_file_line_and_key()
    {
        var path = ConfigTestSupport.WriteConfig("schedule = \"* * * * *\"\ntime_zone = \"Europe/Atlantis\"\n");

        var loaded = ConfigTestSupport.Load(path);

        var error = Assert.Single(loaded.Errors).ToString();
        Assert.StartsWith($"{path}:2:", error, StringComparison.Ordinal);
        Assert.Contains("time_zone: unknown time zone 'Europe/Atlantis'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_time_zone_the_local_zone_is_used()
    {
        Assert.True(CronSchedule.TryParse("*/15 * * * *", null, out var schedule, out var error), error);
        Assert.Equal(TimeZoneInfo.Local, schedule.Zone);
    }

    [Fact]
    public void Six_fields_put_seconds_first()
    {
        Assert.True(CronSchedule.TryParse("*/20 * * * * *", "UTC", out var schedule, out var error), error);
        var from = new DateTimeOffset(2026, 12, 6, 10, 0, 5, TimeSpan.Zero);
        Assert.Equal(from.AddSeconds(15), schedule.Next(from));
    }
}
