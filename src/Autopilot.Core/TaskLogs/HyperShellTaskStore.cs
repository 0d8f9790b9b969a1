using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Autopilot.Configuration;
using Autopilot.Postgres;
using Autopilot.DemandSources.HyperShell;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Autopilot.TaskLogs;

/// <summary>A task database or log that cannot be read; the message names the database or file.</summary>
public sealed class TaskLogException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Looks tasks up in a pool's HyperShell database (SQLite or PostgreSQL, read-only, a connection per
/// call): by id or id prefix, and the most recent ones.
/// </summary>
public sealed partial class HyperShellTaskStore
{
    private const string Columns =
        "id, args, command, submit_time, schedule_time, start_time, completion_time, exit_status, attempt, client_host, outpath, errpath, waited, duration";

    private readonly HyperShellOptions options;
    private readonly bool postgres;
    private readonly HyperShellTagFilter? tag;
    private readonly TimeZoneInfo sqliteZone;

    /// <param name="sqliteZone">The zone HyperShell's SQLite times were written in (its clock time, no offset); default the local zone.</param>
    public HyperShellTaskStore(HyperShellOptions options, TimeZoneInfo? sqliteZone = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.sqliteZone = sqliteZone ?? TimeZoneInfo.Local;
        postgres = HyperShellConnection.IsPostgres(options);
        tag = HyperShellTagFilter.Parse(options.Tag);
    }

    /// <summary>Where the tasks are read, for messages.</summary>
    public string Describe() => postgres
        ? $"hypershell postgres {options.Postgres.Host}:{options.Postgres.Port}/{options.Postgres.Database} schema {options.Postgres.Schema}"
        : $"hypershell sqlite {HyperShellPaths.ResolveDatabaseFile(options.Path)}";

    /// <summary>True when <paramref name="text"/> can be a task id or the start of one (hex digits and dashes).</summary>
    public static bool IsIdPrefix(string text) => IdPrefix().IsMatch(text);

    /// <summary>Tasks whose id is <paramref name="idOrPrefix"/> or starts with it (at most <paramref name="limit"/>, oldest first).</summary>
    public Task<IReadOnlyList<HyperShellTask>> FindAsync(string idOrPrefix, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idOrPrefix);
        if (!IsIdPrefix(idOrPrefix))
        {
            throw new ArgumentException($"'{idOrPrefix}' is not a task id or id prefix (hex digits and '-')");
        }

        var id = idOrPrefix.ToLowerInvariant();
        var full = id.Length == 36;
        string where;
        if (postgres)
        {
            where = full ? "id = @id::uuid" : "id::text LIKE @prefix";
        }
        else
        {
            where = full ? "lower(id) = @id" : "id LIKE @prefix";
        }

