using System.Diagnostics;
using System.Globalization;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Npgsql;
using Xunit.Abstractions;
using static Autopilot.DemandSources.HyperShell.HyperShellTaskState;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>
/// Bounded counting on PostgreSQL: a 10,000,000-row task table is counted reading about the rows a
/// 10,000-row one needs. Both tables are generated once (schemas hs_big and hs_small, marked complete
/// by a schema comment) and reused by later runs; the first run takes minutes, later ones seconds.
/// </summary>
public sealed class HyperShellPostgresScaleTests(ITestOutputHelper output)
{
    private const long Saturation = 2000;

    /// <summary>
    /// History first (finished work), then in flight, then pending at the end, as a HyperShell
    /// table grows. Both tables hold more pending tasks than the saturation point, so both counts
    /// do the same work and only the size of the history differs.
    /// </summary>
    private static HyperShellTaskBatch[] Big() =>
    [
        new(Succeeded, 9_000_000),
        new(Failed, 300_000) { Retried = true },
        new(Cancelled, 100_000),
        new(Running, 100_000),
        new(Pending, 500_000),
    ];

    private static HyperShellTaskBatch[] Small() =>
    [
        new(Succeeded, 4_000),
        new(Failed, 300) { Retried = true },
        new(Cancelled, 100),
        new(Running, 100),
        new(Pending, 5_500),
    ];

    /// <summary>
    /// "Costs about what a 10k table does", checked without a clock: PostgreSQL's own count of the
    /// rows each count query examines (returned + removed by filters, from EXPLAIN ANALYZE) on the
    /// 10M-row table stays within 2x of the 10k-row table. Timings are printed for the record
    /// (docs/performance.md has the benchmark figures), never asserted.
    /// </summary>
    [Fact]
    public async Task Ten_million_rows_are_counted_reading_no_more_than_twice_the_rows_of_ten_thousand()
    {
        await using var admin = await HyperShellPg.OpenAsync();
        await EnsureAsync(admin, "hs_small", Small());           // 10,000 rows
        await EnsureAsync(admin, "hs_big", Big());               // 10,000,000 rows

        var small = Source("hs_small");
        var big = Source("hs_big");
        var smallDemand = await small.MeasureAsync(Saturation, CancellationToken.None);
        var bigDemand = await big.MeasureAsync(Saturation, CancellationToken.None);
        Assert.Equal(Saturation, smallDemand.Tasks);            // 5,500 pending: stops at 2,000
        Assert.True(smallDemand.Saturated);
        Assert.Equal(Saturation, bigDemand.Tasks);              // 500,000 pending: stops at 2,000
        Assert.True(bigDemand.Saturated);

        foreach (var maxRetries in new[] { 0, 2 })
        {
            var smallRows = await RowsExaminedAsync("hs_small", maxRetries);
            var bigRows = await RowsExaminedAsync("hs_big", maxRetries);
            output.WriteLine(FormattableString.Invariant($"max_retries {maxRetries}: rows examined 10k table {smallRows}, 10M table {bigRows}"));
            Assert.True(bigRows <= 2 * smallRows + 10, FormattableString.Invariant($"max_retries {maxRetries}: the 10M-row table examined {bigRows} rows against {smallRows} for 10k rows"));
            Assert.True(bigRows <= 4 * Saturation, FormattableString.Invariant($"max_retries {maxRetries}: {bigRows} rows examined for a saturation of {Saturation}"));
        }

        // For the record only: whole measurements, interleaved so drift hits both.
        var smallTimes = new List<double>();
        var bigTimes = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            smallTimes.Add(await TimeAsync(() => small.MeasureAsync(Saturation, CancellationToken.None)));
            bigTimes.Add(await TimeAsync(() => big.MeasureAsync(Saturation, CancellationToken.None)));
        }

