using System.Data.Common;
using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Autopilot.DemandSources.Sql;

/// <summary>
/// Demand from any SQL query that returns one number (KEDA's PostgreSQL scaler, for PostgreSQL and
/// SQLite). Below <see cref="SqlOptions.ActivationThreshold"/> the demand is zero, so a trickle
/// of work does not wake the pool; the per-pilot target stays <c>limits.tasks_per_pilot</c>.
/// The query runs read-only (a PostgreSQL READ ONLY transaction on a read-only session; SQLite
/// opened read-only with query_only) and is cancelled after its time limit. A new connection per
/// measurement, no pool: nothing stays open between ticks.
/// </summary>
public sealed class SqlDemandSource : IDemandSource
{
    /// <summary>The server-side limit fires first; this much later the client gives up too.</summary>
    private static readonly TimeSpan ClientGrace = TimeSpan.FromSeconds(5);

    private readonly SqlOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly bool _postgres;

    public SqlDemandSource(SqlOptions options, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _time = time;

        if (string.IsNullOrWhiteSpace(options.Query))
        {
            throw new DemandException("sql: demand.query is not set (one SQL statement returning one number)");
        }

        if (options.ActivationThreshold < 0)
        {
            throw new DemandException($"sql: demand.activation_threshold is {options.ActivationThreshold}; it must be 0 or more");
        }

        _postgres = options.Backend.ToLowerInvariant() switch
        {
            "postgres" or "postgresql" => true,
            "sqlite" => false,
            _ => throw new DemandException($"sql: demand.backend is '{options.Backend}'; expected sqlite or postgres"),
        };

        if (!_postgres && string.IsNullOrWhiteSpace(options.Path))
        {
            throw new DemandException("sql: demand.path is not set (the SQLite file to query)");
        }

        if (_postgres && string.IsNullOrWhiteSpace(options.Postgres.Database))
        {
            throw new DemandException("sql: demand.postgres.database is not set");
        }
    }

    /// <summary>How long the query may run: demand.timeout, or postgres.statement_timeout when shorter.</summary>
    public TimeSpan Limit =>
        _postgres && _options.Postgres.StatementTimeout > TimeSpan.Zero && _options.Postgres.StatementTimeout < _options.Timeout
            ? _options.Postgres.StatementTimeout
            : _options.Timeout;

    public string Describe() =>
        _postgres
            ? $"sql postgres {_options.Postgres.Host}:{_options.Postgres.Port}/{_options.Postgres.Database}"
            : $"sql sqlite {PathExpander.Expand(_options.Path!)}";

    public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
    {
        var raw = _postgres
            ? await QueryPostgresAsync(cancellationToken).ConfigureAwait(false)
            : await Task.Run(() => QuerySqlite(cancellationToken), cancellationToken).ConfigureAwait(false);
        var threshold = _options.ActivationThreshold;
        var tasks = raw < threshold ? 0 : raw;
        if (tasks != raw)
        {
            _logger.LogDebug("{Source}: {Raw} is below the activation threshold {Threshold}: no demand", Describe(), raw, threshold);
        }

        return Demand.Of(tasks, new DemandMeasure("query", raw), new DemandMeasure("activation_threshold", threshold));
    }

