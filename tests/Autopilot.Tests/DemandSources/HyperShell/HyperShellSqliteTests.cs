using System.Diagnostics;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Microsoft.Data.Sqlite;
using static Autopilot.DemandSources.HyperShell.HyperShellTaskState;

namespace Autopilot.Tests.DemandSources.HyperShell;

public sealed class HyperShellSqliteTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("autopilot-hs-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string NewDatabase(HyperShellSchemaVersion version, params HyperShellTaskBatch[] batches)
    {
        var path = Path.Combine(dir, $"{Guid.NewGuid():N}.db");
        HyperShellTestDatabase.CreateSqlite(path, version, batches);
        return path;
    }

    private static HyperShellDemandSource Source(string path, string? tag = null, int maxRetries = 0, double timeoutSeconds = 10) =>
        new(new HyperShellOptions { Backend = "sqlite", Path = path, Tag = tag, MaxRetries = maxRetries, Timeout = TimeSpan.FromSeconds(timeoutSeconds) });

    private static HyperShellTaskBatch B(HyperShellTaskState state, long count) => new(state, count);

    private static long Measure(IReadOnlyList<DemandMeasure> measures, string name) => measures.Single(m => m.Name == name).Value;

    [Fact]
    public async Task Counts_pending_and_in_flight_from_the_nullable_columns()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic,
            B(Succeeded, 10), B(Failed, 5), B(Cancelled, 6), B(Running, 4), B(Scheduled, 2), B(Pending, 3));

        var demand = await Source(path).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(9, demand.Tasks);
        Assert.False(demand.Saturated);
        Assert.Equal([new DemandMeasure("pending", 3), new DemandMeasure("in flight", 6)], demand.Measures);
    }

    [Fact]
    public async Task Cancelled_tasks_are_never_demand_even_with_retries_on()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic, B(Cancelled, 7), B(Succeeded, 2));

        var demand = await Source(path, maxRetries: 3).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(0, demand.Tasks);
        Assert.Equal(0, Measure(demand.Measures, "retryable"));
    }

    [Fact]
    public async Task Retryable_failures_count_only_with_max_retries_and_attempts_left()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic,
            new HyperShellTaskBatch(Failed, 4) { Attempt = 1 },
            new HyperShellTaskBatch(Failed, 3) { Attempt = 2, ExitStatus = 127 },
            new HyperShellTaskBatch(Failed, 1) { Attempt = 1, ExitStatus = -9 },  // killed by a signal
            new HyperShellTaskBatch(Failed, 2) { Attempt = 3 },                 // no attempt left with max_retries 2
            new HyperShellTaskBatch(Failed, 5) { Attempt = 1, Retried = true }, // its retry row exists already
            B(Pending, 1));

        var off = await Source(path).MeasureAsync(1000, CancellationToken.None);
        var on = await Source(path, maxRetries: 2).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(1, off.Tasks);
        Assert.DoesNotContain(off.Measures, m => m.Name == "retryable");
        Assert.Equal(1 + 4 + 3 + 1, on.Tasks);
        Assert.Equal(8, Measure(on.Measures, "retryable"));
    }

    [Theory]
    [InlineData(null, 12)]
    [InlineData("site", 5)]
    [InlineData("site = a", 3)]
    [InlineData("site=b", 2)]
    [InlineData("site = c", 0)]
    [InlineData("prod", 4)]
    [InlineData("n = 1", 1)]
    [InlineData("flag = true", 1)]
    [InlineData("missing", 0)]
    public async Task Tag_filter_selects_by_key_or_key_and_value(string? tag, long expected)
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic,
            new HyperShellTaskBatch(Pending, 2) { Tag = """{"site": "a"}""" },
            new HyperShellTaskBatch(Running, 1) { Tag = """{"site": "a", "prod": ""}""" },
            new HyperShellTaskBatch(Pending, 2) { Tag = """{"site": "b"}""" },
            new HyperShellTaskBatch(Scheduled, 3) { Tag = """{"prod": ""}""" },
            new HyperShellTaskBatch(Pending, 1) { Tag = """{"n": 1}""" },
            new HyperShellTaskBatch(Pending, 1) { Tag = """{"flag": true}""" },
            new HyperShellTaskBatch(Pending, 2),
            new HyperShellTaskBatch(Succeeded, 4) { Tag = """{"site": "a", "prod": ""}""" });

        var demand = await Source(path, tag).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(expected, demand.Tasks);
    }

    [Theory]
    [InlineData("bad key")]
    [InlineData("a\"b")]
    [InlineData("= value")]
    public void Tag_keys_HyperShell_would_refuse_are_a_configuration_error(string tag) =>
        Assert.Throws<ArgumentException>(() => Source("/nonexistent.db", tag));

    [Theory]
    [MemberData(nameof(HyperShellGroupCases.Names), MemberType = typeof(HyperShellGroupCases))]
    public async Task Grouped_schema_follows_HyperShells_group_rule(string name)
    {
        var c = HyperShellGroupCases.Get(name);
        var path = NewDatabase(HyperShellSchemaVersion.Grouped, c.Batches);

        var demand = await Source(path, c.Tag, c.MaxRetries).MeasureAsync(1000, CancellationToken.None);

        c.Check(demand);
    }

    /// <summary>
    /// The same rule when many unfinished tasks wait in other groups (issue 15): each group from the
    /// start is asked from its own rows of ("group", schedule_time), not from the exit_status range
    /// of every unfinished task. ManyUnfinished 0 takes that path on a small table.
    /// </summary>
    [Theory]
    [MemberData(nameof(HyperShellGroupCases.Names), MemberType = typeof(HyperShellGroupCases))]
    public async Task Grouped_schema_follows_HyperShells_group_rule_asking_group_by_group(string name)
    {
        var c = HyperShellGroupCases.Get(name);
        var path = NewDatabase(HyperShellSchemaVersion.Grouped, c.Batches);

        var demand = await new HyperShellDemandSource(new HyperShellOptions { Backend = "sqlite", Path = path, Tag = c.Tag, MaxRetries = c.MaxRetries }) { ManyUnfinished = 0 }
            .MeasureAsync(1000, CancellationToken.None);

        c.Check(demand);
    }

    [Fact]
    public async Task Grouped_schema_follows_the_server_to_the_next_group_when_the_current_one_finishes()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped,
            new HyperShellTaskBatch(Succeeded, 50) { Group = 0 },
            new HyperShellTaskBatch(Running, 2) { Group = 1 },
            new HyperShellTaskBatch(Succeeded, 3) { Group = 1 },
            new HyperShellTaskBatch(Pending, 5) { Group = 2 },
            new HyperShellTaskBatch(Pending, 9) { Group = 3 });

        var demand = await Source(path).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(2, demand.Tasks);
        Assert.Equal([new DemandMeasure("active group", 1), new DemandMeasure("pending", 0), new DemandMeasure("in flight", 2)], demand.Measures);

        // Group 1 done: group 2 becomes active.
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var finish = connection.CreateCommand();
            finish.CommandText = "UPDATE task SET completion_time = '2024-01-02 00:00:00.000000', exit_status = 0 WHERE \"group\" = 1";
            finish.ExecuteNonQuery();
        }

        var next = await Source(path).MeasureAsync(1000, CancellationToken.None);
        Assert.Equal(5, next.Tasks);
        Assert.Equal(2, Measure(next.Measures, "active group"));
    }

    [Fact]
    public async Task Grouped_schema_failures_past_their_retries_stop_at_their_group_and_retries_keep_it_active()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped,
            new HyperShellTaskBatch(Failed, 2) { Group = 4 },
            new HyperShellTaskBatch(Pending, 5) { Group = 5 });

        // max_retries 0: HyperShell halts (or waits, forever mode) at group 4; group 5 is never handed out.
        var stuck = await Source(path).MeasureAsync(1000, CancellationToken.None);
        Assert.Equal(0, stuck.Tasks);
        Assert.Equal(4, Measure(stuck.Measures, "active group"));
        Assert.Equal(2, Measure(stuck.Measures, "failed past retries"));
        var retrying = await Source(path, maxRetries: 1).MeasureAsync(1000, CancellationToken.None);
        Assert.Equal(2, retrying.Tasks);
        Assert.Equal(4, Measure(retrying.Measures, "active group"));
    }

    [Fact]
    public async Task A_stuck_group_is_explained_in_the_plan_notes()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped,
            new HyperShellTaskBatch(Failed, 3) { Group = 1, ExitStatus = 2 },
            new HyperShellTaskBatch(Pending, 5) { Group = 2 });

        var demand = await Source(path).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal("HyperShell group 1 is stuck: 3 task(s) failed with no retry left (max_retries 0); the server hands out no later group until they are cleared, so there is no demand.",
            Assert.Single(demand.Notes));
    }

    [Fact]
    public async Task More_groups_than_the_walk_reads_is_an_error_not_a_guess()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped,
            Enumerable.Range(0, HyperShellQuery.MaxGroups + 1).Select(g => new HyperShellTaskBatch(Pending, 1) { Group = g }).ToArray());

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path).MeasureAsync(1000, CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains($"more than {HyperShellQuery.MaxGroups} distinct groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_integer_group_is_an_error()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped, new HyperShellTaskBatch(Pending, 1) { Group = 1 });
        Execute(path, "UPDATE task SET \"group\" = 'x'");

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path).MeasureAsync(1000, CancellationToken.None));

        Assert.Contains("task.\"group\" holds a String value, not an integer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grouped_schema_with_nothing_unfinished_is_zero_demand()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped, new HyperShellTaskBatch(Succeeded, 5) { Group = 1 });

        var demand = await Source(path).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(0, demand.Tasks);
        Assert.False(demand.Saturated);
    }

    [Theory]
    [InlineData(30, 30, true, new[] { "pending" })]
    [InlineData(100, 100, true, new[] { "pending" })]
    [InlineData(120, 120, true, new[] { "pending", "in flight" })]
    [InlineData(150, 150, true, new[] { "pending", "in flight" })]
    [InlineData(1000, 150, false, new[] { "pending", "in flight" })]
    public async Task Counting_stops_at_the_saturation_point(long saturation, long tasks, bool saturated, string[] measured)
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic, B(Pending, 100), B(Running, 50), B(Succeeded, 20));

        var demand = await Source(path).MeasureAsync(saturation, CancellationToken.None);

        Assert.Equal(tasks, demand.Tasks);
        Assert.Equal(saturated, demand.Saturated);
        Assert.Equal(measured, demand.Measures.Select(m => m.Name).ToArray());
    }

    [Fact]
    public async Task A_missing_file_is_an_error_naming_it_and_is_not_created()
    {
        var path = Path.Combine(dir, "nowhere", "main.db");

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path).MeasureAsync(10, CancellationToken.None));

        Assert.Contains(path, error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_folder_in_place_of_the_database_is_reported_as_a_folder()
    {
        // Hardening problem 18: a folder used to be reported as "does not exist".
        var path = Path.Combine(dir, "main.db");
        Directory.CreateDirectory(path);

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path).MeasureAsync(10, CancellationToken.None));

        Assert.Contains(path, error.Message);
        Assert.Contains("is a folder, not a file", error.Message);
        Assert.DoesNotContain("does not exist", error.Message);
    }

    [Fact]
    public async Task A_database_without_a_task_table_is_an_error()
    {
        var path = Path.Combine(dir, "other.db");
        Execute(path, "CREATE TABLE jobs (id INTEGER)");

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path).MeasureAsync(10, CancellationToken.None));

        Assert.Contains("no table 'task'", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task A_task_table_missing_columns_is_an_error_listing_them()
    {
        var path = Path.Combine(dir, "old.db");
        Execute(path, "CREATE TABLE task (id TEXT, schedule_time DATETIME, completion_time DATETIME)");

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path, tag: "site", maxRetries: 1).MeasureAsync(10, CancellationToken.None));

        Assert.Contains("exit_status, attempt, retried, tag", error.Message);
    }

    [Fact]
    public async Task A_file_that_is_not_SQLite_is_an_error()
    {
        var path = Path.Combine(dir, "text.db");
        await File.WriteAllTextAsync(path, new string('x', 4096));

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path).MeasureAsync(10, CancellationToken.None));

        Assert.Contains("not a SQLite database", error.Message);
    }

    [Fact]
    public async Task A_writer_holding_the_file_past_the_busy_timeout_is_an_error()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic, B(Pending, 3));
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False");
        writer.Open();
        // Rollback-journal mode: a writer's EXCLUSIVE lock (as while it commits) keeps readers out.
        Execute(writer, null, "BEGIN EXCLUSIVE");
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(path, timeoutSeconds: 1).MeasureAsync(10, CancellationToken.None));

        watch.Stop();
        Assert.Contains("locked", error.Message);
        Assert.Contains(path, error.Message);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_writer_that_releases_within_the_busy_timeout_is_waited_for()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic, B(Pending, 3));
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False");
        writer.Open();
        Execute(writer, null, "BEGIN EXCLUSIVE");
        var release = Task.Run(async () =>
        {
            await Task.Delay(500);
            Execute(writer, null, "COMMIT");
        });
        var watch = Stopwatch.StartNew();

        var demand = await Source(path, timeoutSeconds: 5).MeasureAsync(10, CancellationToken.None);

        await release;
        Assert.Equal(3, demand.Tasks);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.4), $"the reader did not wait for the writer ({watch.Elapsed})");
    }

    [Fact]
    public async Task The_reader_keeps_nothing_open_and_changes_no_journal_mode()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic, B(Pending, 3), B(Running, 1));
        var source = Source(path);
        for (var i = 0; i < 20; i++)
        {
            await source.MeasureAsync(10, CancellationToken.None);
        }

        // A writer gets an exclusive lock at once (busy timeout 0): no reader handle lingers.
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=1");
        writer.Open();
        Execute(writer, null, "PRAGMA busy_timeout = 0");
        Execute(writer, null, "BEGIN EXCLUSIVE");
        Execute(writer, null, "COMMIT");
        using var mode = writer.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("delete", mode.ExecuteScalar());
        Assert.False(File.Exists(path + "-wal"));
        Assert.Equal(Directory.GetFiles(dir).Length, Directory.GetFiles(dir, "*.db").Length);
    }

    [Fact]
    public async Task Without_a_configured_path_the_HyperShell_default_file_is_read()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Classic, B(Pending, 4));
        var before = Environment.GetEnvironmentVariable(HyperShellPaths.DatabaseFileVariable);
        Environment.SetEnvironmentVariable(HyperShellPaths.DatabaseFileVariable, path);
        try
        {
            var source = new HyperShellDemandSource(new HyperShellOptions { });
            Assert.Equal($"hypershell sqlite {path}", source.Describe());
            Assert.Equal(4, (await source.MeasureAsync(10, CancellationToken.None)).Tasks);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HyperShellPaths.DatabaseFileVariable, before);
        }
    }

    [Fact]
    public void The_factory_creates_the_hypershell_source()
    {
        var source = DemandSourceFactory.Create(new HyperShellOptions { Path = "/data/main.db", Tag = "site = a" },
            new Autopilot.Processes.ProcessRunner(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System);

        Assert.IsType<HyperShellDemandSource>(source);
        Assert.Equal("hypershell sqlite /data/main.db tag site = a", source.Describe());
    }

    [Theory]
    [InlineData(HyperShellSchemaVersion.Classic, "Pending", "task_scheduled_index")]
    [InlineData(HyperShellSchemaVersion.Classic, "InFlight", "task_retries_index")]
    [InlineData(HyperShellSchemaVersion.Classic, "Retryable", "task_retries_index")]
    [InlineData(HyperShellSchemaVersion.Grouped, "Pending", "index_tasks_unscheduled")]
    [InlineData(HyperShellSchemaVersion.Grouped, "InFlight", "index_tasks_retries")]
    [InlineData(HyperShellSchemaVersion.Grouped, "Retryable", "index_tasks_retries")]
    public void Each_count_walks_the_index_whose_range_is_unfinished_work(HyperShellSchemaVersion version, string count, string index)
    {
        var path = NewDatabase(version, B(Succeeded, 200), B(Running, 5), B(Pending, 5));
        var query = new HyperShellQuery(HyperShellDialect.Sqlite, "task", HyperShellTagFilter.Parse("site"), maxRetries: 2);
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        foreach (var sql in query.CountSql(Enum.Parse<HyperShellCount>(count), version == HyperShellSchemaVersion.Grouped))
        {
            var plan = Plan(connection, query, sql);
            Assert.Contains(plan, line => line.Contains("USING INDEX " + index, StringComparison.Ordinal));
            Assert.DoesNotContain(plan, line => line.StartsWith("SCAN task", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_group_walk_seeks_the_group_index_and_reads_only_unfinished_or_failed_rows()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped, B(Succeeded, 200), B(Running, 5), B(Pending, 5));
        var query = new HyperShellQuery(HyperShellDialect.Sqlite, "task", null, maxRetries: 2);
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();

        // The latest scheduled task: seeks of ("group", schedule_time), one per group, no scan of task.
        var latest = Plan(connection, query, query.LatestScheduledSql());
        Assert.Contains(latest, line => line.Contains("USING COVERING INDEX index_tasks_unscheduled", StringComparison.Ordinal));
        Assert.DoesNotContain(latest, line => line.StartsWith("SCAN task", StringComparison.Ordinal));
        Assert.DoesNotContain(latest, line => line.Contains("USING INDEX index_tasks_retries", StringComparison.Ordinal));

        foreach (var sql in Enum.GetValues<HyperShellGroupKind>().SelectMany(query.FirstGroupSql).Concat(query.FailedPastRetriesSql()))
        {
            var plan = Plan(connection, query, sql);
            Assert.Contains(plan, line => line.Contains("USING INDEX index_tasks_retries", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, line => line.StartsWith("SCAN task", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Issue 15: failures of the history were retried, so the failed-group and retryable reads seek
    /// (exit_status = one failing status, retried = 0) rather than walk the range exit_status > 0,
    /// which holds every failure ever made; the per-group reads seek ("group" = ?, schedule_time).
    /// </summary>
    [Fact]
    public void Failure_reads_seek_the_not_retried_rows_and_group_reads_seek_the_group()
    {
        var path = NewDatabase(HyperShellSchemaVersion.Grouped, B(Succeeded, 200), B(Running, 5), B(Pending, 5));
        var query = new HyperShellQuery(HyperShellDialect.Sqlite, "task", HyperShellTagFilter.Parse("site"), maxRetries: 2);
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();

        var failures = new[] { HyperShellGroupKind.Retryable, HyperShellGroupKind.FailedPastRetries }.SelectMany(query.FirstGroupSql)
            .Concat(query.FailedPastRetriesSql()).Concat(query.CountSql(HyperShellCount.Retryable, hasGroup: true))
            .Append(query.FirstGroupSql(HyperShellGroupKind.Unfinished)[1]);
        foreach (var sql in failures)
        {
            var plan = Plan(connection, query, sql);
            Assert.Contains(plan, line => line.Contains("USING INDEX index_tasks_retries (exit_status=? AND retried=?)", StringComparison.Ordinal));
            // Ranges of exit_status are only index-only seeks of min() (the loose scan of the statuses).
            Assert.DoesNotContain(plan, line => line.Contains("USING INDEX index_tasks_retries (exit_status>", StringComparison.Ordinal) || line.Contains("USING INDEX index_tasks_retries (exit_status<", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, line => line.StartsWith("SCAN task", StringComparison.Ordinal));
        }

        foreach (var sql in query.GroupUnfinishedSql().Append(query.GroupInFlightSql()).Append(query.GroupScheduledSql()))
        {
            var plan = Plan(connection, query, sql);
            Assert.Contains(plan, line => line.Contains("INDEX index_tasks_unscheduled (group=? AND schedule_time", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, line => line.StartsWith("SCAN task", StringComparison.Ordinal));
        }
    }

    private static List<string> Plan(SqliteConnection connection, HyperShellQuery query, string sql)
    {
        using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        query.AddParameters(explain, 1, 10);
        using var reader = explain.ExecuteReader();
        var plan = new List<string>();
        while (reader.Read())
        {
            plan.Add(reader.GetString(3));
        }

        return plan;
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, null, sql);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
