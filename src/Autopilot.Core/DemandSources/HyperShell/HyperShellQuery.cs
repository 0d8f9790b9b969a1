using System.Data.Common;
using Autopilot.Domain;

namespace Autopilot.DemandSources.HyperShell;

internal enum HyperShellDialect
{
    Sqlite,
    Postgres,
}

/// <summary>The three figures HyperShell demand is made of.</summary>
internal enum HyperShellCount
{
    Pending,
    InFlight,
    Retryable,
}

/// <summary>
/// The demand queries over HyperShell's <c>task</c> table, shared by both backends. Every count is
/// bounded (<c>count(*)</c> over a <c>LIMIT</c>ed subquery) and walks an index whose range holds
/// only unfinished work, so its cost follows the saturation point, not the size of the history.
/// </summary>
internal sealed class HyperShellQuery
{
    /// <summary>Columns the demand rules read; a table without them is not a HyperShell task table.</summary>
    private static readonly string[] CoreColumns = ["schedule_time", "completion_time", "exit_status"];

    private readonly HyperShellDialect dialect;
    private readonly string table;
    private readonly HyperShellTagFilter? tag;
    private readonly int maxRetries;

    public HyperShellQuery(HyperShellDialect dialect, string table, HyperShellTagFilter? tag, int maxRetries)
    {
        this.dialect = dialect;
        this.table = table;
        this.tag = tag;
        this.maxRetries = maxRetries;
    }

    private bool Sqlite => dialect == HyperShellDialect.Sqlite;

    /// <summary>Checks the columns found and says whether the table has HyperShell 2.8's <c>"group"</c>.</summary>
    /// <returns>What is wrong (null: nothing), and whether the group column exists.</returns>
    public (string? Error, bool HasGroup) CheckColumns(IReadOnlyCollection<string> columns)
    {
        if (columns.Count == 0)
        {
            return ("no table 'task' (is this a HyperShell database?)", false);
        }

        var present = new HashSet<string>(columns, StringComparer.OrdinalIgnoreCase);
        var needed = CoreColumns.AsEnumerable();
        if (maxRetries > 0)
        {
            needed = needed.Concat(["attempt", "retried"]);
        }

        if (tag is not null)
        {
            needed = needed.Append("tag");
        }

        var missing = needed.Where(c => !present.Contains(c)).ToList();
        return missing.Count > 0
            ? ($"table 'task' lacks column(s) {string.Join(", ", missing)} (not a HyperShell task table, or an unsupported version)", false)
            : (null, present.Contains("group"));
    }

    /// <summary>Counts pending, in flight and (when retries are on) retryable tasks, stopping at <paramref name="saturation"/>.</summary>
    public async Task<Demand> CountAsync(DbConnection connection, DbTransaction? transaction, bool hasGroup, long saturation, int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        var limit = Math.Max(saturation, 1);
        var measures = new List<DemandMeasure>();
        long? group = null;
        if (hasGroup)
        {
            group = await ActiveGroupAsync(connection, transaction, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false);
            if (group is null)
            {
                // No unfinished or retryable task in any group: nothing is, or will be, handed out.
                return new Demand(0, false, [new DemandMeasure("pending", 0), new DemandMeasure("in flight", 0)]);
            }

            measures.Add(new DemandMeasure("active group", group.Value));
        }

        var counts = new List<HyperShellCount> { HyperShellCount.Pending, HyperShellCount.InFlight };
        if (maxRetries > 0)
        {
            counts.Add(HyperShellCount.Retryable);
        }

        // Once the pool is saturated the remaining figures cannot change its decision: they are
        // not read (and not shown as zero).
        var total = 0L;
        foreach (var count in counts.TakeWhile(_ => total < limit))
        {
            var value = 0L;
            foreach (var sql in CountSql(count, hasGroup).TakeWhile(_ => total + value < limit))
            {
                value += await ScalarLongAsync(connection, transaction, sql, group, limit - total - value, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false) ?? 0;
            }

            measures.Add(new DemandMeasure(Name(count), value));
            total += value;
        }

        return new Demand(total, total >= limit, measures);
    }

    internal static string Name(HyperShellCount count) => count switch
    {
        HyperShellCount.Pending => "pending",
        HyperShellCount.InFlight => "in flight",
        _ => "retryable",
    };

