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

/// <summary>Which tasks the group walk looks for.</summary>
internal enum HyperShellGroupKind
{
    /// <summary>completion_time NULL: the server waits for them.</summary>
    Unfinished,

    /// <summary>Failed with attempts left, not yet retried: the server hands out a retry.</summary>
    Retryable,

    /// <summary>Failed with no attempt left, not retried: the server stops at the group.</summary>
    FailedPastRetries,
}

internal enum HyperShellGroupStatus
{
    /// <summary>No task at all.</summary>
    Empty,

    /// <summary>The group has work to hand out or to wait for.</summary>
    Active,

    /// <summary>All finished, some failed past their retries: HyperShell goes no further.</summary>
    Stuck,

    /// <summary>Nothing left in this or any later group.</summary>
    Done,
}

internal readonly record struct HyperShellGroupState(HyperShellGroupStatus Status, long Group);

/// <summary>The task table holds something a HyperShell server would not write; the caller names the database.</summary>
internal sealed class HyperShellContentException(string message) : Exception(message);

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
        var hasGroup = present.Contains("group");
        var needed = CoreColumns.AsEnumerable();

        // With groups, a failure past its retries stops the server at its group: telling it apart
        // needs attempt and retried even with retries off.
        if (maxRetries > 0 || hasGroup)
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
            : (null, hasGroup);
    }

    /// <summary>Counts pending, in flight and (when retries are on) retryable tasks, stopping at <paramref name="saturation"/>.</summary>
    public async Task<Demand> CountAsync(DbConnection connection, DbTransaction? transaction, bool hasGroup, long saturation, int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        var limit = Math.Max(saturation, 1);
        var measures = new List<DemandMeasure>();
        long? group = null;
        // Read only when a choice needs it (not when the start group has a task never handed out).
        long? unfinishedRows = null;
        async Task<long> UnfinishedRowsAsync() => unfinishedRows ??=
            await ScalarLongAsync(connection, transaction, UnfinishedRangeSql(), null, ManyUnfinished, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false) ?? 0;
        if (hasGroup)
        {
            var state = await GroupStateAsync(connection, transaction, UnfinishedRowsAsync, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false);
            switch (state.Status)
            {
                case HyperShellGroupStatus.Empty:
                    return new Demand(0, false, [new DemandMeasure("pending", 0), new DemandMeasure("in flight", 0)]);
                case HyperShellGroupStatus.Done:
                    // HyperShell stays at its last group ("no task groups remain"): nothing to hand out.
                    return new Demand(0, false, [new DemandMeasure("active group", state.Group), new DemandMeasure("pending", 0), new DemandMeasure("in flight", 0)]);
                case HyperShellGroupStatus.Stuck:
                    var failed = 0L;
                    foreach (var sql in FailedPastRetriesSql().TakeWhile(_ => failed < FailedShown))
                    {
                        failed += await ScalarLongAsync(connection, transaction, sql, state.Group, FailedShown - failed, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false) ?? 0;
                    }

                    var many = failed >= FailedShown ? $"{FailedShown} or more" : failed.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return new Demand(0, false, [new DemandMeasure("active group", state.Group), new DemandMeasure("pending", 0), new DemandMeasure("in flight", 0), new DemandMeasure("failed past retries", failed)])
                    {
                        Notes =
                        [
                            $"HyperShell group {state.Group} is stuck: {many} task(s) failed with no retry left (max_retries {maxRetries}); "
                            + "the server hands out no later group until they are cleared, so there is no demand.",
                        ],
                    };
            }

            group = state.Group;
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
            var statements = count == HyperShellCount.InFlight && group is { } g
                && await GroupRowsAreFewerAsync(connection, transaction, g, await UnfinishedRowsAsync().ConfigureAwait(false), commandTimeoutSeconds, cancellationToken).ConfigureAwait(false)
                ? [GroupInFlightSql()]
                : CountSql(count, hasGroup);
            foreach (var sql in statements.TakeWhile(_ => total + value < limit))
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
        if (count == HyperShellCount.Retryable)
        {
            return [FailuresNotRetried(null, $"attempt < @max_attempts{group}{tagCondition}")];
        }

        return Conditions(count)
            .Select(where => $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where}{group}{tagCondition} LIMIT @limit) bounded")
            .ToList();
    }

    /// <summary>
    /// The group walk at most reads this many distinct groups (to find the latest scheduled
    /// task's); a table with more fails closed rather than making a tick unbounded.
    /// </summary>
    internal const int MaxGroups = 1000;

    /// <summary>Failed tasks of a stuck group are counted up to this many (the figure explains, it decides nothing).</summary>
    internal const long FailedShown = 1000;

    /// <summary>
    /// Every group with its latest schedule_time (NULL: nothing of it ever scheduled), latest first,
    /// ties to the higher group, at most <see cref="MaxGroups"/> + 1 rows. HyperShell has no index
    /// on schedule_time alone, so its "ORDER BY schedule_time DESC LIMIT 1" is taken per group: a
    /// loose scan of the ("group", schedule_time) index, one seek for the next group and one for
    /// that group's latest time, never a walk of the history.
    /// </summary>
    internal string LatestScheduledSql() =>
        $"""
        WITH RECURSIVE walk(g, n) AS (
          SELECT min("group"), 1 FROM {table}
          UNION ALL
          SELECT (SELECT min("group") FROM {table} WHERE "group" > walk.g), walk.n + 1 FROM walk WHERE walk.g IS NOT NULL AND walk.n <= {MaxGroups}
        ),
        latest(g, t) AS (
          SELECT g, (SELECT max(schedule_time) FROM {table} WHERE "group" = walk.g) FROM walk WHERE g IS NOT NULL
        )
        SELECT g, CASE WHEN t IS NULL THEN 0 ELSE 1 END FROM latest ORDER BY t DESC NULLS LAST, g DESC
        """;

    /// <summary>
    /// The lowest group at or after @group with a task of <paramref name="kind"/>, one statement per
    /// index range (take the least). Each walks the exit_status index over unfinished rows or over
    /// failures not yet retried (<see cref="FailuresNotRetried"/>), never the finished history; the
    /// group is a filter there, kept off the ("group", schedule_time) index, whose range from @group
    /// on is the finished history of every later group.
    /// </summary>
    internal IReadOnlyList<string> FirstGroupSql(HyperShellGroupKind kind)
    {
        var column = NotIndexed("\"group\"");
        var from = $"{column} >= @group";
        return kind switch
        {
            // HyperShell waits while completion_time is NULL. Successes, cancellations (2.8 sets
            // completion_time) and retried failures are the history and are not looked for.
            HyperShellGroupKind.Unfinished =>
            [
                $"SELECT min({column}) FROM {table} WHERE exit_status IS NULL AND {NullNotIndexed("completion_time")} AND {from}",
                FailuresNotRetried($"min({column})", $"{NullNotIndexed("completion_time")} AND {from}"),
            ],
            HyperShellGroupKind.Retryable => [FailuresNotRetried($"min({column})", $"attempt < @max_attempts AND {from}")],
            // increment_group's failed_query: failed (not ok, not cancelled), not retried, no attempt left.
            _ => [FailuresNotRetried($"min({column})", $"attempt >= @max_attempts AND {from}")],
        };
    }

    /// <summary>Failed tasks past their retries in @group, counted up to @limit: the stuck group's explanation.</summary>
    internal IReadOnlyList<string> FailedPastRetriesSql() =>
        [FailuresNotRetried(null, $"attempt >= @max_attempts AND {NotIndexed("\"group\"")} = @group")];

    /// <summary>
    /// Failed tasks (neither ok nor cancelled; a signal gives a negative status) that were not
    /// retried, <paramref name="select"/>ed (null: counted up to @limit). The failures of the history
    /// were retried (HyperShell sets retried on the attempt it resubmits), so (exit_status, retried)
    /// is sought once per distinct failing status with retried false: a loose scan of the index
    /// for the statuses, then only the rows still waiting for a retry or past their retries. A range
    /// on exit_status alone would read every failure of the history.
    /// </summary>
    private string FailuresNotRetried(string? select, string where)
    {
        // One index seek per status: SQLite keeps the order of a CROSS JOIN; PostgreSQL is held to it
        // by LATERAL with OFFSET 0, which it does not flatten (flattened, it hash-joins the statuses
        // to a walk of the whole retried = false range).
        var rows = Sqlite
            ? $"FROM failing CROSS JOIN {table} WHERE exit_status = failing.v AND retried = 0 AND failing.v NOT IN (0, -1) AND {where}"
            : $"FROM failing CROSS JOIN LATERAL (SELECT * FROM {table} WHERE exit_status = failing.v AND NOT retried AND {where} OFFSET 0) failed WHERE failing.v NOT IN (0, -1)";
        return $"""
            WITH RECURSIVE failing(v) AS (
              SELECT min(exit_status) FROM {table} WHERE exit_status IS NOT NULL
              UNION ALL
              SELECT (SELECT min(exit_status) FROM {table} WHERE exit_status > failing.v) FROM failing WHERE failing.v IS NOT NULL
            )
            {(select is null ? $"SELECT count(*) FROM (SELECT 1 {rows} LIMIT @limit) bounded" : $"SELECT {select} {rows}")}
            """;
    }

    /// <summary>
    /// Unfinished tasks (pending and in flight, every group) counted up to @limit from the exit_status
    /// index alone: whether the exit_status range of unfinished work is small enough to read, or
    /// the group's own rows are the smaller read.
    /// </summary>
    internal string UnfinishedRangeSql() => $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE exit_status IS NULL LIMIT @limit) bounded";

    /// <summary>Scheduled tasks of @group counted up to @limit from the ("group", schedule_time) index alone.</summary>
    internal string GroupScheduledSql() => $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE \"group\" = @group AND schedule_time IS NOT NULL LIMIT @limit) bounded";

    /// <summary>
    /// Whether @group has an unfinished task, from the ("group", schedule_time) index: a pending one
    /// is one seek; a scheduled one is looked for from the latest scheduled back (in flight tasks
    /// are the recent ones), so only a group with nothing in flight is read whole.
    /// </summary>
    internal IReadOnlyList<string> GroupUnfinishedSql() =>
    [
        $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE \"group\" = @group AND schedule_time IS NULL AND {NullNotIndexed("completion_time")} AND coalesce(exit_status, 1) <> 0 LIMIT 1) bounded",
        $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE \"group\" = @group AND schedule_time IS NOT NULL AND {NullNotIndexed("completion_time")} AND coalesce(exit_status, 1) <> 0 ORDER BY schedule_time DESC LIMIT 1) bounded",
    ];

    /// <summary>In flight tasks of @group counted up to @limit over the group's scheduled rows (when they are fewer than the unfinished ones).</summary>
    internal string GroupInFlightSql()
    {
        var tagCondition = TagCondition is { } t ? " AND " + t : "";
        return $"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE \"group\" = @group AND schedule_time IS NOT NULL AND {NullNotIndexed("exit_status")} AND {NullNotIndexed("completion_time")}{tagCondition} LIMIT @limit) bounded";
    }

    /// <summary>
    /// Above this many unfinished tasks the group's own rows are read instead of the exit_status
    /// range of unfinished work (both counted first, index only, up to this many). A test sets 0
    /// to take the group-by-group path on small tables.
    /// </summary>
    internal long ManyUnfinished { get; init; } = DefaultManyUnfinished;

    internal const long DefaultManyUnfinished = 20_000;

    /// <summary>
    /// Reconstructs the group HyperShell's server is at (hypershell/hypershell, data/model.py
    /// Task.current_group and Task.increment_group; server.py Scheduler.start and load_bundle).
    /// The server starts at the group of the latest scheduled task (a cancellation sets
    /// schedule_time too), or the lowest group when nothing was scheduled, and only ever moves up:
    /// it stays while the group has unfinished tasks (or retries to hand out), stops for good at a
    /// finished group with failures past their retries, and otherwise goes to the next higher
    /// group. Groups it passes are finished without such failures, so the group it ends at is the
    /// lowest one from the start with unfinished, retryable or permanently failed tasks. Tags do
    /// not enter: the server does not look at them.
    /// </summary>
    private async Task<HyperShellGroupState> GroupStateAsync(DbConnection connection, DbTransaction? transaction, Func<Task<long>> unfinishedRows, int timeout, CancellationToken cancellationToken)
    {
        var groups = new List<(long Group, bool Scheduled)>();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = LatestScheduledSql();
            command.CommandTimeout = timeout;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                groups.Add((GroupValue(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) == 1));
            }
        }

        if (groups.Count == 0)
        {
            return new HyperShellGroupState(HyperShellGroupStatus.Empty, 0);
        }

        if (groups.Count > MaxGroups)
        {
            throw new HyperShellContentException(
                $"table 'task' has more than {MaxGroups} distinct groups; the active group is not reconstructed past that many (refusing to guess)");
        }

        // Latest scheduled first; when nothing was ever scheduled, every row is unscheduled and the last is the lowest group.
        var start = groups[0].Scheduled ? groups[0].Group : groups[^1].Group;

        // A task of the start group never handed out: the server stays there (it only moves on from
        // a group with nothing unfinished), and no failure below it can stop it. One seek.
        if (await ScalarLongAsync(connection, transaction, GroupUnfinishedSql()[0], start, 1, timeout, cancellationToken).ConfigureAwait(false) > 0)
        {
            return new HyperShellGroupState(HyperShellGroupStatus.Active, start);
        }

        var retryable = maxRetries > 0
            ? await FirstGroupAsync(connection, transaction, HyperShellGroupKind.Retryable, start, timeout, cancellationToken).ConfigureAwait(false)
            : null;
        var failed = await FirstGroupAsync(connection, transaction, HyperShellGroupKind.FailedPastRetries, start, timeout, cancellationToken).ConfigureAwait(false);

        // Few unfinished tasks: their exit_status range is read whole. Many (pending work queued in
        // later groups): the groups from the start are asked one by one, from their own index
        // range, up to the first that is active or past a failed one.
        long? unfinished;
        if (await unfinishedRows().ConfigureAwait(false) < ManyUnfinished)
        {
            unfinished = await FirstGroupAsync(connection, transaction, HyperShellGroupKind.Unfinished, start, timeout, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            unfinished = null;
            var stop = Min(retryable, failed);
            foreach (var group in groups.Select(g => g.Group).Where(g => g >= start && (stop is null || g <= stop)).Order())
            {
                if (await GroupHasUnfinishedAsync(connection, transaction, group, timeout, cancellationToken).ConfigureAwait(false))
                {
                    unfinished = group;
                    break;
                }
            }
        }

        var active = Min(unfinished, retryable);
        if (failed is { } f && (active is null || f < active))
        {
            return new HyperShellGroupState(HyperShellGroupStatus.Stuck, f);
        }

        return active is { } a
            ? new HyperShellGroupState(HyperShellGroupStatus.Active, a)
            : new HyperShellGroupState(HyperShellGroupStatus.Done, groups.Max(g => g.Group));
    }

    private async Task<bool> GroupHasUnfinishedAsync(DbConnection connection, DbTransaction? transaction, long group, int timeout, CancellationToken cancellationToken)
    {
        foreach (var sql in GroupUnfinishedSql())
        {
            if (await ScalarLongAsync(connection, transaction, sql, group, 1, timeout, cancellationToken).ConfigureAwait(false) > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the group's scheduled rows are fewer than the unfinished tasks of every group (both counted up to <see cref="ManyUnfinished"/>).</summary>
    private async Task<bool> GroupRowsAreFewerAsync(DbConnection connection, DbTransaction? transaction, long group, long unfinishedRows, int timeout, CancellationToken cancellationToken) =>
        unfinishedRows >= ManyUnfinished
        && await ScalarLongAsync(connection, transaction, GroupScheduledSql(), group, ManyUnfinished, timeout, cancellationToken).ConfigureAwait(false) < ManyUnfinished;

    private async Task<long?> FirstGroupAsync(DbConnection connection, DbTransaction? transaction, HyperShellGroupKind kind, long from, int timeout, CancellationToken cancellationToken)
    {
        long? lowest = null;
        foreach (var sql in FirstGroupSql(kind))
        {
            lowest = Min(lowest, await ScalarLongAsync(connection, transaction, sql, from, 0, timeout, cancellationToken).ConfigureAwait(false));
        }

        return lowest;
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    private static long GroupValue(object value) => value switch
    {
        long l => l,
        int i => i,
        short s => s,
        _ => throw new HyperShellContentException($"task.\"group\" holds {(value is DBNull ? "NULL" : $"a {value.GetType().Name} value")}, not an integer (not a HyperShell task table?)"),
    };

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
        // Retryable (failed, not yet retried, attempts left) is FailuresNotRetried.
        _ => throw new ArgumentOutOfRangeException(nameof(count), count, "not a range of one index"),
    };

    private string? TagCondition => tag?.SqlCondition(Sqlite);

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
