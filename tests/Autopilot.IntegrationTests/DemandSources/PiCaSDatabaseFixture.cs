using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>
/// A fresh PiCaS database on the real pouchdb-server: the <c>Monitor</c> design document with the
/// views PiCaS' examples/create_views.py makes (todo, locked, done, error and the overview_total
/// map/reduce by state), tokens in all four states, and the database deleted afterwards.
/// </summary>
public sealed class PiCaSDatabaseFixture : IAsyncLifetime
{
    public const int Todo = 5;
    public const int Locked = 3;
    public const int Done = 4;
    public const int Error = 2;

    // The conditions of PiCaS' create_views.py; the map body is its get_view_code.
    private const string TodoCondition = "doc.lock == 0 && doc.done == 0";
    private const string LockedCondition = "doc.lock > 0 && doc.done == 0";
    private const string DoneCondition = "doc.lock > 0 && doc.done > 0 && parseInt(doc.exit_code) == 0";
    private const string ErrorCondition = "doc.lock > 0 && doc.done > 0 && parseInt(doc.exit_code) != 0";

    public string Database { get; } = TestServices.UniqueName("apit_picas_");

    /// <summary>A picas demand source's settings for this database, as the test service's admin.</summary>
    public Autopilot.DemandSources.PiCaS.PiCaSOptions Options => new()
    {
        Url = TestServices.CouchDbUrl.ToString(),
        Database = Database,
        User = TestServices.CouchDbUser,
        PasswordFile = TestServices.CouchDbPasswordFile,
        Timeout = TimeSpan.FromSeconds(10),
    };

    public async Task InitializeAsync()
    {
        using var http = await TestServices.OpenCouchDbAsync(CancellationToken.None);
        await Ok(await http.PutAsync(Database, null), $"PUT /{Database}");

        var monitor = new
        {
            views = new Dictionary<string, object>
            {
                ["todo"] = new { map = MapOf(TodoCondition) },
                ["locked"] = new { map = MapOf(LockedCondition) },
                ["done"] = new { map = MapOf(DoneCondition) },
                ["error"] = new { map = MapOf(ErrorCondition) },
                ["overview_total"] = new
                {
                    map = "function(doc) {\n   if(doc.type == \"token\") {\n"
                        + $"       if ({TodoCondition}){{\n          emit('todo', 1);\n       }}\n"
                        + $"       if({LockedCondition}) {{\n          emit('locked', 1);\n       }}\n"
                        + $"       if({DoneCondition}) {{\n          emit('done', 1);\n       }}\n"
                        + $"       if({ErrorCondition}) {{\n          emit('error', 1);\n       }}\n"
                        + "   }\n}\n",
                    reduce = "function (key, values, rereduce) {\n   return sum(values);\n}\n",
                },
            },
        };
        await Ok(await http.PutAsJsonAsync($"{Database}/_design/Monitor", monitor), "PUT _design/Monitor");

        // Not PiCaS: a reduce view whose values are not numbers, and a state view on the built-in _count.
        var odd = new
        {
            views = new Dictionary<string, object>
            {
                ["words"] = new
                {
                    map = "function(doc) { if (doc.type == 'token') { emit(doc.lock == 0 ? 'todo' : 'locked', 1); } }",
                    reduce = "function (key, values, rereduce) { return 'many'; }",
                },
                ["by_state"] = new
                {
                    map = $"function(doc) {{ if (doc.type == 'token') {{ if ({TodoCondition}) {{ emit('todo', null); }} if ({LockedCondition}) {{ emit('locked', null); }} }} }}",
                    reduce = "_count",
                },
            },
        };
        await Ok(await http.PutAsJsonAsync($"{Database}/_design/Odd", odd), "PUT _design/Odd");

        var docs = new List<object>();
        var now = 1_700_000_000;
        for (var i = 0; i < Todo; i++)
        {
            docs.Add(Token($"todo_{i}", @lock: 0, done: 0, exitCode: ""));
        }

        for (var i = 0; i < Locked; i++)
        {
            docs.Add(Token($"locked_{i}", @lock: now + i, done: 0, exitCode: ""));
        }

        for (var i = 0; i < Done; i++)
        {
            docs.Add(Token($"done_{i}", @lock: now + i, done: now + 60 + i, exitCode: 0));
        }

        for (var i = 0; i < Error; i++)
        {
            docs.Add(Token($"error_{i}", @lock: now + i, done: now + 60 + i, exitCode: 1));
        }

        // Not a token: the views must not count it.
        docs.Add(new { _id = "log_1", type = "log", @lock = 0, done = 0 });
        await Ok(await http.PostAsJsonAsync($"{Database}/_bulk_docs", new { docs }), "POST _bulk_docs");
    }

    public async Task DisposeAsync()
    {
        using var http = TestServices.CreateCouchDbClient();
        using var _ = await http.DeleteAsync(Database);
    }

    /// <summary>A locked token as our picas-loop.sh leaves it (lock time, host, the pilot that took it when given); returns its unique id.</summary>
    public async Task<string> AddLockedTokenAsync(TimeSpan lockedFor, string? pilot)
    {
        var id = TestServices.UniqueName("locked_");
        var doc = new JsonObject
        {
            ["_id"] = id,
            ["type"] = "token",
            ["lock"] = (DateTimeOffset.UtcNow - lockedFor).ToUnixTimeSeconds(),
            ["done"] = 0,
            ["hostname"] = "node7",
            ["scrub_count"] = 0,
            ["input"] = "echo " + id,
            ["exit_code"] = "",
        };
        if (pilot is not null)
        {
            doc["pilot"] = pilot;
        }

        using var http = TestServices.CreateCouchDbClient();
        await Ok(await http.PutAsync($"{Database}/{id}", JsonContent.Create(doc)), $"PUT {id}");
        return id;
    }

    /// <summary>A token's document as stored now.</summary>
    public async Task<JsonObject> GetTokenAsync(string id)
    {
        using var http = TestServices.CreateCouchDbClient();
        return JsonNode.Parse(await http.GetStringAsync($"{Database}/{id}"))!.AsObject();
    }

    private static string MapOf(string condition) =>
        "function(doc) {\n   if(doc.type == \"token\") {\n    if(" + condition + ") {\n      emit(doc._id, doc._id);\n    }\n  }\n}\n";

    // The fields of a PiCaS task document (picas/documents.py), typed "token" as the examples push them.
    private static object Token(string id, long @lock, long done, object exitCode) => new
    {
        _id = id,
        type = "token",
        @lock,
        done,
        hostname = "",
        scrub_count = 0,
        input = $"echo {id}",
        exit_code = exitCode,
    };

    private static async Task Ok(HttpResponseMessage response, string what)
    {
        using (response)
        {
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.Accepted))
            {
                throw new InvalidOperationException($"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
    }
}
