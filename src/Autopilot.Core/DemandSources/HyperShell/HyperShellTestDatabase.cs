using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Autopilot.DemandSources.HyperShell;

/// <summary>Which HyperShell task table to build.</summary>
public enum HyperShellSchemaVersion
{
    /// <summary>HyperShell 2.x before 2.8: no group; index on schedule_time.</summary>
    Classic,

    /// <summary>
    /// HyperShell 2.8+: a <c>"group"</c> column; indexes as hypershell/hypershell's data/model.py
    /// declares them (index_tasks_unscheduled on ("group", schedule_time), index_tasks_retries on
    /// (exit_status, retried); none on schedule_time alone); a cancellation sets completion_time.
    /// </summary>
    Grouped,
}

/// <summary>A task's state, as HyperShell leaves its nullable columns.</summary>
public enum HyperShellTaskState
{
    /// <summary>Submitted, never handed out: schedule_time NULL.</summary>
    Pending,

    /// <summary>Pre-marked by the server (schedule_time set) with no client yet.</summary>
    Scheduled,

    /// <summary>Handed to a client and started, not finished.</summary>
    Running,

    /// <summary>Finished with exit status 0.</summary>
    Succeeded,

    /// <summary>Finished with a non-zero exit status (<see cref="HyperShellTaskBatch.ExitStatus"/>).</summary>
    Failed,

    /// <summary>
    /// Cancelled: HyperShell sets schedule_time and exit_status -1; the grouped release's cancel_all
    /// sets completion_time too, the classic one leaves it NULL.
    /// </summary>
    Cancelled,
}

/// <summary><paramref name="Count"/> tasks in one state.</summary>
public sealed record HyperShellTaskBatch(HyperShellTaskState State, long Count)
{
    /// <summary>The tag column's JSON object, e.g. <c>{"site": "a", "prod": ""}</c>.</summary>
    public string Tag { get; init; } = "{}";

    /// <summary>Group (only written by the <see cref="HyperShellSchemaVersion.Grouped"/> schema).</summary>
    public int Group { get; init; }

    public int Attempt { get; init; } = 1;

    /// <summary>A retry row has been created for this (failed) task.</summary>
    public bool Retried { get; init; }

    /// <summary>Exit status of a <see cref="HyperShellTaskState.Failed"/> task.</summary>
    public int ExitStatus { get; init; } = 1;
}

/// <summary>
/// Builds HyperShell task databases for tests, benchmarks and the demo: the table and indexes
/// HyperShell's model creates, on SQLite (journal mode left as HyperShell leaves it: no WAL) and on
/// PostgreSQL, and tasks in any state. Inserts run in one transaction with a prepared statement
/// (SQLite) or as one <c>INSERT ... SELECT generate_series</c> per batch (PostgreSQL).
/// </summary>
public static class HyperShellTestDatabase
{
    private static readonly DateTimeOffset Epoch = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Columns =
    [
        "id", "args", "submit_id", "submit_time", "submit_host", "server_id", "server_host", "schedule_time",
        "client_id", "client_host", "command", "start_time", "completion_time", "exit_status", "outpath", "errpath",
        "attempt", "retried", "waited", "duration", "previous_id", "next_id", "tag",
    ];

    // ------------------------------------------------------------------ SQLite

