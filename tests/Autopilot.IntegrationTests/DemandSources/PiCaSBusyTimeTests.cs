using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Autopilot.Accounting;
using Autopilot.DemandSources.PiCaS;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>Issue 16 item 2 for PiCaS: busy time per pilot from its tokens in the real pouchdb-server (one _find).</summary>
public sealed class PiCaSBusyTimeTests(PiCaSDatabaseFixture db) : IClassFixture<PiCaSDatabaseFixture>
{
    [Fact]
    public async Task A_pilots_tokens_lock_to_done_are_its_busy_time_and_the_fixtures_other_tokens_count_for_no_pilot()
    {
        var pilot = TestServices.UniqueName("77");
        var sgeStyle = TestServices.UniqueName("88");
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        await PutAsync(pilot, t0, t0 + 30);
        await PutAsync(pilot, t0 + 40, t0 + 45);
        await PutAsync(sgeStyle + ".undefined", t0, t0 + 12); // the Grid Engine template outside an array

        var options = db.Options;
        var usage = new PiCaSTaskUsage(options, NullLogger.Instance, TimeProvider.System);
        var end = DateTimeOffset.FromUnixTimeSeconds(t0 + 60);
        PilotRecord Row(string id) => new("p", id, end.AddMinutes(-2), end.AddMinutes(-1), end, 1, 1, 0, TimeSpan.FromHours(1), null, null, "gone");
        var found = await usage.ReadAsync([Row(pilot), Row(sgeStyle), Row("nobody")], DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(new WorkerUsage(null, 35, 2), found[pilot]);
        Assert.Equal(new WorkerUsage(null, 12, 1), found[sgeStyle]);
        Assert.Equal(new WorkerUsage(null, 0, 0), found["nobody"]);

        var wrong = new PiCaSTaskUsage(options with { Database = "no_such_db_" + Guid.NewGuid().ToString("N")[..8] }, NullLogger.Instance, TimeProvider.System);
        var ex = await Assert.ThrowsAsync<Autopilot.DemandSources.DemandException>(() => wrong.ReadAsync([Row(pilot)], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    private async Task PutAsync(string pilot, long locked, long done)
    {
        var id = TestServices.UniqueName("busy_");
        using var http = await TestServices.OpenCouchDbAsync(CancellationToken.None);
        var doc = new JsonObject { ["_id"] = id, ["type"] = "token", ["lock"] = locked, ["done"] = done, ["pilot"] = pilot, ["hostname"] = "vm", ["exit_code"] = 0 };
        using var put = await http.PutAsync($"{db.Database}/{id}", JsonContent.Create(doc));
        Assert.True(put.IsSuccessStatusCode, $"PUT {id}: {(int)put.StatusCode}");
    }
}
