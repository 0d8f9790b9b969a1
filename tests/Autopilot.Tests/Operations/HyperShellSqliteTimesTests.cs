using Autopilot.Configuration;
using Autopilot.TaskLogs;
using static Autopilot.Tests.Operations.OpsTestSupport;
using Autopilot.DemandSources.HyperShell;

namespace Autopilot.Tests.Operations;

/// <summary>
/// Issue 19, item 4: HyperShell writes <c>datetime.now().astimezone()</c>, and SQLAlchemy's SQLite
/// DATETIME text keeps the local clock time without its offset. Under TZ=Asia/Tokyo a task submitted
/// at 17:40:13Z is stored as "02:40:13" the next day; `logs` showed it 9 h off. (The real `hs` under
/// TZ=Asia/Tokyo is exercised by the end-to-end tests.)
/// </summary>
public sealed class HyperShellSqliteTimesTests
{
    private const string Id = "bed86618-b103-44ba-baa2-78d3c9cc9568";
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    [Fact]
    public async Task Sqlite_times_are_read_in_the_zone_hypershell_wrote_them()
    {
        var db = CreateDatabase(TempDir(), new TaskRow(Id, "echo hi"));
        // Exactly what `TZ=Asia/Tokyo hs submit 'echo hi'` stored at 17:40:13.158671Z on 2026-12-06.
        Execute(db, $"UPDATE task SET submit_time = '2026-12-07 02:40:13.158671', schedule_time = '2026-12-07 02:40:14', completion_time = NULL WHERE id = '{Id}'");

        var store = new HyperShellTaskStore(new HyperShellOptions { Path = db }, Tokyo);
        var task = Assert.Single(await store.FindAsync(Id, 5, CancellationToken.None));

        Assert.Equal(new DateTimeOffset(2026, 12, 6, 17, 40, 13, TimeSpan.Zero).AddTicks(1_586_710), task.SubmitTime);
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 17, 40, 14, TimeSpan.Zero), task.ScheduleTime);
        Assert.Null(task.CompletionTime);
    }

    [Theory]
    [InlineData("2026-12-07 02:40:13", "Asia/Tokyo", "2026-12-06T17:40:13Z")]
    [InlineData("2026-07-01 12:00:00", "Europe/Amsterdam", "2026-07-01T10:00:00Z")]
    [InlineData("2026-01-01 12:00:00", "Europe/Amsterdam", "2026-01-01T11:00:00Z")]
    [InlineData("2026-12-07 02:40:13+09:00", "UTC", "2026-12-06T17:40:13Z")]
    [InlineData("2026-12-06T17:40:13Z", "Asia/Tokyo", "2026-12-06T17:40:13Z")]
    public void A_time_without_offset_is_wall_clock_time_in_the_writers_zone(string stored, string zone, string expected)
    {
        var parsed = HyperShellTask.ParseTime(stored, TimeZoneInfo.FindSystemTimeZoneById(zone));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), parsed);
        Assert.Equal(TimeSpan.Zero, parsed!.Value.Offset);
    }

    [Fact]
    public void Postgres_instants_stay_as_they_are()
    {
        var utc = new DateTime(2026, 12, 6, 17, 40, 13, DateTimeKind.Utc);
        Assert.Equal(new DateTimeOffset(utc), HyperShellTask.ParseTime(utc, Tokyo));
    }
}
