using System.Globalization;
using Autopilot.Policy;
using Microsoft.Data.Sqlite;

namespace Autopilot.State;

/// <summary>
/// The state store: one SQLite file in the state directory (WAL, short transactions). Opened per
/// tick and closed after it, so the service holds nothing between ticks.
/// </summary>
public sealed class SqliteStateStore : IStateStore
{
    private const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;

    private SqliteStateStore(SqliteConnection connection)
    {
        _connection = connection;
    }

    public string Path => _connection.DataSource;

    /// <summary>Opens (creating when needed) the store at &lt;stateDir&gt;/state.db.</summary>
    public static async Task<SqliteStateStore> OpenAsync(string stateDir, CancellationToken cancellationToken)
    {
        StateDirectory.Ensure(stateDir);
        var path = System.IO.Path.Combine(stateDir, "state.db");
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            await ExecAsync(connection, """
                PRAGMA journal_mode=WAL;
                PRAGMA busy_timeout=10000;
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    time TEXT NOT NULL,
                    pool TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    job_ids TEXT NOT NULL,
                    reason TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS events_time ON events (time);
                CREATE TABLE IF NOT EXISTS pool_memory (pool TEXT PRIMARY KEY, memory TEXT NOT NULL, updated TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS ticks (pool TEXT PRIMARY KEY, record TEXT NOT NULL);
                """, cancellationToken).ConfigureAwait(false);
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', $v)";
                cmd.Parameters.AddWithValue("$v", SchemaVersion.ToString(CultureInfo.InvariantCulture));
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new SqliteStateStore(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task<PoolMemory> LoadMemoryAsync(string pool, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT memory FROM pool_memory WHERE pool = $pool";
        cmd.Parameters.AddWithValue("$pool", pool);
        var text = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return text is null ? PoolMemory.Empty : StateRecordJson.ReadMemory(text);
    }

    public async Task SaveMemoryAsync(string pool, PoolMemory memory, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO pool_memory (pool, memory, updated) VALUES ($pool, $memory, $updated)
            ON CONFLICT(pool) DO UPDATE SET memory = excluded.memory, updated = excluded.updated
            """;
        cmd.Parameters.AddWithValue("$pool", pool);
        cmd.Parameters.AddWithValue("$memory", StateRecordJson.Write(memory));
        cmd.Parameters.AddWithValue("$updated", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task AppendEventAsync(PoolEvent poolEvent, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "INSERT INTO events (time, pool, kind, job_ids, reason) VALUES ($time, $pool, $kind, $ids, $reason)";
        cmd.Parameters.AddWithValue("$time", poolEvent.Time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$pool", poolEvent.Pool);
        cmd.Parameters.AddWithValue("$kind", poolEvent.Kind.ToString());
        cmd.Parameters.AddWithValue("$ids", string.Join(' ', poolEvent.JobIds));
        cmd.Parameters.AddWithValue("$reason", poolEvent.Reason);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PoolEvent>> EventsAsync(DateTimeOffset since, string? pool, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT time, pool, kind, job_ids, reason FROM events WHERE time >= $since AND ($pool IS NULL OR pool = $pool) ORDER BY id";
        cmd.Parameters.AddWithValue("$since", since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$pool", (object?)pool ?? DBNull.Value);
        var list = new List<PoolEvent>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var ids = reader.GetString(3);
            list.Add(new PoolEvent(
                DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                reader.GetString(1),
                Enum.TryParse<EventKind>(reader.GetString(2), out var kind) ? kind : EventKind.PoolFailed,
                ids.Length == 0 ? [] : ids.Split(' '),
                reader.GetString(4)));
        }

        return list;
    }

    public async Task SaveTickAsync(PoolTickRecord record, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO ticks (pool, record) VALUES ($pool, $record)
            ON CONFLICT(pool) DO UPDATE SET record = excluded.record
            """;
        cmd.Parameters.AddWithValue("$pool", record.Pool);
        cmd.Parameters.AddWithValue("$record", StateRecordJson.Write(record));
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<PoolTickRecord?> LastTickAsync(string pool, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT record FROM ticks WHERE pool = $pool";
        cmd.Parameters.AddWithValue("$pool", pool);
        var text = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        return text is null ? null : StateRecordJson.ReadTick(text);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private static async Task ExecAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
