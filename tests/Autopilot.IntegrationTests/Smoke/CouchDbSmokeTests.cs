using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.Smoke;

/// <summary>The CouchDB-compatible server answers a map view query, as PiCaS demand reading needs.</summary>
public sealed class CouchDbSmokeTests
{
    [Fact]
    public async Task View_query_returns_the_rows_the_map_function_emits()
    {
        using var http = await TestServices.OpenCouchDbAsync(CancellationToken.None);
        var db = TestServices.UniqueName("apit_couch_");
        var created = await http.PutAsync(db, null);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"PUT /{db}: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        try
        {
            var design = new
            {
                views = new
                {
                    todo = new { map = "function (doc) { if (doc.type === 'token' && doc.lock === 0) { emit(doc._id, doc._id); } }" },
                },
            };
            (await http.PutAsJsonAsync($"{db}/_design/Monitor", design)).EnsureSuccessStatusCode();

            var docs = new
            {
                docs = new object[]
                {
                    new { _id = "t1", type = "token", @lock = 0 },
                    new { _id = "t2", type = "token", @lock = 0 },
                    new { _id = "t3", type = "token", @lock = 1700000000 },
                    new { _id = "other", type = "log", @lock = 0 },
                },
            };
            (await http.PostAsJsonAsync($"{db}/_bulk_docs", docs)).EnsureSuccessStatusCode();

            var response = await http.GetAsync($"{db}/_design/Monitor/_view/todo");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"view query: {(int)response.StatusCode} {body}");
            using var json = JsonDocument.Parse(body);
            var ids = json.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("id").GetString() ?? "").ToArray();
            Assert.Equal(new[] { "t1", "t2" }, ids);
        }
        finally
        {
            await http.DeleteAsync(db);
        }
    }

    [Fact]
    public async Task Wrong_password_is_refused()
    {
        using var http = new HttpClient { BaseAddress = TestServices.CouchDbUrl, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String("admin:wrong-password"u8.ToArray()));

        // A GET only: pouchdb-server 4.2 crashes on an unauthenticated PUT of a new database.
        var response = await http.GetAsync("_session");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
