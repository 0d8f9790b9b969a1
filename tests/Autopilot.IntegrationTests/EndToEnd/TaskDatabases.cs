using Autopilot.DemandSources.HyperShell;
using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>A HyperShell task database a pool reads, and the test's way to finish its work.</summary>
public interface ITaskDatabase : IAsyncDisposable
{
    /// <summary>The [pool.demand] lines that read it.</summary>
    DemandSpec Demand { get; }

    /// <summary>Marks every task the pool counts as completed (exit 0): demand drops to zero.</summary>
    Task CompletePoolTasksAsync();
}

/// <summary>
/// The task databases of the scaling scenario: 40 pending tasks the pool counts, plus finished and
/// cancelled ones it must not count. Tagged: the 40 carry <c>{"gpu": ""}</c>, and 30 more pending
/// tasks tagged <c>{"cpu": ""}</c> belong to someone else; the pool filters with <c>tag = "gpu"</c>.
/// </summary>
public static class TaskDatabases
{
    public const int PoolTasks = 40;

    private static HyperShellTaskBatch[] Batches(bool tagged) => tagged
        ?
        [
            new(HyperShellTaskState.Pending, PoolTasks) { Tag = "{\"gpu\": \"\"}" },
            new(HyperShellTaskState.Pending, 30) { Tag = "{\"cpu\": \"\"}" },
            new(HyperShellTaskState.Succeeded, 25) { Tag = "{\"gpu\": \"\"}" },
            new(HyperShellTaskState.Cancelled, 5) { Tag = "{\"gpu\": \"\"}" },
        ]
        :
        [
            new(HyperShellTaskState.Pending, PoolTasks),
            new(HyperShellTaskState.Succeeded, 25),
            new(HyperShellTaskState.Cancelled, 5),
        ];

    public static async Task<ITaskDatabase> CreateAsync(string backend, bool tagged, string dir) => backend switch
    {
        "sqlite" => Sqlite.Create(Path.Combine(dir, "main.db"), tagged),
        "postgres" => await Postgres.CreateAsync(tagged),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, "sqlite or postgres"),
    };

    private static string TagLine(bool tagged) => tagged ? "tag = \"gpu\"\n" : "";

    public sealed class Sqlite : ITaskDatabase
    {
        private readonly string _path;
        private readonly bool _tagged;

        private Sqlite(string path, bool tagged)
        {
            _path = path;
            _tagged = tagged;
        }

        public static Sqlite Create(string path, bool tagged)
        {
            HyperShellTestDatabase.CreateSqlite(path, HyperShellSchemaVersion.Classic, Batches(tagged));
            return new Sqlite(path, tagged);
        }

        public DemandSpec Demand => new($"kind = \"hypershell\"\nbackend = \"sqlite\"\npath = {EndToEndHarness.Quote(_path)}\n{TagLine(_tagged)}");

        public Task CompletePoolTasksAsync()
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE task SET schedule_time = submit_time, client_id = 'c', client_host = 'client-host',
                  start_time = submit_time, completion_time = submit_time, exit_status = 0
                WHERE schedule_time IS NULL
                """ + (_tagged ? " AND json_extract(tag, '$.gpu') IS NOT NULL" : "");
            var changed = command.ExecuteNonQuery();
            Assert.Equal(PoolTasks, changed);
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    public sealed class Postgres : ITaskDatabase
    {
        private readonly string _schema;
        private readonly bool _tagged;

        private Postgres(string schema, bool tagged)
        {
            _schema = schema;
            _tagged = tagged;
        }

        public static async Task<Postgres> CreateAsync(bool tagged)
        {
            var schema = TestServices.UniqueName("ape2e_");
            await using var connection = await HyperShellPg.OpenAsync();
            await HyperShellTestDatabase.CreatePostgresAsync(connection, schema);
            await HyperShellTestDatabase.InsertPostgresAsync(connection, schema, Batches(tagged));
            return new Postgres(schema, tagged);
        }

        public DemandSpec Demand => new($"""
            kind = "hypershell"
            backend = "postgres"
            {TagLine(_tagged)}
            [pool.demand.postgres]
            host = {EndToEndHarness.Quote(HyperShellPg.Host)}
            port = {HyperShellPg.Port}
            database = {EndToEndHarness.Quote(HyperShellPg.Database)}
            user = {EndToEndHarness.Quote(HyperShellPg.User)}
            password_file = {EndToEndHarness.Quote(HyperShellPg.PasswordFile)}
            schema = {EndToEndHarness.Quote(_schema)}
            ssl_mode = "disable"
            """);

        public async Task CompletePoolTasksAsync()
        {
            await using var connection = await HyperShellPg.OpenAsync();
            await using var command = new NpgsqlCommand(
                $"""
                UPDATE "{_schema}".task SET schedule_time = submit_time, client_id = submit_id, client_host = 'client-host',
                  start_time = submit_time, completion_time = submit_time, exit_status = 0
                WHERE schedule_time IS NULL
                """ + (_tagged ? " AND tag ? 'gpu'" : ""),
                connection);
            Assert.Equal(PoolTasks, await command.ExecuteNonQueryAsync());
        }

        public async ValueTask DisposeAsync()
        {
            await using var connection = await HyperShellPg.OpenAsync();
            await HyperShellTestDatabase.DropPostgresSchemaAsync(connection, _schema);
        }
    }
}

/// <summary>A HyperShell SQLite file whose pending count the test sets at will (demand = pending).</summary>
public sealed class PendingTasks
{
    private readonly string _path;

    public PendingTasks(string dir, long pending)
    {
        _path = Path.Combine(dir, "tasks.db");
        HyperShellTestDatabase.CreateSqlite(_path, HyperShellSchemaVersion.Classic, new HyperShellTaskBatch(HyperShellTaskState.Pending, pending));
    }

    public DemandSpec Demand => new($"kind = \"hypershell\"\nbackend = \"sqlite\"\npath = {EndToEndHarness.Quote(_path)}\n");

    /// <summary>Adds pending tasks or completes some, so that exactly <paramref name="pending"/> are pending.</summary>
    public void Set(long pending)
    {
        var now = Count();
        if (pending > now)
        {
            HyperShellTestDatabase.InsertSqlite(_path, new HyperShellTaskBatch(HyperShellTaskState.Pending, pending - now));
        }
        else if (pending < now)
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                UPDATE task SET schedule_time = submit_time, client_id = 'c', start_time = submit_time,
                  completion_time = submit_time, exit_status = 0
                WHERE id IN (SELECT id FROM task WHERE schedule_time IS NULL LIMIT $n)
                """;
            command.Parameters.AddWithValue("$n", now - pending);
            command.ExecuteNonQuery();
        }

        Assert.Equal(pending, Count());
    }

    private long Count()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM task WHERE schedule_time IS NULL";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