    private async Task<long> QueryPostgresAsync(CancellationToken cancellationToken)
    {
        var pg = _options.Postgres;
        string? password;
        try
        {
            password = Secrets.Read(pg.PasswordFile, pg.PasswordEnv, "sql demand postgres password");
        }
        catch (SecretException ex)
        {
            throw new DemandException($"{Describe()}: {ex.Message}", ex);
        }

        var limit = Limit;
        var connectionString = PostgresConnectionString(pg, password, limit);
        using var backstop = new CancellationTokenSource(limit + ClientGrace, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, backstop.Token);
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(linked.Token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(linked.Token).ConfigureAwait(false);
            var ms = Math.Max(1, (long)limit.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
            await using (var setup = new NpgsqlCommand($"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {ms}", connection, transaction))
            {
                await setup.ExecuteNonQueryAsync(linked.Token).ConfigureAwait(false);
            }

            long value;
            await using (var command = new NpgsqlCommand(_options.Query, connection, transaction))
            await using (var reader = await command.ExecuteReaderAsync(linked.Token).ConfigureAwait(false))
            {
                value = await ReadOneValueAsync(reader, linked.Token).ConfigureAwait(false);
            }

            await transaction.RollbackAsync(linked.Token).ConfigureAwait(false);
            return value;
        }
        catch (OperationCanceledException) when (backstop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DemandException($"{Describe()}: the query ran past its timeout of {Format(limit)} (demand.timeout) and the server did not stop it");
        }
        catch (PostgresException ex)
        {
            var what = ex.SqlState switch
            {
                PostgresErrorCodes.ReadOnlySqlTransaction =>
                    $"the query tried to write, but demand queries run in a read-only transaction ({ex.MessageText})",
                PostgresErrorCodes.QueryCanceled =>
                    $"the query ran past its timeout of {Format(limit)} (demand.timeout / postgres.statement_timeout) and was cancelled",
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                    $"PostgreSQL refused the login of user '{pg.User}' ({ex.SqlState}: {ex.MessageText})",
                PostgresErrorCodes.InvalidCatalogName =>
                    $"database '{pg.Database}' does not exist ({ex.MessageText})",
                _ => $"the query failed ({ex.SqlState}: {ex.MessageText})",
            };
            throw new DemandException(PostgresConnection.Scrub($"{Describe()}: {what}", password), ex);
        }
        catch (NpgsqlException ex)
        {
            var detail = ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new DemandException(PostgresConnection.Scrub($"{Describe()}: cannot query PostgreSQL: {detail}", password), ex);
        }
        catch (FormatException ex)
        {
            throw new DemandException($"{Describe()}: the query {ex.Message}");
        }
    }

    private long QuerySqlite(CancellationToken cancellationToken)
    {
        var path = PathExpander.Expand(_options.Path!);
        if (!File.Exists(path))
        {
            throw new DemandException($"{Describe()}: the file {path} {RegularFile.Missing(path)} (demand.path)");
        }

        var limit = _options.Timeout;
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = PostgresConnection.Seconds(limit),
        };

        using var deadline = new CancellationTokenSource(limit, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var connection = new SqliteConnection(builder.ConnectionString);
            connection.Open();
            using (var setup = connection.CreateCommand())
            {
                // Read-only twice over: the open mode, and query_only for anything ATTACHed.
                setup.CommandText = $"PRAGMA query_only = ON; PRAGMA busy_timeout = {Math.Max(1, (long)limit.TotalMilliseconds)};";
                setup.ExecuteNonQuery();
            }

            using var command = connection.CreateCommand();
            command.CommandText = _options.Query;
            command.CommandTimeout = PostgresConnection.Seconds(limit);

            // Microsoft.Data.Sqlite runs "async" calls synchronously and does not stop a running
            // statement; sqlite3_interrupt does. Disposing the registration waits for a running
            // callback, so the handle is never interrupted after the connection closed.
            using var interrupt = linked.Token.Register(static state =>
            {
                var handle = ((SqliteConnection)state!).Handle;
                if (handle is not null)
                {
                    SQLitePCL.raw.sqlite3_interrupt(handle);
                }
            }, connection);
            linked.Token.ThrowIfCancellationRequested();
            using var reader = command.ExecuteReader();
            return ReadOneValueAsync(reader, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is SqliteException or OperationCanceledException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DemandException($"{Describe()}: the query ran past its timeout of {Format(limit)} (demand.timeout) and was interrupted", ex);
        }
        catch (SqliteException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("sql demand query cancelled", ex, cancellationToken);
        }
        catch (SqliteException ex)
        {
            var what = ex.SqliteErrorCode switch
            {
                8 => $"the query tried to write, but the database is opened read-only ({ex.Message})",
                5 or 6 => $"the database stayed locked longer than {Format(limit)} ({ex.Message})",
                9 => "the query was interrupted",
                14 => $"cannot open {path} ({ex.Message})",
                _ => $"the query failed ({ex.Message})",
            };
            throw new DemandException($"{Describe()}: {what}", ex);
        }
        catch (FormatException ex)
        {
            throw new DemandException($"{Describe()}: the query {ex.Message}");
        }
    }

    /// <summary>A read-only session whose statements the server stops at <paramref name="limit"/>, the client a little later.</summary>
    private static string PostgresConnectionString(PostgresOptions pg, string? password, TimeSpan limit)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = PostgresConnection.Builder(pg, password, "autopilot-demand");
        }
        catch (ArgumentException ex)
        {
            throw new DemandException($"sql: demand.{ex.Message}");
        }

        builder.CommandTimeout = PostgresConnection.Seconds(limit + ClientGrace);
        // Every transaction of this session starts read-only, even one a COMMIT in the query opens.
        builder.Options = "-c default_transaction_read_only=on";
        if (!string.IsNullOrWhiteSpace(pg.Schema))
        {
            builder.SearchPath = pg.Schema;
        }

        return builder.ConnectionString;
    }

    /// <summary>Exactly one row of one column, and no further result set.</summary>
    private static async Task<long> ReadOneValueAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        if (reader.FieldCount == 0)
        {
            throw new FormatException("returned no result set; it must be a SELECT returning one number");
        }

        if (reader.FieldCount != 1)
        {
            throw new FormatException($"returned {reader.FieldCount} columns; expected exactly one column holding one number");
        }

        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new FormatException("returned no rows; expected one row holding one number (an aggregate such as count(*) always returns one)");
        }

        var value = reader.GetValue(0);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new FormatException("returned more than one row; expected one row holding one number");
        }

        var tasks = SqlDemandValue.ToTasks(value);
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.FieldCount > 0)
            {
                throw new FormatException("returned more than one result set; expected a single statement");
            }
        }

        return tasks;
    }

    private static string Format(TimeSpan span) => $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";
}
