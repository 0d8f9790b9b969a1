using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Autopilot.DemandSources.HyperShell;

/// <summary>
/// Read-only connections to a HyperShell task database, shared by the demand source and
/// <c>autopilot logs</c>: SQLite opened read-only without pooling (the server writes the same file
/// without WAL, so nothing may linger), PostgreSQL as a read-only session with a server-side timeout.
/// </summary>
public static class HyperShellConnection
{
    /// <summary>The timeout to use: the configured one, or 10 s when it is not positive.</summary>
    public static TimeSpan Effective(TimeSpan timeout) => PostgresConnection.Effective(timeout);

    /// <summary>True for the postgres backend, false for sqlite.</summary>
    /// <exception cref="ArgumentException">A backend HyperShell does not use.</exception>
    public static bool IsPostgres(HyperShellOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Backend.ToLowerInvariant() switch
        {
            "sqlite" => false,
            "postgres" or "postgresql" => true,
            _ => throw new ArgumentException($"demand.backend '{options.Backend}' is not one HyperShell uses (expected sqlite or postgres)", nameof(options)),
        };
    }

    /// <summary>Why the SQLite file at <paramref name="path"/> cannot be read, or null when it exists.</summary>
    public static string? MissingFile(string path, HyperShellOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return File.Exists(path)
            ? null
            : $"hypershell sqlite {path}: database file {RegularFile.Missing(path)}"
                + (string.IsNullOrWhiteSpace(options.Path) ? $" (HyperShell's default; set demand.path or {HyperShellPaths.DatabaseFileVariable})" : "");
    }

    /// <summary>A SQLite error of a HyperShell read, said in words.</summary>
    public static string DescribeSqliteError(SqliteException ex, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return ex.SqliteErrorCode switch
        {
            5 or 6 => $"database is locked (a writer held it longer than the {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s timeout): {ex.Message}",
            14 => $"cannot open the database file: {ex.Message}",
            26 => $"not a SQLite database: {ex.Message}",
            11 => $"database file is corrupt: {ex.Message}",
            _ => ex.Message,
        };
    }

    /// <summary>
    /// Microsoft.Data.Sqlite retries a busy statement until the command timeout; busy_timeout already
    /// waited the full time inside SQLite, so a whole-second floor of at least 1 ends it there.
    /// </summary>
    public static int SqliteCommandTimeout(TimeSpan timeout) => Math.Max(1, (int)Math.Floor(Effective(timeout).TotalSeconds));

    /// <summary>Opens an existing SQLite file read-only (never creating it) with busy_timeout set.</summary>
    public static async Task<SqliteConnection> OpenSqliteReadOnlyAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = SqliteCommandTimeout(timeout),
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA busy_timeout = {(long)Effective(timeout).TotalMilliseconds}";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// A data source for one-shot demand reads: the slim builder (no JSON, range, array or other
    /// plugin type resolvers to build) and no type loading (no pg_type catalogue query and parse at
    /// each connection: the counts read only built-in types). The caller disposes it after its
    /// unpooled connection.
    /// </summary>
    public static NpgsqlDataSource PostgresDemandDataSource(string connectionString)
    {
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        return builder.Build();
    }

    /// <summary>The server cancels a slow statement at statement_timeout; the client gives up a little later.</summary>
    public static int PostgresCommandTimeout(PostgresOptions pg) => (int)Math.Ceiling(Effective(pg.StatementTimeout).TotalSeconds) + 5;

    /// <summary>
    /// A connection string for one physical, unpooled, read-only session. <paramref name="settings"/>
    /// are extra <c>-c name=value</c> session settings (statement_timeout and read-only are always set).
    /// </summary>
    /// <exception cref="ArgumentException">A setting the driver refuses; the message names the setting, never its value.</exception>
    public static string PostgresConnectionString(PostgresOptions pg, string? password, string applicationName, string settings = "")
    {
        ArgumentNullException.ThrowIfNull(pg);
        var statementTimeout = Effective(pg.StatementTimeout);
        try
        {
            var builder = PostgresConnection.Builder(pg, password, applicationName);
            builder.CommandTimeout = PostgresCommandTimeout(pg);
            builder.Options = $"-c statement_timeout={(long)statementTimeout.TotalMilliseconds} -c default_transaction_read_only=on{(settings.Length > 0 ? " " + settings : "")}";
            return builder.ConnectionString;
        }
        catch (ArgumentException ex)
        {
            // The builder may quote the value it refused; say which setting, not its value.
            throw new ArgumentException($"invalid connection setting ({ex.ParamName ?? "unknown"})");
        }
    }
}