        output.WriteLine(FormattableString.Invariant($"measurement median (not asserted): 10k rows {Median(smallTimes):0.00} ms, 10M rows {Median(bigTimes):0.00} ms"));
    }

    /// <summary>Rows the index scans of every count query touched: returned plus removed by a filter.</summary>
    private static async Task<long> RowsExaminedAsync(string schema, int maxRetries)
    {
        await using var connection = await OpenLikeTheSourceAsync();
        var query = new HyperShellQuery(HyperShellDialect.Postgres, $"\"{schema}\".task", null, maxRetries);
        long total = 0;
        foreach (var sql in Enum.GetValues<HyperShellCount>().SelectMany(c => query.CountSql(c, hasGroup: false)))
        {
            await using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN (ANALYZE, FORMAT JSON) " + sql;
            query.AddParameters(explain, null, Saturation);
            var json = (string)(await explain.ExecuteScalarAsync())!;
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            total += Examined(doc.RootElement[0].GetProperty("Plan"));
        }

        return total;
    }

    private static long Examined(System.Text.Json.JsonElement node)
    {
        long rows = 0;
        var type = node.GetProperty("Node Type").GetString() ?? "";
        if (type.Contains("Scan", StringComparison.Ordinal))
        {
            var loops = node.TryGetProperty("Actual Loops", out var l) ? l.GetInt64() : 1;
            rows += (long)(node.GetProperty("Actual Rows").GetDouble() * loops);
            if (node.TryGetProperty("Rows Removed by Filter", out var removed))
            {
                rows += (long)removed.GetDouble();
            }
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                rows += Examined(child);
            }
        }

        return rows;
    }

    [Fact]
    public async Task No_count_on_the_ten_million_row_table_scans_it()
    {
        await using var admin = await HyperShellPg.OpenAsync();
        await EnsureAsync(admin, "hs_big", Big());
        await using var connection = await OpenLikeTheSourceAsync();
        var query = new HyperShellQuery(HyperShellDialect.Postgres, "\"hs_big\".task", HyperShellTagFilter.Parse("site"), maxRetries: 2);

        foreach (var (count, sql) in Enum.GetValues<HyperShellCount>().SelectMany(c => query.CountSql(c, hasGroup: false).Select(q => (c, q))))
        {
            await using var explain = connection.CreateCommand();
            explain.CommandText = "EXPLAIN " + sql;
            query.AddParameters(explain, null, Saturation);
            var plan = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    plan.Add(reader.GetString(0));
                }
            }

            output.WriteLine($"{count}:\n  {string.Join("\n  ", plan)}");
            Assert.DoesNotContain(plan, line => line.Contains("Seq Scan", StringComparison.Ordinal));
            // Only indexes whose range is unfinished work; no parallel workers or JIT to start.
            Assert.DoesNotContain(plan, line => line.Contains("task_client_completed_index", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, line => line.Contains("Gather", StringComparison.Ordinal) || line.Contains("JIT", StringComparison.Ordinal) || line.Contains("Bitmap", StringComparison.Ordinal));
            var expected = count == HyperShellCount.Pending ? "task_scheduled_index" : "task_retries_index";
            Assert.Contains(plan, line => line.Contains("Index Scan using " + expected, StringComparison.Ordinal));
            Assert.Contains(plan, line => line.Contains("Index", StringComparison.Ordinal));
        }
    }

    private static HyperShellDemandSource Source(string schema) =>
        new(new HyperShellOptions { Backend = "postgres", Postgres = HyperShellPg.Options(schema) });

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>A connection with the session settings the demand source uses.</summary>
    private static async Task<NpgsqlConnection> OpenLikeTheSourceAsync()
    {
        var connection = await HyperShellPg.OpenAsync();
        await using var set = new NpgsqlCommand("SET enable_seqscan = off; SET enable_bitmapscan = off; SET default_transaction_read_only = on; SET jit = off; SET max_parallel_workers_per_gather = 0", connection);
        await set.ExecuteNonQueryAsync();
        return connection;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>Builds the table unless a complete one with the right row count is there.</summary>
    private async Task EnsureAsync(NpgsqlConnection admin, string schema, HyperShellTaskBatch[] batches)
    {
        var rows = batches.Sum(b => b.Count);
        var marker = "autopilot hypershell test table v1: " + string.Join(", ", batches.Select(b => $"{b.State} {b.Count}{(b.Retried ? " retried" : "")}"));
        var comment = await Comment(admin, schema);
        if (comment == marker)
        {
            output.WriteLine($"{schema}: reusing {rows:N0} rows");
            return;
        }

        var watch = Stopwatch.StartNew();
        await HyperShellTestDatabase.DropPostgresSchemaAsync(admin, schema);
        await HyperShellTestDatabase.CreatePostgresAsync(admin, schema, indexes: false);
        await HyperShellTestDatabase.InsertPostgresAsync(admin, schema, batches);
        var inserted = watch.Elapsed;
        await using (var memory = new NpgsqlCommand("SET maintenance_work_mem = '512MB'", admin))
        {
            await memory.ExecuteNonQueryAsync();
        }

        await HyperShellTestDatabase.CreatePostgresIndexesAsync(admin, schema);
        // Fresh statistics and visibility map, as a table HyperShell has used for a while would have.
        await using (var vacuum = new NpgsqlCommand($"VACUUM ANALYZE \"{schema}\".task", admin))
        {
            vacuum.CommandTimeout = 600;
            await vacuum.ExecuteNonQueryAsync();
        }
        var counted = await HyperShellPg.ScalarAsync(admin, $"SELECT count(*) FROM \"{schema}\".task");
        Assert.Equal(rows, counted);
        await using (var mark = new NpgsqlCommand($"COMMENT ON SCHEMA \"{schema}\" IS '{marker}'", admin))
        {
            await mark.ExecuteNonQueryAsync();
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{schema}: generated {rows:N0} rows in {watch.Elapsed.TotalSeconds:0.0} s (insert {inserted.TotalSeconds:0.0} s, indexes {(watch.Elapsed - inserted).TotalSeconds:0.0} s)"));
    }

    private static async Task<string?> Comment(NpgsqlConnection admin, string schema)
    {
        await using var command = new NpgsqlCommand("SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = @schema", admin);
        command.Parameters.AddWithValue("schema", schema);
        return await command.ExecuteScalarAsync() as string;
    }
}
