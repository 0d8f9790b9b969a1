using System.Diagnostics;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Autopilot.Tests.DemandSources.HyperShell;
using Npgsql;
using static Autopilot.DemandSources.HyperShell.HyperShellTaskState;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>The HyperShell demand source against the real PostgreSQL; each test builds its own schema.</summary>
public sealed class HyperShellPostgresTests : IAsyncLifetime
{
    private readonly List<string> schemas = [];
    private NpgsqlConnection admin = null!;

    public async Task InitializeAsync() => admin = await HyperShellPg.OpenAsync();

    public async Task DisposeAsync()
    {
        foreach (var schema in schemas)
        {
            await HyperShellTestDatabase.DropPostgresSchemaAsync(admin, schema);
        }

        await admin.DisposeAsync();
    }

    private async Task<string> NewSchemaAsync(HyperShellSchemaVersion version, params HyperShellTaskBatch[] batches) =>
        await NewSchemaAsync($"hs_test_{Guid.NewGuid():N}"[..24], version, batches);

    private async Task<string> NewSchemaAsync(string schema, HyperShellSchemaVersion version, params HyperShellTaskBatch[] batches)
    {
        schemas.Add(schema);
        await HyperShellTestDatabase.CreatePostgresAsync(admin, schema, version);
        await HyperShellTestDatabase.InsertPostgresAsync(admin, schema, batches);
        return schema;
    }

    private static HyperShellDemandSource Source(string schema, string? tag = null, int maxRetries = 0, Func<PostgresOptions, PostgresOptions>? change = null) =>
        new(new HyperShellOptions {
            Backend = "postgres",
            Postgres = (change ?? (o => o))(HyperShellPg.Options(schema)),
            Tag = tag,
            MaxRetries = maxRetries,
        });

    private static HyperShellTaskBatch B(HyperShellTaskState state, long count) => new(state, count);

