using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Autopilot.State;

// The accounting tables live in the same SQLite file as the rest of the state (docs/report.md).
public sealed partial class SqliteStateStore : IAccountingStore
{
    // Times are ISO 8601 UTC text of one fixed width, so text order is time order.
    private const string AccountingSchema = """
        CREATE TABLE IF NOT EXISTS pilot_accounting (
            pool TEXT NOT NULL,
            pilot_id TEXT NOT NULL,
            submitted TEXT,
            started TEXT,
            ended TEXT,
            cpus INTEGER NOT NULL,
            nodes INTEGER NOT NULL,
            gpus INTEGER NOT NULL,
            walltime_s INTEGER NOT NULL,
            partition TEXT,
            account TEXT,
            end_state TEXT,
            PRIMARY KEY (pool, pilot_id));
        CREATE INDEX IF NOT EXISTS pilot_accounting_open ON pilot_accounting (pool, ended);
        CREATE INDEX IF NOT EXISTS pilot_accounting_ended ON pilot_accounting (ended);
        CREATE TABLE IF NOT EXISTS pool_samples (
            time TEXT NOT NULL,
            pool TEXT NOT NULL,
            demand INTEGER,
            queued INTEGER NOT NULL,
            running INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS pool_samples_time ON pool_samples (time);
        """;

    private const string PilotColumns =
        "pool, pilot_id, submitted, started, ended, cpus, nodes, gpus, walltime_s, partition, account, end_state, memory_mb, times_from, client_id, busy_s, tasks";

    // Columns added after the table first shipped: a store made before gets them on open.
    private static readonly (string Name, string Type)[] AddedColumns =
        [("memory_mb", "INTEGER"), ("times_from", "TEXT"), ("client_id", "TEXT"), ("busy_s", "REAL"), ("tasks", "INTEGER")];

