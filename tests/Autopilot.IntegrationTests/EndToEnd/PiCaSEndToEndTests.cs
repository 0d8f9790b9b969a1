using Xunit.Abstractions;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 8's end-to-end point: a pool fed by PiCaS tokens in the real CouchDB-compatible server
/// drives real Slurm pilots through `autopilot tick` (database and views from <see cref="PiCaSDatabaseFixture"/>:
/// 5 todo, 3 locked, 4 done, 2 error tokens).
/// </summary>
public sealed class PiCaSEndToEndTests(PiCaSDatabaseFixture db, ITestOutputHelper output) : IClassFixture<PiCaSDatabaseFixture>
{
    [Fact]
    public async Task Todo_tokens_drive_slurm_pilots_and_locking_them_all_scales_to_zero()
    {
        await using var harness = new EndToEndHarness();
        var demand = new DemandSpec($"""
            kind = "picas"
            url = {EndToEndHarness.Quote(TestServices.CouchDbUrl.ToString())}
            database = {EndToEndHarness.Quote(db.Database)}
            user = {EndToEndHarness.Quote(TestServices.CouchDbUser)}
            password_file = {EndToEndHarness.Quote(TestServices.CouchDbPasswordFile)}
            """);
        harness.WriteConfig(new PoolSpec(demand) { TasksPerPilot = 1, ScaleToZeroAfter = "0s", ExtraArgs = EndToEndHarness.StayQueued });

        var plan = await harness.PlanAsync();
        Assert.Equal(PiCaSDatabaseFixture.Todo, plan.GetProperty("demand").GetProperty("tasks").GetInt64());
        Assert.Equal(PiCaSDatabaseFixture.Todo, plan.GetProperty("desired").GetInt32());

        // 5 todo tokens, one per pilot; max_queued 2 lets 2 in, as one array.
        var tick = await harness.TickAsync();
        output.WriteLine(tick.Stderr);
        Assert.Equal(2, EndToEndHarness.Submitted(tick));
        Assert.Contains("--array=1-2", Assert.Single(EndToEndHarness.SbatchCalls(tick)), StringComparison.Ordinal);
        var pilots = await harness.SqueueAsync();
        Assert.Equal(2, pilots.Count);
        Assert.All(pilots, p => Assert.True(p.Pending, $"{p.Id} {p.State}"));

        // Workers take every token (PiCaS sets lock): nothing left to do, the queued pilots go.
        await LockAllTodoAsync();
        tick = await harness.TickAsync();
        Assert.Contains("demand 0", tick.Stderr, StringComparison.Ordinal);
        Assert.Contains("cancelled 2", tick.Stderr, StringComparison.Ordinal);
        Assert.Empty(await harness.SqueueAsync());
    }

    private async Task LockAllTodoAsync()
    {
        using var http = await TestServices.OpenCouchDbAsync(CancellationToken.None);
        for (var i = 0; i < PiCaSDatabaseFixture.Todo; i++)
        {
            var path = $"{db.Database}/todo_{i}";
            var doc = (await http.GetFromJsonAsync<JsonObject>(path))!;
            doc["lock"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            doc["hostname"] = "e2e-test";
            using var put = await http.PutAsJsonAsync(path, doc);
            Assert.True(put.IsSuccessStatusCode, $"PUT {path}: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }
    }
}
