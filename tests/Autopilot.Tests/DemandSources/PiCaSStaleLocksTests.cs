using System.Text.Json.Nodes;
using Autopilot.DemandSources.PiCaS;

namespace Autopilot.Tests.DemandSources;

/// <summary>The pure verdict on locked PiCaS tokens (the reset itself is tested on the real pouchdb-server).</summary>
public sealed class PiCaSStaleLocksTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("4711", "4711")]
    [InlineData("4711_3", "4711")]
    [InlineData("4711.3", "4711")]
    [InlineData("4711.undefined", "4711")]
    [InlineData("4711.pbs-server index=3", "4711")]
    [InlineData("4711[3].pbs-server", "4711")]
    [InlineData("4711 index=3", "4711")]
    [InlineData("?", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    [InlineData("node7", null)]
    public void The_job_number_is_the_leading_digits_of_any_scheduler_s_pilot_id(string? pilot, string? expected) =>
        Assert.Equal(expected, PiCaSStaleLocks.JobNumber(pilot));

    [Fact]
    public void Old_locks_of_gone_pilots_are_stale_running_young_finished_and_anonymous_ones_are_not()
    {
        var body = Rows(
            Token("gone", hoursAgo: 2, pilot: "100_1"),
            Token("running", hoursAgo: 2, pilot: "200_7"),
            Token("young", hoursAgo: 0.5, pilot: "300"),
            Token("finished", hoursAgo: 2, pilot: "400", done: 1),
            Token("anonymous", hoursAgo: 2, pilot: null),
            Token("text-lock", hoursAgo: 2, pilot: "500", lockAsText: true));

        var judged = PiCaSStaleLocks.Judge(body, Now, new HashSet<string> { "200" }, TimeSpan.FromHours(1), byAge: false).ToDictionary(t => t.Id);

        Assert.Equal(["gone", "running", "anonymous", "text-lock"], judged.Keys);
        Assert.True(judged["gone"].Stale);
        Assert.Equal("locked 2h by pilot 100_1, which is no longer in the queue", judged["gone"].Why);
        Assert.False(judged["running"].Stale);
        Assert.False(judged["anonymous"].Stale);
        Assert.True(judged["text-lock"].Stale);
        Assert.Equal(TimeSpan.FromHours(2), judged["gone"].LockedFor);

        var byAge = PiCaSStaleLocks.Judge(body, Now, new HashSet<string> { "200" }, TimeSpan.FromHours(1), byAge: true).ToDictionary(t => t.Id);
        Assert.True(byAge["anonymous"].Stale);
        Assert.False(byAge["running"].Stale);
    }

    [Fact]
    public void A_view_queried_without_documents_is_refused()
    {
        var ex = Assert.Throws<FormatException>(() =>
            PiCaSStaleLocks.Judge("""{"total_rows":1,"rows":[{"id":"a","key":"a","value":"a"}]}""", Now, new HashSet<string>(), TimeSpan.FromHours(1), false));
        Assert.Contains("include_docs", ex.Message, StringComparison.Ordinal);
    }

    private static JsonObject Token(string id, double hoursAgo, string? pilot, long done = 0, bool lockAsText = false)
    {
        var lockTime = (Now - TimeSpan.FromHours(hoursAgo)).ToUnixTimeSeconds();
        var doc = new JsonObject
        {
            ["_id"] = id,
            ["_rev"] = "1-abc",
            ["type"] = "token",
            ["lock"] = lockAsText ? JsonValue.Create(lockTime.ToString(System.Globalization.CultureInfo.InvariantCulture)) : JsonValue.Create(lockTime),
            ["done"] = done,
            ["hostname"] = "node1",
        };
        if (pilot is not null)
        {
            doc["pilot"] = pilot;
        }

        return doc;
    }

    private static string Rows(params JsonObject[] docs) =>
        new JsonObject { ["total_rows"] = docs.Length, ["rows"] = new JsonArray(docs.Select(d => (JsonNode)new JsonObject { ["id"] = d["_id"]!.GetValue<string>(), ["doc"] = d }).ToArray()) }.ToJsonString();
}