    private static async Task MigrateAccountingAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var have = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM pragma_table_info('pilot_accounting')";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                have.Add(reader.GetString(0));
            }
        }

        foreach (var (name, type) in AddedColumns.Where(c => !have.Contains(c.Name)))
        {
            await ExecAsync(connection, $"ALTER TABLE pilot_accounting ADD COLUMN {name} {type}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<PilotRecord>> UncompletedPilotsAsync(string pool, DateTimeOffset endedAfter, int limit, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"SELECT {PilotColumns} FROM pilot_accounting WHERE pool = $pool AND times_from IS NULL AND ended >= $after ORDER BY ended LIMIT $limit";
        cmd.Parameters.AddWithValue("$pool", pool);
        cmd.Parameters.AddWithValue("$after", Text(endedAfter));
        cmd.Parameters.AddWithValue("$limit", limit);
        return await ReadPilotsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PilotRecord>> PilotsWithTasksOpenAsync(string pool, DateTimeOffset endedAfter, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"SELECT {PilotColumns} FROM pilot_accounting WHERE pool = $pool AND started IS NOT NULL AND (ended IS NULL OR ended >= $after)";
        cmd.Parameters.AddWithValue("$pool", pool);
        cmd.Parameters.AddWithValue("$after", Text(endedAfter));
        return await ReadPilotsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PilotRecord>> OpenPilotsAsync(string pool, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        var names = new List<string>();
        foreach (var id in ids)
        {
            var name = "$id" + names.Count.ToString(CultureInfo.InvariantCulture);
            names.Add(name);
            cmd.Parameters.AddWithValue(name, id);
        }

        var orIds = names.Count == 0 ? "" : $" OR pilot_id IN ({string.Join(", ", names)})";
        cmd.CommandText = $"SELECT {PilotColumns} FROM pilot_accounting WHERE pool = $pool AND (ended IS NULL{orIds})";
        cmd.Parameters.AddWithValue("$pool", pool);
        return await ReadPilotsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    public async Task SavePilotsAsync(IReadOnlyList<PilotRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        await using var transaction = (SqliteTransaction)await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = _connection.CreateCommand();
        cmd.Transaction = transaction;
        cmd.CommandText = $"""
            INSERT OR REPLACE INTO pilot_accounting ({PilotColumns})
            VALUES ($pool, $id, $submitted, $started, $ended, $cpus, $nodes, $gpus, $walltime, $partition, $account, $end_state, $memory, $times_from, $client, $busy, $tasks)
            """;
        var p = cmd.Parameters;
        foreach (var name in new[] { "$pool", "$id", "$submitted", "$started", "$ended", "$cpus", "$nodes", "$gpus", "$walltime", "$partition", "$account", "$end_state", "$memory", "$times_from", "$client", "$busy", "$tasks" })
        {
            p.Add(new SqliteParameter { ParameterName = name });
        }

        foreach (var r in records)
        {
            p["$pool"].Value = r.Pool;
            p["$id"].Value = r.PilotId;
            p["$submitted"].Value = Text(r.Submitted);
            p["$started"].Value = Text(r.Started);
            p["$ended"].Value = Text(r.Ended);
            p["$cpus"].Value = r.Cpus;
            p["$nodes"].Value = r.Nodes;
            p["$gpus"].Value = r.Gpus;
            p["$walltime"].Value = (long)r.Walltime.TotalSeconds;
            p["$partition"].Value = (object?)r.Partition ?? DBNull.Value;
            p["$account"].Value = (object?)r.Account ?? DBNull.Value;
            p["$end_state"].Value = (object?)r.EndState ?? DBNull.Value;
            p["$memory"].Value = (object?)r.MemoryMb ?? DBNull.Value;
            p["$times_from"].Value = (object?)r.TimesFrom ?? DBNull.Value;
            p["$client"].Value = (object?)r.ClientId ?? DBNull.Value;
            p["$busy"].Value = (object?)r.BusySeconds ?? DBNull.Value;
            p["$tasks"].Value = (object?)r.Tasks ?? DBNull.Value;
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PilotRecord>> PilotsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = $"SELECT {PilotColumns} FROM pilot_accounting WHERE ended IS NULL OR ended >= $since";
        cmd.Parameters.AddWithValue("$since", Text(since));
        return await ReadPilotsAsync(cmd, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddSampleAsync(PoolSample sample, TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO pool_samples (time, pool, demand, queued, running) VALUES ($time, $pool, $demand, $queued, $running);
            DELETE FROM pool_samples WHERE time < $cutoff;
            """;
        cmd.Parameters.AddWithValue("$time", Text(sample.Time));
        cmd.Parameters.AddWithValue("$pool", sample.Pool);
        cmd.Parameters.AddWithValue("$demand", (object?)sample.Demand ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$queued", sample.Queued);
        cmd.Parameters.AddWithValue("$running", sample.Running);
        cmd.Parameters.AddWithValue("$cutoff", Text(sample.Time - retention));
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PoolSample>> SamplesAsync(DateTimeOffset since, string? pool, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT time, pool, demand, queued, running FROM pool_samples WHERE time >= $since AND ($pool IS NULL OR pool = $pool) ORDER BY time, pool";
        cmd.Parameters.AddWithValue("$since", Text(since));
        cmd.Parameters.AddWithValue("$pool", (object?)pool ?? DBNull.Value);
        var list = new List<PoolSample>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new PoolSample(Time(reader.GetString(0)), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetInt32(3), reader.GetInt32(4)));
        }

        return list;
    }

    private static async Task<IReadOnlyList<PilotRecord>> ReadPilotsAsync(SqliteCommand cmd, CancellationToken cancellationToken)
    {
        var list = new List<PilotRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new PilotRecord(
                reader.GetString(0),
                reader.GetString(1),
                OptionalTime(reader, 2),
                OptionalTime(reader, 3),
                OptionalTime(reader, 4),
                reader.GetInt32(5),
                reader.GetInt32(6),
                reader.GetInt32(7),
                TimeSpan.FromSeconds(reader.GetInt64(8)),
                reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetInt64(12),
                reader.IsDBNull(13) ? null : reader.GetString(13),
                reader.IsDBNull(14) ? null : reader.GetString(14),
                reader.IsDBNull(15) ? null : reader.GetDouble(15),
                reader.IsDBNull(16) ? null : reader.GetInt32(16)));
        }

        return list;
    }

    private static object Text(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) : DBNull.Value;

    private static DateTimeOffset Time(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    private static DateTimeOffset? OptionalTime(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : Time(reader.GetString(i));
}
