using System.Globalization;
using Autopilot.Policy;
using Autopilot.Security;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Autopilot.State;

/// <summary>
/// The state store: one SQLite file in the state directory (WAL, short transactions). Opened per
/// tick and closed after it, so the service holds nothing between ticks.
/// </summary>
public sealed partial class SqliteStateStore : IStateStore
{
    private const int SchemaVersion = 1;

    // SQLite primary result codes (https://sqlite.org/rescode.html).
    private const int SqliteIoError = 10;
    private const int SqliteCorrupt = 11;
    private const int SqliteFull = 13;
    private const int SqliteNotADatabase = 26;

    private readonly SqliteConnection _connection;

    private SqliteStateStore(SqliteConnection connection)
    {
        _connection = connection;
    }

    public string Path => _connection.DataSource;

    /// <summary>
    /// Opens (creating when needed) the store at &lt;stateDir&gt;/state.db. A damaged store (not a
    /// database, failing SQLite's quick_check, or a folder in its place) is moved aside as
    /// state.db.damaged-&lt;UTC time&gt; and a fresh one started: it holds memory, not truth (pilots
    /// are found by name each tick), so nothing is lost that a tick needs. The move is logged as an
    /// error and kept in the new store for `status` (<see cref="RecoveryNoteAsync"/>).
    /// </summary>
    /// <exception cref="StateStoreException">the store cannot be opened or created (unwritable folder, full disk, ...).</exception>
    /// <exception cref="UnsafeStateException">the state folder is not private, or a store file is a link.</exception>
    public static async Task<SqliteStateStore> OpenAsync(string stateDir, CancellationToken cancellationToken, ILogger? logger = null, TimeProvider? time = null)
    {
        StateDirectory.Secure(stateDir);
        var path = System.IO.Path.Combine(stateDir, "state.db");
        foreach (var file in StoreFiles(path))
        {
            StateDirectory.RefuseLink(file);
        }

        string? damage = UnixFile.Lstat(path) is { Kind: not UnixFileKind.Regular and not UnixFileKind.SymbolicLink } status
            ? (status.Kind == UnixFileKind.Directory ? "a folder is in its place" : "it is not a regular file")
            : null;
        if (damage is null)
        {
            try
            {
                return new SqliteStateStore(await OpenCoreAsync(path, cancellationToken).ConfigureAwait(false));
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
            {
                damage = ex.SqliteErrorCode == SqliteNotADatabase ? "it is not a SQLite database" : $"it is corrupt ({FirstLine(ex.Message)})";
            }
            catch (DamagedStoreException ex)
            {
                damage = ex.Message;
            }
            catch (SqliteException ex)
            {
                throw Unusable(path, ex);
            }
        }

        var now = (time ?? TimeProvider.System).GetUtcNow();
        var aside = $"{path}.damaged-{now:yyyyMMdd'T'HHmmss'Z'}";
        try
        {
            foreach (var file in StoreFiles(path))
            {
                switch (UnixFile.Lstat(file)?.Kind)
                {
                    case null:
                        break;
                    case UnixFileKind.Directory:
                        Directory.Move(file, aside + file[path.Length..]);
                        break;
                    default:
                        File.Move(file, aside + file[path.Length..]);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StateStoreException($"state store {path} is damaged ({damage}) and could not be moved aside: {ex.Message}");
        }

        var note = $"{now:yyyy-MM-dd HH:mm:ss}Z: the state store was damaged ({damage}); it was moved aside to {aside} and a fresh store started (history, back-off and pause memory start again; pilots are still found in the scheduler)";
        logger?.LogError("state store {Path}: {Note}", path, note);
        try
        {
            var connection = await OpenCoreAsync(path, cancellationToken).ConfigureAwait(false);
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "INSERT OR REPLACE INTO meta (key, value) VALUES ('recovered', $note)";
                cmd.Parameters.AddWithValue("$note", note);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new SqliteStateStore(connection);
        }
        catch (SqliteException ex)
        {
            throw Unusable(path, ex);
        }
    }

    /// <summary>When this store was started fresh after a damaged one was moved aside, and why; null otherwise.</summary>
    public async Task<string?> RecoveryNoteAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT value FROM meta WHERE key = 'recovered'";
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    private static async Task<SqliteConnection> OpenCoreAsync(string path, CancellationToken cancellationToken)
    {
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

            await ExecAsync(connection, "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=10000;", cancellationToken).ConfigureAwait(false);

            // A few milliseconds on a store of this size; a page torn in the middle would otherwise
            // only show when a tick reads it, after the tick has acted.
            await using (var check = connection.CreateCommand())
            {
                check.CommandText = "PRAGMA quick_check(1)";
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string result && result != "ok")
                {
                    throw new DamagedStoreException($"it is corrupt (quick_check: {FirstLine(result)})");
                }
            }

            await ExecAsync(connection, """
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
            await ExecAsync(connection, AccountingSchema, cancellationToken).ConfigureAwait(false);
            await MigrateAccountingAsync(connection, cancellationToken).ConfigureAwait(false);
            await ExecAsync(connection, SubmittedJobsSchema, cancellationToken).ConfigureAwait(false);
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', $v)";
                cmd.Parameters.AddWithValue("$v", SchemaVersion.ToString(CultureInfo.InvariantCulture));
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static string[] StoreFiles(string path) => [path, path + "-wal", path + "-shm", path + "-journal"];

    // A full file system shows as SQLITE_FULL on a write, but as a plain I/O error when the -shm or WAL file cannot grow.
    private static StateStoreException Unusable(string path, SqliteException ex) =>
        new(ex.SqliteErrorCode == SqliteFull || (ex.SqliteErrorCode == SqliteIoError && FreeBytes(path) < 64 * 1024)
            ? $"state store {path}: the disk is full ({FirstLine(ex.Message)})"
            : $"state store {path}: cannot open or write it: {FirstLine(ex.Message)}");

    private static long FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(System.IO.Path.GetDirectoryName(path)!).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return long.MaxValue;
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).Trim();
    }

    private sealed class DamagedStoreException(string message) : Exception(message);

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