    /// <summary>Creates the file (replacing none: it must not exist) with HyperShell's tables and indexes.</summary>
    public static void CreateSqlite(string path, HyperShellSchemaVersion version = HyperShellSchemaVersion.Classic)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} already exists");
        }

        using var connection = OpenSqlite(path, SqliteOpenMode.ReadWriteCreate);
        using var command = connection.CreateCommand();
        var group = version == HyperShellSchemaVersion.Grouped ? ",\n  \"group\" INTEGER NOT NULL DEFAULT 0" : "";
        var indexes = version == HyperShellSchemaVersion.Grouped
            ? """
              CREATE INDEX index_tasks_unscheduled ON task ("group", schedule_time);
              CREATE INDEX index_tasks_retries ON task (exit_status, retried);
              """
            : """
              CREATE INDEX task_scheduled_index ON task (schedule_time);
              CREATE INDEX task_retries_index ON task (exit_status, retried);
              CREATE INDEX task_client_completed_index ON task (client_id, completion_time);
              """;
        command.CommandText = $"""
            CREATE TABLE task (
              id TEXT NOT NULL, args TEXT NOT NULL,
              submit_id TEXT NOT NULL, submit_time DATETIME NOT NULL, submit_host TEXT,
              server_id TEXT, server_host TEXT, schedule_time DATETIME,
              client_id TEXT, client_host TEXT,
              command TEXT, start_time DATETIME, completion_time DATETIME, exit_status SMALLINT,
              outpath TEXT, errpath TEXT,
              attempt SMALLINT NOT NULL, retried BOOLEAN NOT NULL,
              waited INTEGER, duration INTEGER,
              previous_id TEXT, next_id TEXT,
              tag JSON NOT NULL{group},
              PRIMARY KEY (id), UNIQUE (previous_id), UNIQUE (next_id)
            );
            {indexes}
            CREATE TABLE client (
              id TEXT NOT NULL, host TEXT NOT NULL, server_id TEXT NOT NULL, server_host TEXT NOT NULL,
              connected_at DATETIME, disconnected_at DATETIME, evicted BOOLEAN NOT NULL,
              PRIMARY KEY (id)
            );
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>Appends tasks to an existing SQLite task database, in one transaction.</summary>
    public static void InsertSqlite(string path, params HyperShellTaskBatch[] batches)
    {
        using var connection = OpenSqlite(path, SqliteOpenMode.ReadWrite);
        var hasGroup = false;
        using (var info = connection.CreateCommand())
        {
            info.CommandText = "SELECT count(*) FROM pragma_table_info('task') WHERE name = 'group'";
            hasGroup = Convert.ToInt64(info.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
        }

        var columns = hasGroup ? [.. Columns, "group"] : Columns;
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO task ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select(c => "$" + c))})";
        var parameters = columns.ToDictionary(c => c, c => command.Parameters.Add(new SqliteParameter("$" + c, null)));
        command.Prepare();
        var serial = 0L;
        foreach (var batch in batches)
        {
            for (var i = 0L; i < batch.Count; i++, serial++)
            {
                var row = Row(batch, serial, hasGroup);
                foreach (var (name, parameter) in parameters)
                {
                    parameter.Value = row.TryGetValue(name, out var value) && value is not null ? SqliteValue(value) : DBNull.Value;
                }

                command.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    /// <summary>Creates the file and inserts <paramref name="batches"/>.</summary>
    public static void CreateSqlite(string path, HyperShellSchemaVersion version, params HyperShellTaskBatch[] batches)
    {
        CreateSqlite(path, version);
        InsertSqlite(path, batches);
    }

    private static SqliteConnection OpenSqlite(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object SqliteValue(object value) => value switch
    {
        // SQLAlchemy's SQLite DATETIME text holds the writer's local clock time without an offset.
        DateTimeOffset t => t.ToLocalTime().DateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        bool b => b ? 1 : 0,
        Guid g => g.ToString(),
        _ => value,
    };

    /// <summary>Column values of one task in the batch's state.</summary>
    private static Dictionary<string, object?> Row(HyperShellTaskBatch batch, long serial, bool grouped)
    {
        var submitted = Epoch.AddSeconds(serial);
        var row = new Dictionary<string, object?>
        {
            ["id"] = Guid.NewGuid(),
            ["args"] = $"echo {serial}",
            ["submit_id"] = Guid.Empty,
            ["submit_time"] = submitted,
            ["submit_host"] = "submit-host",
            ["attempt"] = batch.Attempt,
            ["retried"] = batch.Retried,
            ["tag"] = batch.Tag,
            ["group"] = batch.Group,
        };
        if (batch.State == HyperShellTaskState.Pending)
        {
            return row;
        }

        row["server_id"] = Guid.Empty;
        row["server_host"] = "server-host";
        row["schedule_time"] = submitted.AddSeconds(1);
        if (batch.State == HyperShellTaskState.Cancelled)
        {
            row["exit_status"] = -1;
            if (grouped)
            {
                row["completion_time"] = row["schedule_time"];
            }

            return row;
        }

        if (batch.State == HyperShellTaskState.Scheduled)
        {
            return row;
        }

        row["client_id"] = Guid.Empty;
        row["client_host"] = "client-host";
        row["command"] = row["args"];
        row["start_time"] = submitted.AddSeconds(2);
        row["waited"] = 2;
        if (batch.State == HyperShellTaskState.Running)
        {
            return row;
        }

        row["completion_time"] = submitted.AddSeconds(3);
        row["duration"] = 1;
        row["exit_status"] = batch.State == HyperShellTaskState.Succeeded ? 0 : batch.ExitStatus;
        return row;
    }

    // ------------------------------------------------------------------ PostgreSQL

    /// <summary>
    /// Creates <paramref name="schema"/> (if missing) and the task and client tables in it. With
    /// <paramref name="indexes"/> false the indexes are left for <see cref="CreatePostgresIndexesAsync"/>
    /// after a bulk insert (much faster for millions of rows).
    /// </summary>
    public static async Task CreatePostgresAsync(NpgsqlConnection connection, string schema, HyperShellSchemaVersion version = HyperShellSchemaVersion.Classic, bool indexes = true, CancellationToken cancellationToken = default)
    {
        var s = Quote(schema);
        var group = version == HyperShellSchemaVersion.Grouped ? ",\n  \"group\" INTEGER NOT NULL DEFAULT 0" : "";
        await ExecuteAsync(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE {s}.task (
              id UUID NOT NULL, args TEXT NOT NULL,
              submit_id UUID NOT NULL, submit_time TIMESTAMP WITH TIME ZONE NOT NULL, submit_host TEXT,
              server_id UUID, server_host TEXT, schedule_time TIMESTAMP WITH TIME ZONE,
              client_id UUID, client_host TEXT,
              command TEXT, start_time TIMESTAMP WITH TIME ZONE, completion_time TIMESTAMP WITH TIME ZONE, exit_status SMALLINT,
              outpath TEXT, errpath TEXT,
              attempt SMALLINT NOT NULL, retried BOOLEAN NOT NULL,
              waited INTEGER, duration INTEGER,
              previous_id UUID, next_id UUID,
              tag JSONB NOT NULL{group}
            );
            CREATE TABLE {s}.client (
              id UUID NOT NULL, host TEXT NOT NULL, server_id UUID NOT NULL, server_host TEXT NOT NULL,
              connected_at TIMESTAMP WITH TIME ZONE, disconnected_at TIMESTAMP WITH TIME ZONE, evicted BOOLEAN NOT NULL,
              PRIMARY KEY (id)
            );
            """, cancellationToken).ConfigureAwait(false);
        if (indexes)
        {
            await CreatePostgresIndexesAsync(connection, schema, version, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>HyperShell's primary key, indexes and unique constraints on the task table, then ANALYZE.</summary>
    public static async Task CreatePostgresIndexesAsync(NpgsqlConnection connection, string schema, HyperShellSchemaVersion version = HyperShellSchemaVersion.Classic, CancellationToken cancellationToken = default)
    {
        var s = Quote(schema);
        var indexes = version == HyperShellSchemaVersion.Grouped
            ? $"""
              CREATE INDEX index_tasks_unscheduled ON {s}.task ("group", schedule_time);
              CREATE INDEX index_tasks_retries ON {s}.task (exit_status, retried);
              """
            : $"""
              CREATE INDEX task_scheduled_index ON {s}.task (schedule_time);
              CREATE INDEX task_retries_index ON {s}.task (exit_status, retried);
              CREATE INDEX task_client_completed_index ON {s}.task (client_id, completion_time);
              """;
        await ExecuteAsync(connection, $"""
            ALTER TABLE {s}.task ADD CONSTRAINT task_pkey PRIMARY KEY (id);
            {indexes}
            ALTER TABLE {s}.task ADD CONSTRAINT task_previous_id_key UNIQUE (previous_id);
            ALTER TABLE {s}.task ADD CONSTRAINT task_next_id_key UNIQUE (next_id);
            ANALYZE {s}.task;
            """, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends tasks with one <c>INSERT ... SELECT generate_series</c> per batch, in one transaction.</summary>
    public static async Task InsertPostgresAsync(NpgsqlConnection connection, string schema, IEnumerable<HyperShellTaskBatch> batches, CancellationToken cancellationToken = default)
    {
        var s = Quote(schema);
        bool hasGroup;
        await using (var info = new NpgsqlCommand("SELECT count(*) FROM information_schema.columns WHERE table_schema = @schema AND table_name = 'task' AND column_name = 'group'", connection))
        {
            info.Parameters.AddWithValue("schema", schema);
            hasGroup = (long)(await info.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! > 0;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var offset = 0L;
        foreach (var batch in batches)
        {
            var state = batch.State;
            var scheduled = state != HyperShellTaskState.Pending;
            var started = state is HyperShellTaskState.Running or HyperShellTaskState.Succeeded or HyperShellTaskState.Failed;
            var finished = state is HyperShellTaskState.Succeeded or HyperShellTaskState.Failed;
            var cancelledFinished = state == HyperShellTaskState.Cancelled && hasGroup;
            int? exit = state switch
            {
                HyperShellTaskState.Succeeded => 0,
                HyperShellTaskState.Failed => batch.ExitStatus,
                HyperShellTaskState.Cancelled => -1,
                _ => null,
            };
            string T(bool set, int seconds) => set ? $"@epoch + make_interval(secs => i + {seconds})" : "NULL";
            var values = new[]
            {
                "gen_random_uuid()", "'echo ' || i", "'00000000-0000-0000-0000-000000000000'::uuid", T(true, 0), "'submit-host'",
                scheduled ? "'00000000-0000-0000-0000-000000000000'::uuid" : "NULL", scheduled ? "'server-host'" : "NULL", T(scheduled, 1),
                started ? "'00000000-0000-0000-0000-000000000000'::uuid" : "NULL", started ? "'client-host'" : "NULL",
                started ? "'echo ' || i" : "NULL", T(started, 2), cancelledFinished ? T(true, 1) : T(finished, 3), "@exit_status",
                "NULL", "NULL",
                "@attempt", "@retried", started ? "2" : "NULL", finished ? "1" : "NULL",
                "NULL", "NULL", "@tag::jsonb",
            };
            var columns = Columns.AsEnumerable();
            if (hasGroup)
            {
                columns = columns.Append("group");
                values = [.. values, "@group"];
            }

            await using var command = new NpgsqlCommand(
                $"INSERT INTO {s}.task ({string.Join(", ", columns.Select(Quote))}) SELECT {string.Join(", ", values)} FROM generate_series(@from, @to) AS i",
                connection, transaction);
            command.CommandTimeout = 0;
            command.Parameters.AddWithValue("epoch", Epoch);
            command.Parameters.Add(new NpgsqlParameter("exit_status", NpgsqlDbType.Smallint) { Value = exit is null ? DBNull.Value : (short)exit.Value });
            command.Parameters.Add(new NpgsqlParameter("attempt", NpgsqlDbType.Smallint) { Value = (short)batch.Attempt });
            command.Parameters.AddWithValue("retried", batch.Retried);
            command.Parameters.AddWithValue("tag", batch.Tag);
            command.Parameters.AddWithValue("from", offset);
            command.Parameters.AddWithValue("to", offset + batch.Count - 1);
            if (hasGroup)
            {
                command.Parameters.AddWithValue("group", batch.Group);
            }

            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            offset += batch.Count;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops a schema and everything in it (test clean-up).</summary>
    public static Task DropPostgresSchemaAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken = default) =>
        ExecuteAsync(connection, $"DROP SCHEMA IF EXISTS {Quote(schema)} CASCADE", cancellationToken);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Quote(string identifier) => Postgres.PostgresConnection.QuoteIdentifier(identifier);
}