    [Fact]
    public async Task Counts_pending_and_in_flight_and_never_cancelled()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Classic,
            B(Succeeded, 10), B(Failed, 5), B(Cancelled, 6), B(Running, 4), B(Scheduled, 2), B(Pending, 3));

        var demand = await Source(schema).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(9, demand.Tasks);
        Assert.False(demand.Saturated);
        Assert.Equal([new DemandMeasure("pending", 3), new DemandMeasure("in flight", 6)], demand.Measures);
    }

    [Fact]
    public async Task Retryable_failures_with_max_retries()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Classic,
            new HyperShellTaskBatch(Failed, 4) { Attempt = 1 },
            new HyperShellTaskBatch(Failed, 1) { Attempt = 1, ExitStatus = -9 },
            new HyperShellTaskBatch(Failed, 2) { Attempt = 3 },
            new HyperShellTaskBatch(Failed, 5) { Retried = true },
            B(Cancelled, 3),
            B(Pending, 1));

        var demand = await Source(schema, maxRetries: 2).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal(6, demand.Tasks);
        Assert.Equal(new DemandMeasure("retryable", 5), demand.Measures[^1]);
    }

    [Theory]
    [InlineData(null, 12)]
    [InlineData("site", 5)]
    [InlineData("site = a", 3)]
    [InlineData("site=b", 2)]
    [InlineData("prod", 4)]
    [InlineData("n = 1", 1)]
    [InlineData("flag = true", 1)]
    [InlineData("missing", 0)]
    public async Task Tag_filter_on_JSONB(string? tag, long expected)
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Classic,
            new HyperShellTaskBatch(Pending, 2) { Tag = """{"site": "a"}""" },
            new HyperShellTaskBatch(Running, 1) { Tag = """{"site": "a", "prod": ""}""" },
            new HyperShellTaskBatch(Pending, 2) { Tag = """{"site": "b"}""" },
            new HyperShellTaskBatch(Scheduled, 3) { Tag = """{"prod": ""}""" },
            new HyperShellTaskBatch(Pending, 1) { Tag = """{"n": 1}""" },
            new HyperShellTaskBatch(Pending, 1) { Tag = """{"flag": true}""" },
            new HyperShellTaskBatch(Pending, 2),
            new HyperShellTaskBatch(Succeeded, 4) { Tag = """{"site": "a", "prod": ""}""" });

        Assert.Equal(expected, (await Source(schema, tag).MeasureAsync(1000, CancellationToken.None)).Tasks);
    }

    [Fact]
    public async Task Grouped_schema_counts_the_active_group()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Grouped,
            new HyperShellTaskBatch(Succeeded, 20) { Group = 0 },
            new HyperShellTaskBatch(Scheduled, 3) { Group = 1 },
            new HyperShellTaskBatch(Pending, 4) { Group = 1 },
            new HyperShellTaskBatch(Pending, 9) { Group = 2 });

        var demand = await Source(schema).MeasureAsync(1000, CancellationToken.None);

        Assert.Equal([new DemandMeasure("active group", 1), new DemandMeasure("pending", 4), new DemandMeasure("in flight", 3)], demand.Measures);
    }

    [Theory]
    [MemberData(nameof(HyperShellGroupCases.Names), MemberType = typeof(HyperShellGroupCases))]
    public async Task Grouped_schema_follows_HyperShells_group_rule(string name)
    {
        var c = HyperShellGroupCases.Get(name);
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Grouped, c.Batches);

        var demand = await Source(schema, c.Tag, c.MaxRetries).MeasureAsync(1000, CancellationToken.None);

        c.Check(demand);
    }

    /// <summary>Issue 15: the same rule read group by group (as with many unfinished tasks in other groups).</summary>
    [Theory]
    [MemberData(nameof(HyperShellGroupCases.Names), MemberType = typeof(HyperShellGroupCases))]
    public async Task Grouped_schema_follows_HyperShells_group_rule_asking_group_by_group(string name)
    {
        var c = HyperShellGroupCases.Get(name);
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Grouped, c.Batches);
        var source = new HyperShellDemandSource(new HyperShellOptions {
            Backend = "postgres",
            Postgres = HyperShellPg.Options(schema),
            Tag = c.Tag,
            MaxRetries = c.MaxRetries,
        })
        { ManyUnfinished = 0 };

        c.Check(await source.MeasureAsync(1000, CancellationToken.None));
    }

    [Fact]
    public async Task More_groups_than_the_walk_reads_is_an_error_not_a_guess()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Grouped,
            Enumerable.Range(0, HyperShellQuery.MaxGroups + 1).Select(g => new HyperShellTaskBatch(Pending, 1) { Group = g }).ToArray());

        var error = await Assert.ThrowsAsync<DemandException>(() => Source(schema).MeasureAsync(1000, CancellationToken.None));

        Assert.Contains($"schema '{schema}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"more than {HyperShellQuery.MaxGroups} distinct groups", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_group_walk_uses_only_index_scans()
    {
        // A history of finished groups, a busy current group, and many pending tasks in a later one.
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Grouped,
            new HyperShellTaskBatch(Succeeded, 5000) { Group = 0 },
            new HyperShellTaskBatch(Failed, 20) { Group = 0, Retried = true },
            new HyperShellTaskBatch(Succeeded, 3000) { Group = 1 },
            new HyperShellTaskBatch(Running, 10) { Group = 1 },
            new HyperShellTaskBatch(Pending, 2000) { Group = 2 });
        await using (var analyze = new NpgsqlCommand($"ANALYZE {Autopilot.Postgres.PostgresConnection.QuoteIdentifier(schema)}.task", admin))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        var query = new HyperShellQuery(HyperShellDialect.Postgres, $"{Autopilot.Postgres.PostgresConnection.QuoteIdentifier(schema)}.task", null, maxRetries: 1);
        await using var connection = await HyperShellPg.OpenAsync();
        await using (var settings = new NpgsqlCommand("SET enable_seqscan = off; SET enable_bitmapscan = off; SET jit = off; SET max_parallel_workers_per_gather = 0", connection))
        {
            await settings.ExecuteNonQueryAsync();
        }

        var statements = new[] { query.LatestScheduledSql() }
            .Concat(Enum.GetValues<HyperShellGroupKind>().SelectMany(query.FirstGroupSql))
            .Concat(query.FailedPastRetriesSql());
        foreach (var sql in statements)
        {
            await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, connection);
            query.AddParameters(explain, 1, 10);
            using var doc = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);
            var nodes = Nodes(doc.RootElement[0].GetProperty("Plan")).ToList();
            Assert.DoesNotContain(nodes, n => n.GetProperty("Node Type").GetString() is "Seq Scan" or "Bitmap Heap Scan");
            Assert.Contains(nodes, n => n.GetProperty("Node Type").GetString() is "Index Scan" or "Index Only Scan" or "Index Scan Backward");

            // Never the finished history (8,000 rows): at most the unfinished and failed ones; the
            // latest scheduled task a few index entries per group (the 2,000 NULL schedule_times
            // of group 2 are skipped by the backward scan's IS NOT NULL bound).
            var examined = nodes.Where(n => n.TryGetProperty("Index Name", out _))
                .Sum(n => (long)(n.GetProperty("Actual Rows").GetDouble() * n.GetProperty("Actual Loops").GetDouble())
                          + (n.TryGetProperty("Rows Removed by Filter", out var removed) ? (long)removed.GetDouble() : 0));
            Assert.True(examined <= (sql == query.LatestScheduledSql() ? 20 : 2100), $"{examined} rows examined by: {sql}");
        }
    }

    /// <summary>
    /// Issue 15: the failed-group, retryable and unfinished reads of the group walk examine the same
    /// rows whether the history holds 10 or 3,000 retried failures (the old exit_status ranges read
    /// every failure of the history); PostgreSQL's own row counts, no clock.
    /// </summary>
    [Fact]
    public async Task The_group_walk_reads_no_more_rows_for_a_longer_failure_history()
    {
        async Task<long> ExaminedAsync(int failures)
        {
            var schema = await NewSchemaAsync(HyperShellSchemaVersion.Grouped,
                new HyperShellTaskBatch(Succeeded, 3000) { Group = 0 },
                new HyperShellTaskBatch(Failed, failures) { Group = 0, Retried = true },
                new HyperShellTaskBatch(Failed, 1) { Group = 1, Attempt = 2 },
                new HyperShellTaskBatch(Running, 5) { Group = 1 },
                new HyperShellTaskBatch(Pending, 50) { Group = 2 });
            var query = new HyperShellQuery(HyperShellDialect.Postgres, $"{Autopilot.Postgres.PostgresConnection.QuoteIdentifier(schema)}.task", null, maxRetries: 1);
            await using var connection = await HyperShellPg.OpenAsync();
            await using (var settings = new NpgsqlCommand("SET enable_seqscan = off; SET enable_bitmapscan = off; SET jit = off; SET max_parallel_workers_per_gather = 0", connection))
            {
                await settings.ExecuteNonQueryAsync();
            }

            var examined = 0L;
            foreach (var sql in Enum.GetValues<HyperShellGroupKind>().SelectMany(query.FirstGroupSql).Concat(query.FailedPastRetriesSql()).Concat(query.CountSql(HyperShellCount.Retryable, hasGroup: true)))
            {
                await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, connection);
                query.AddParameters(explain, 1, 1000);
                using var doc = System.Text.Json.JsonDocument.Parse((string)(await explain.ExecuteScalarAsync())!);
                examined += Nodes(doc.RootElement[0].GetProperty("Plan")).Where(n => n.TryGetProperty("Index Name", out _))
                    .Sum(n => (long)(n.GetProperty("Actual Rows").GetDouble() * n.GetProperty("Actual Loops").GetDouble())
                              + (n.TryGetProperty("Rows Removed by Filter", out var removed) ? (long)removed.GetDouble() : 0));
            }

            return examined;
        }

        var few = await ExaminedAsync(10);
        var many = await ExaminedAsync(3000);
        Assert.True(many == few, $"rows examined: {few} with 10 failures in the history, {many} with 3,000");
    }

    private static IEnumerable<System.Text.Json.JsonElement> Nodes(System.Text.Json.JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray().SelectMany(Nodes))
            {
                yield return child;
            }
        }
    }

    [Fact]
    public async Task Counting_stops_at_the_saturation_point()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Classic, B(Pending, 100), B(Running, 50));

        var demand = await Source(schema).MeasureAsync(120, CancellationToken.None);

        Assert.Equal(120, demand.Tasks);
        Assert.True(demand.Saturated);
    }

    [Fact]
    public async Task The_schema_option_selects_the_schema_and_odd_names_are_quoted()
    {
        var plain = await NewSchemaAsync(HyperShellSchemaVersion.Classic, B(Pending, 2));
        var odd = await NewSchemaAsync($"Hs \"odd\"; {Guid.NewGuid():N}"[..20], HyperShellSchemaVersion.Classic, B(Pending, 7));

        Assert.Equal(2, (await Source(plain).MeasureAsync(1000, CancellationToken.None)).Tasks);
        Assert.Equal(7, (await Source(odd).MeasureAsync(1000, CancellationToken.None)).Tasks);
    }

    [Fact]
    public async Task A_schema_without_a_task_table_is_an_error()
    {
        var error = await Assert.ThrowsAsync<DemandException>(() => Source("no_such_schema").MeasureAsync(10, CancellationToken.None));

        Assert.Contains("no table 'task'", error.Message);
        Assert.Contains($"{HyperShellPg.Host}:{HyperShellPg.Port}/{HyperShellPg.Database}", error.Message);
    }

    [Fact]
    public async Task A_wrong_password_is_a_clear_error_without_the_password()
    {
        const string variable = "AUTOPILOT_TEST_HS_WRONG_PASSWORD";
        var wrong = "wrong-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, wrong);
        try
        {
            var source = Source("public", change: o => o with { PasswordFile = null, PasswordEnv = variable });

            var error = await Assert.ThrowsAsync<DemandException>(() => source.MeasureAsync(10, CancellationToken.None));

            Assert.Contains("authentication failed", error.Message);
            Assert.DoesNotContain(wrong, error.ToString());
            Assert.DoesNotContain(wrong, source.Describe());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task An_unreachable_port_is_an_error_within_the_connect_timeout()
    {
        var source = Source("public", change: o => o with { Port = 1, ConnectTimeout = TimeSpan.FromSeconds(3) });
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DemandException>(() => source.MeasureAsync(10, CancellationToken.None));

        Assert.Contains($"{HyperShellPg.Host}:1/", error.Message);
        Assert.Contains("cannot connect", error.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_locked_table_ends_at_the_statement_timeout()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Classic, B(Pending, 2));
        await using var locker = await HyperShellPg.OpenAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand($"LOCK TABLE {Autopilot.Postgres.PostgresConnection.QuoteIdentifier(schema)}.task IN ACCESS EXCLUSIVE MODE", locker, transaction))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var source = Source(schema, change: o => o with { StatementTimeout = TimeSpan.FromSeconds(1) });
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<DemandException>(() => source.MeasureAsync(10, CancellationToken.None));

        Assert.Contains("statement timeout", error.Message);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(6));
        await transaction.RollbackAsync();
    }

    [Fact]
    public async Task Five_hundred_measurements_leave_no_connection_behind()
    {
        var schema = await NewSchemaAsync(HyperShellSchemaVersion.Classic, B(Pending, 5), B(Running, 5), B(Succeeded, 50));
        var name = $"autopilot-leak-{Guid.NewGuid():N}"[..30];
        var source = new HyperShellDemandSource(new HyperShellOptions { Backend = "postgres", Postgres = HyperShellPg.Options(schema) })
        {
            ApplicationName = name,
        };
        var seen = new List<long>();

        for (var i = 1; i <= 500; i++)
        {
            Assert.Equal(10, (await source.MeasureAsync(100, CancellationToken.None)).Tasks);
            if (i % 100 == 0)
            {
                seen.Add(await SessionsAsync(name));
            }
        }

        // A closed session leaves pg_stat_activity as soon as its backend exits; give it a moment.
        var after = await SessionsAsync(name);
        for (var wait = 0; after > 0 && wait < 50; wait++)
        {
            await Task.Delay(100);
            after = await SessionsAsync(name);
        }

        Assert.All(seen, count => Assert.InRange(count, 0, 1));
        Assert.Equal(0, after);
    }

    private Task<long> SessionsAsync(string applicationName) =>
        HyperShellPg.ScalarAsync(admin, "SELECT count(*) FROM pg_stat_activity WHERE application_name = @name", ("name", applicationName));
}