    /// <summary>
    /// The bounded counts for one figure (summed; retryable is two index ranges), public to
    /// EXPLAIN them in tests. Each has exactly one predicate an index can serve, the one whose
    /// range holds unfinished work only; the others are written so no index serves them (SQLite:
    /// unary +; PostgreSQL: num_nulls() and + 0), since the planner, not knowing that finished
    /// tasks are almost the whole table, would otherwise walk e.g. schedule_time IS NOT NULL, the
    /// whole history.
    /// </summary>
    internal IReadOnlyList<string> CountSql(HyperShellCount count, bool hasGroup)
    {
        var group = !hasGroup ? "" : count == HyperShellCount.Pending ? " AND \"group\" = @group" : " AND " + NotIndexed("\"group\"") + " = @group";
        var tagCondition = TagCondition is { } t ? " AND " + t : "";
        return Conditions(count)
            .Select(where => $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where}{group}{tagCondition} LIMIT @limit) bounded")
            .ToList();
    }

    /// <summary>The lowest group with unfinished tasks (and, with retries on, the lowest with retryable ones).</summary>
    internal IReadOnlyList<string> ActiveGroupSql()
    {
        // The group itself stays off the ("group", schedule_time) index: walking it in order would
        // read the finished history of every earlier group.
        var column = NotIndexed("\"group\"");
        var list = new List<string> { $"SELECT min({column}) FROM {table} WHERE exit_status IS NULL AND {NullNotIndexed("completion_time")}" };
        if (maxRetries > 0)
        {
            list.AddRange(Conditions(HyperShellCount.Retryable).Select(where => $"SELECT min({column}) FROM {table} WHERE {where}"));
        }

        return list;
    }

    private string NotIndexed(string column) => Sqlite ? "+" + column : column + " + 0";

    private string NullNotIndexed(string column) => Sqlite ? $"+{column} IS NULL" : $"num_nulls({column}) = 1";

    private string NotNullNotIndexed(string column) => Sqlite ? $"+{column} IS NOT NULL" : $"num_nulls({column}) = 0";

    private IEnumerable<string> Conditions(HyperShellCount count) => count switch
    {
        // Never handed out: the schedule_time index's NULL range. Cancelling sets schedule_time (and
        // exit_status -1), so a cancelled task is never here; the exit_status test guards odd rows.
        HyperShellCount.Pending => [$"schedule_time IS NULL AND {NullNotIndexed("exit_status")}"],
        // Handed to a client or pre-marked by the server; not finished, not cancelled: the
        // exit_status index's NULL range (pending and in flight tasks only).
        HyperShellCount.InFlight => [$"exit_status IS NULL AND {NullNotIndexed("completion_time")} AND {NotNullNotIndexed("schedule_time")}"],
        // Failed (neither ok nor cancelled; a signal gives a negative status), not yet retried,
        // attempts left: the server resubmits it. Two ranges of the exit_status index that skip
        // the successes, which are most of the history.
        _ =>
        [
            $"exit_status > 0 AND {(Sqlite ? "retried = 0" : "NOT retried")} AND attempt < @max_attempts",
            $"exit_status < -1 AND {(Sqlite ? "retried = 0" : "NOT retried")} AND attempt < @max_attempts",
        ],
    };

    private string? TagCondition => tag switch
    {
        null => null,
        { Value: null } when Sqlite => "json_type(tag, @tag_path) IS NOT NULL",
        // The value's text as PostgreSQL's ->> gives it (true, 1, 1.5, text), so one setting means the same on both backends.
        _ when Sqlite => "(CASE json_type(tag, @tag_path) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract(tag, @tag_path) AS TEXT) END) = @tag_value",
        { Value: null } => "tag::jsonb ? @tag_key",
        _ => "tag::jsonb ->> @tag_key = @tag_value",
    };

    /// <summary>
    /// HyperShell 2.8 hands out one group at a time. Taken here as the lowest group that still has
    /// unfinished (or, with retries on, retryable) tasks; tags do not choose it, the server does not look at them.
    /// </summary>
    private async Task<long?> ActiveGroupAsync(DbConnection connection, DbTransaction? transaction, int timeout, CancellationToken cancellationToken)
    {
        long? lowest = null;
        foreach (var sql in ActiveGroupSql())
        {
            var found = await ScalarLongAsync(connection, transaction, sql, null, 0, timeout, cancellationToken).ConfigureAwait(false);
            if (found is not null && (lowest is null || found < lowest))
            {
                lowest = found;
            }
        }

        return lowest;
    }

    /// <summary>Binds the parameters the command's SQL mentions (SQLite refuses a statement with one unbound).</summary>
    internal void AddParameters(DbCommand command, long? group, long limit)
    {
        var sql = command.CommandText;
        AddIfUsed(command, sql, "limit", limit);
        AddIfUsed(command, sql, "max_attempts", 1 + maxRetries);
        if (group is not null)
        {
            AddIfUsed(command, sql, "group", group.Value);
        }

        if (tag is not null)
        {
            AddIfUsed(command, sql, "tag_path", tag.JsonPath);
            AddIfUsed(command, sql, "tag_key", tag.Key);
            if (tag.Value is not null)
            {
                AddIfUsed(command, sql, "tag_value", tag.Value);
            }
        }
    }

    private async Task<long?> ScalarLongAsync(DbConnection connection, DbTransaction? transaction, string sql, long? group, long limit, int timeout, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.CommandTimeout = timeout;
        AddParameters(command, group, limit);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void AddIfUsed(DbCommand command, string sql, string name, object value)
    {
        // "@tag" must not match "@tag_path": a use is followed by a non-word character or the end.
        for (var at = sql.IndexOf("@" + name, StringComparison.Ordinal); at >= 0; at = sql.IndexOf("@" + name, at + 1, StringComparison.Ordinal))
        {
            var after = at + name.Length + 1;
            if (after >= sql.Length || !(char.IsLetterOrDigit(sql[after]) || sql[after] == '_'))
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value;
                command.Parameters.Add(parameter);
                return;
            }
        }
    }
}
