using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autopilot.Configuration;
using Autopilot.DemandSources.PiCaS;
using Autopilot.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>
/// Stale PiCaS locks on the real pouchdb-server: which locked tokens are judged stale, the reset PiCaS'
/// scrub does, and the revision check that leaves a token changed between read and reset alone.
/// Every test makes its own tokens (unique ids) in the fixture's database and judges only those.
/// </summary>
public sealed class PiCaSStaleLockTests(PiCaSDatabaseFixture db) : IClassFixture<PiCaSDatabaseFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromHours(1);

    private PiCaSOptions Options => new()
    {
        Url = TestServices.CouchDbUrl.ToString(),
        Database = db.Database,
        User = TestServices.CouchDbUser,
        PasswordFile = TestServices.CouchDbPasswordFile,
        Timeout = TimeSpan.FromSeconds(10),
    };

    private PiCaSStaleLocks Locks => new(Options, NullLogger.Instance, TimeProvider.System);

    [Fact]
    public async Task A_token_whose_pilot_is_gone_is_reset_and_one_whose_pilot_runs_is_kept()
    {
        var gone = await db.AddLockedTokenAsync(TimeSpan.FromHours(2), "999001_1");
        var running = await db.AddLockedTokenAsync(TimeSpan.FromHours(2), "424242_3");
        var young = await db.AddLockedTokenAsync(TimeSpan.FromMinutes(5), "999002");

        // Job 424242 is in the queue (another element of its array, 424242_1, would keep it too).
        var judged = Mine(await Locks.FindAsync(new HashSet<string> { "424242" }, Limit, byAge: false, CancellationToken.None), gone, running, young);

        // The young token is not judged at all; the two old ones are, with opposite verdicts.
        Assert.Equal(new[] { gone, running }.Order(StringComparer.Ordinal), judged.Select(t => t.Id).Order(StringComparer.Ordinal));
        Assert.True(judged.Single(t => t.Id == gone).Stale);
        Assert.Contains("pilot 999001_1, which is no longer in the queue", judged.Single(t => t.Id == gone).Why, StringComparison.Ordinal);
        Assert.False(judged.Single(t => t.Id == running).Stale);

        var resets = await Locks.ResetAsync(judged, CancellationToken.None);

        var reset = Assert.Single(resets);
        Assert.Equal(gone, reset.Token.Id);
        Assert.True(reset.Reset, reset.Outcome);
        var doc = await db.GetTokenAsync(gone);
        Assert.Equal(0, doc["lock"]!.GetValue<long>());
        Assert.Equal(0, doc["done"]!.GetValue<long>());
        Assert.Equal("", doc["hostname"]!.GetValue<string>());
        Assert.Equal(1, doc["scrub_count"]!.GetValue<long>());
        Assert.Null(doc["pilot"]);
        Assert.Equal("echo " + gone, doc["input"]!.GetValue<string>());
        Assert.True((await db.GetTokenAsync(running))["lock"]!.GetValue<long>() > 0);
        Assert.True((await db.GetTokenAsync(young))["lock"]!.GetValue<long>() > 0);
        Assert.Contains(gone, await TodoIdsAsync());
    }

    [Fact]
    public async Task A_token_updated_between_read_and_reset_is_left_alone()
    {
        var id = await db.AddLockedTokenAsync(TimeSpan.FromHours(3), "999003");
        var judged = Mine(await Locks.FindAsync(new HashSet<string>(), Limit, byAge: false, CancellationToken.None), id);
        Assert.True(Assert.Single(judged).Stale);

        // Meanwhile the pilot (late, not gone after all) writes its result back.
        var doc = await db.GetTokenAsync(id);
        doc["done"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        doc["exit_code"] = 0;
        using (var http = TestServices.CreateCouchDbClient())
        {
            using var put = await http.PutAsync($"{db.Database}/{id}", JsonContent.Create(doc));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var reset = Assert.Single(await Locks.ResetAsync(judged, CancellationToken.None));

        Assert.False(reset.Reset);
        Assert.Contains("revision conflict", reset.Outcome, StringComparison.Ordinal);
        var after = await db.GetTokenAsync(id);
        Assert.True(after["done"]!.GetValue<long>() > 0, "the finished token was reset");
        Assert.True(after["lock"]!.GetValue<long>() > 0);
        Assert.Equal("999003", after["pilot"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_that_records_no_pilot_is_reset_by_age_only_when_opted_in()
    {
        var id = await db.AddLockedTokenAsync(TimeSpan.FromHours(2), pilot: null);

        var kept = Assert.Single(Mine(await Locks.FindAsync(new HashSet<string>(), Limit, byAge: false, CancellationToken.None), id));
        Assert.False(kept.Stale);
        Assert.Contains("stale_lock_by_age", kept.Why, StringComparison.Ordinal);
        Assert.Empty(await Locks.ResetAsync([kept], CancellationToken.None));
        Assert.True((await db.GetTokenAsync(id))["lock"]!.GetValue<long>() > 0);

        var stale = Assert.Single(Mine(await Locks.FindAsync(new HashSet<string>(), Limit, byAge: true, CancellationToken.None), id));
        Assert.True(stale.Stale);
        Assert.True(Assert.Single(await Locks.ResetAsync([stale], CancellationToken.None)).Reset);
        Assert.Equal(0, (await db.GetTokenAsync(id))["lock"]!.GetValue<long>());
    }

    private static List<LockedToken> Mine(IReadOnlyList<LockedToken> tokens, params string[] ids) =>
        tokens.Where(t => ids.Contains(t.Id)).ToList();

    private async Task<List<string>> TodoIdsAsync()
    {
        using var http = TestServices.CreateCouchDbClient();
        using var json = JsonDocument.Parse(await http.GetStringAsync($"{db.Database}/_design/Monitor/_view/todo"));
        return json.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToList();
    }
}
