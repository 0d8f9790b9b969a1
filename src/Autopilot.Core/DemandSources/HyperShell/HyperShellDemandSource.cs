using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Autopilot.Configuration;
using Autopilot.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Autopilot.DemandSources.HyperShell;

/// <summary>
/// Demand from a HyperShell task database (SQLite file or PostgreSQL), read-only. One short read
/// transaction per measurement on a connection opened for it and closed right after: nothing is
/// kept between ticks, and the server, which writes the same SQLite file without WAL, is never
/// locked out for longer than the few bounded counts take.
/// </summary>
public sealed class HyperShellDemandSource : IDemandSource
{
    private readonly HyperShellOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly HyperShellTagFilter? tag;
    private readonly bool postgres;

    public HyperShellDemandSource(HyperShellOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
        tag = HyperShellTagFilter.Parse(options.Tag);
        postgres = HyperShellConnection.IsPostgres(options);
        if (options.MaxRetries < 0)
        {
            throw new ArgumentException($"demand.max_retries must be 0 or more (got {options.MaxRetries})", nameof(options));
        }

        if (postgres)
        {
            _ = PostgresConnection.ParseSslMode(options.Postgres.SslMode);
            if (string.IsNullOrWhiteSpace(options.Postgres.Database))
            {
                throw new ArgumentException("demand.postgres.database is required for the hypershell postgres backend", nameof(options));
            }
        }
    }

    /// <summary>application_name of our PostgreSQL sessions (a test sets its own to count them).</summary>
    internal string ApplicationName { get; init; } = "autopilot-demand";

    public string Describe()
    {
        var filter = tag is null ? "" : $" tag {tag}";
        if (!postgres)
        {
            return $"hypershell sqlite {SqlitePath}{filter}";
        }

        var pg = options.Postgres;
        return $"hypershell postgres {pg.User}@{pg.Host}:{pg.Port}/{pg.Database} schema {pg.Schema}{filter}";
    }

    public async Task<Domain.Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var demand = postgres
            ? await MeasurePostgresAsync(saturation, cancellationToken).ConfigureAwait(false)
            : await MeasureSqliteAsync(saturation, cancellationToken).ConfigureAwait(false);
        logger.LogDebug("{Source}: demand {Demand} in {Elapsed} ms", Describe(), demand, time.GetElapsedTime(started).TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture));
        return demand;
    }

    private string SqlitePath => HyperShellPaths.ResolveDatabaseFile(options.Path);

    private HyperShellQuery Query(HyperShellDialect dialect, string table) => new(dialect, table, tag, options.MaxRetries) { ManyUnfinished = ManyUnfinished };

    /// <summary>See <see cref="HyperShellQuery.ManyUnfinished"/> (a test sets 0 to read group by group).</summary>
    internal long ManyUnfinished { get; init; } = HyperShellQuery.DefaultManyUnfinished;

    // ---------------------------------------------------------------- SQLite

    private async Task<Domain.Demand> MeasureSqliteAsync(long saturation, CancellationToken cancellationToken)
    {
        var path = SqlitePath;
        var where = $"hypershell sqlite {path}";
        if (HyperShellConnection.MissingFile(path, options) is { } missing)
        {
            // Mode=ReadOnly would refuse too, but with a vaguer message; never create the file.
            throw new DemandException(missing);
        }

        var timeout = HyperShellConnection.Effective(options.Timeout);
        var commandTimeout = HyperShellConnection.SqliteCommandTimeout(timeout);
        try
        {
            await using var connection = await HyperShellConnection.OpenSqliteReadOnlyAsync(path, timeout, cancellationToken).ConfigureAwait(false);

            // Deferred: the shared lock is taken by the first read and dropped at the end, so all
            // counts see one state of the file (a task moving from pending to in flight between two
            // counts is counted once) and the writer waits only for these few bounded reads.
            await using var transaction = connection.BeginTransaction(deferred: true);
            var columns = new List<string>();
            await using (var info = connection.CreateCommand())
            {
                info.Transaction = transaction;
                info.CommandText = "SELECT name FROM pragma_table_info('task')";
                await using var reader = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    columns.Add(reader.GetString(0));
                }
            }

            var query = Query(HyperShellDialect.Sqlite, "task");
            var (error, hasGroup) = query.CheckColumns(columns);
            if (error is not null)
            {
                throw new DemandException($"{where}: {error}");
            }

            return await query.CountAsync(connection, transaction, hasGroup, saturation, commandTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new DemandException($"{where}: {HyperShellConnection.DescribeSqliteError(ex, timeout)}", ex);
        }
        catch (Exception ex) when (ex is InvalidOperationException or HyperShellContentException)
        {
            throw new DemandException($"{where}: {ex.Message}", ex);
        }
    }

    // ---------------------------------------------------------------- PostgreSQL

    private async Task<Domain.Demand> MeasurePostgresAsync(long saturation, CancellationToken cancellationToken)
    {
        var pg = options.Postgres;
        var where = $"hypershell postgres {pg.Host}:{pg.Port}/{pg.Database}";
        string? password;
        try
        {
            password = Secrets.Read(pg.PasswordFile, pg.PasswordEnv, $"{where} password");
        }
        catch (SecretException ex)
        {
            throw new DemandException(ex.Message);
        }

        var statementTimeout = HyperShellConnection.Effective(pg.StatementTimeout);
        var connectTimeout = HyperShellConnection.Effective(pg.ConnectTimeout);
        string connectionString;
        try
        {
            // Plain index scans only, which stop at the LIMIT (with LIMIT the planner bets on finding
            // pending rows early in the heap, but HyperShell appends new tasks behind the whole
            // finished history; a bitmap scan reads its whole index range before the first row); and
            // neither JIT nor parallel workers, which take milliseconds to start for counts that take less.
            connectionString = HyperShellConnection.PostgresConnectionString(pg, password, ApplicationName,
                "-c enable_seqscan=off -c enable_bitmapscan=off -c jit=off -c max_parallel_workers_per_gather=0");
        }
        catch (ArgumentException ex)
        {
            throw new DemandException($"{where}: {ex.Message}");
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var dataSource = HyperShellConnection.PostgresDemandDataSource(connectionString);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            var columns = new List<string>();
            await using (var info = connection.CreateCommand())
            {
                info.Transaction = transaction;
                info.CommandText = "SELECT column_name FROM information_schema.columns WHERE table_schema = @schema AND table_name = 'task'";
                info.Parameters.AddWithValue("schema", pg.Schema);
                await using var reader = await info.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    columns.Add(reader.GetString(0));
                }
            }

            var query = Query(HyperShellDialect.Postgres, PostgresConnection.QuoteIdentifier(pg.Schema) + ".task");
            var (error, hasGroup) = query.CheckColumns(columns);
            if (error is not null)
            {
                throw new DemandException($"{where}: schema '{pg.Schema}': {error}");
            }

            var demand = await query.CountAsync(connection, transaction, hasGroup, saturation, HyperShellConnection.PostgresCommandTimeout(pg), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return demand;
        }
        catch (HyperShellContentException ex)
        {
            throw new DemandException($"{where}: schema '{pg.Schema}': {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException)
        {
            throw new DemandException($"{where}: {PostgresConnection.Scrub(PostgresConnection.Describe(ex, statementTimeout, connectTimeout, Stopwatch.GetElapsedTime(started)), password)}", ex);
        }
    }
}