        return QueryAsync($"WHERE {where}{TagCondition(" AND ")} ORDER BY submit_time, id LIMIT {limit.ToString(CultureInfo.InvariantCulture)}",
            [("id", id), ("prefix", id + "%"), .. TagParameters], cancellationToken);
    }

    /// <summary>The most recent tasks (newest first by completion, else start, else submit time).</summary>
    public Task<IReadOnlyList<HyperShellTask>> RecentAsync(int limit, int offset, bool failedOnly, CancellationToken cancellationToken)
    {
        var filter = failedOnly ? "WHERE exit_status IS NOT NULL AND exit_status NOT IN (0, -1)" : "";
        filter += TagCondition(failedOnly ? " AND " : "WHERE ");
        return QueryAsync(
            $"{filter} ORDER BY COALESCE(completion_time, start_time, submit_time) DESC, submit_time DESC LIMIT {limit.ToString(CultureInfo.InvariantCulture)} OFFSET {offset.ToString(CultureInfo.InvariantCulture)}",
            TagParameters, cancellationToken);
    }

    // The pool's demand.tag limits `logs` to the tasks the pool counts as its demand (issue 17).
    private string TagCondition(string join) => tag is null ? "" : join + tag.SqlCondition(!postgres);

    private IReadOnlyList<(string Name, string Value)> TagParameters => tag?.SqlParameters(!postgres) ?? [];

    private async Task<IReadOnlyList<HyperShellTask>> QueryAsync(string tail, IReadOnlyList<(string Name, string Value)> parameters, CancellationToken ct)
    {
        return postgres ? await PostgresAsync(tail, parameters, ct).ConfigureAwait(false) : await SqliteAsync(tail, parameters, ct).ConfigureAwait(false);
    }

    private async Task<IReadOnlyList<HyperShellTask>> SqliteAsync(string tail, IReadOnlyList<(string Name, string Value)> parameters, CancellationToken ct)
    {
        var path = HyperShellPaths.ResolveDatabaseFile(options.Path);
        var where = $"hypershell sqlite {path}";
        if (HyperShellConnection.MissingFile(path, options) is { } missing)
        {
            throw new TaskLogException(missing);
        }

        var timeout = HyperShellConnection.Effective(options.Timeout);
        try
        {
            await using var connection = await HyperShellConnection.OpenSqliteReadOnlyAsync(path, timeout, ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM task {tail}";
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue("@" + name, value);
            }

            return await ReadAsync(command, where, sqliteZone, ct).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new TaskLogException($"{where}: {HyperShellConnection.DescribeSqliteError(ex, timeout)}", ex);
        }
    }

    private async Task<IReadOnlyList<HyperShellTask>> PostgresAsync(string tail, IReadOnlyList<(string Name, string Value)> parameters, CancellationToken ct)
    {
        var pg = options.Postgres;
        var where = $"hypershell postgres {pg.Host}:{pg.Port}/{pg.Database}";
        string? password;
        string connectionString;
        try
        {
            password = Secrets.Read(pg.PasswordFile, pg.PasswordEnv, $"{where} password");
            connectionString = HyperShellConnection.PostgresConnectionString(pg, password, "autopilot-logs");
        }
        catch (Exception ex) when (ex is SecretException or ArgumentException)
        {
            throw new TaskLogException($"{where}: {ex.Message}");
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT {Columns} FROM {PostgresConnection.QuoteIdentifier(pg.Schema)}.task {tail}";
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            return await ReadAsync(command, where, TimeZoneInfo.Utc, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException)
        {
            var message = PostgresConnection.Describe(ex, HyperShellConnection.Effective(pg.StatementTimeout), HyperShellConnection.Effective(pg.ConnectTimeout), Stopwatch.GetElapsedTime(started));
            throw new TaskLogException($"{where}: {PostgresConnection.Scrub(message, password)}", ex);
        }
    }

    private static async Task<IReadOnlyList<HyperShellTask>> ReadAsync(DbCommand command, string where, TimeZoneInfo naiveZone, CancellationToken ct)
    {
        var tasks = new List<HyperShellTask>();
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            try
            {
                tasks.Add(new HyperShellTask(
                    Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!,
                    Text(reader, 1) ?? "",
                    Text(reader, 2),
                    HyperShellTask.ParseTime(reader.GetValue(3), naiveZone) ?? throw new FormatException("submit_time is empty"),
                    HyperShellTask.ParseTime(reader.GetValue(4), naiveZone),
                    HyperShellTask.ParseTime(reader.GetValue(5), naiveZone),
                    HyperShellTask.ParseTime(reader.GetValue(6), naiveZone),
                    reader.IsDBNull(7) ? null : Convert.ToInt32(reader.GetValue(7), CultureInfo.InvariantCulture),
                    reader.IsDBNull(8) ? 1 : Convert.ToInt32(reader.GetValue(8), CultureInfo.InvariantCulture),
                    Text(reader, 9),
                    Text(reader, 10),
                    Text(reader, 11),
                    reader.IsDBNull(12) ? null : Convert.ToInt64(reader.GetValue(12), CultureInfo.InvariantCulture),
                    reader.IsDBNull(13) ? null : Convert.ToInt64(reader.GetValue(13), CultureInfo.InvariantCulture)));
            }
            catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
            {
                throw new TaskLogException($"{where}: task {Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)}: {ex.Message}", ex);
            }
        }

        return tasks;
    }

    private static string? Text(DbDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);

    [GeneratedRegex("^[0-9A-Fa-f-]{1,36}$")]
    private static partial Regex IdPrefix();
}
