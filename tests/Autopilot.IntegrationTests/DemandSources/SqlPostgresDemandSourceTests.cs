using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Domain;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Npgsql;
using Microsoft.Extensions.Logging.Abstractions;
using Autopilot.DemandSources.Sql;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>A queue table of our own in the real PostgreSQL, dropped afterwards.</summary>
public sealed class SqlQueueTableFixture : IAsyncLifetime
{
    public const int Queued = 7;

    public string Table { get; } = TestServices.UniqueName("apit_queue_");

    public async Task InitializeAsync()
    {
        await using var connection = await TestServices.OpenPostgresAsync(CancellationToken.None);
        await using var create = new NpgsqlCommand(
            $"CREATE TABLE {Table} (id serial PRIMARY KEY, state text NOT NULL);"
            + $"INSERT INTO {Table} (state) SELECT 'queued' FROM generate_series(1, {Queued});"
            + $"INSERT INTO {Table} (state) SELECT 'done' FROM generate_series(1, 3);",
            connection);
        await create.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await using var connection = await TestServices.OpenPostgresAsync(CancellationToken.None);
        await using var drop = new NpgsqlCommand($"DROP TABLE IF EXISTS {Table}", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task<long> RowsAsync()
    {
        await using var connection = await TestServices.OpenPostgresAsync(CancellationToken.None);
        await using var count = new NpgsqlCommand($"SELECT count(*) FROM {Table}", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}

/// <summary>The SQL source on the real PostgreSQL started by tests/infra/start-postgres.sh.</summary>
public sealed class SqlPostgresDemandSourceTests(SqlQueueTableFixture table) : IClassFixture<SqlQueueTableFixture>
{
    private static string Password => File.ReadAllText(TestServices.PgPasswordFile).Trim();

    private SqlOptions Options(string query, long threshold = 0, double timeoutSeconds = 10, string? passwordFile = null) => new()
    {
        Backend = "postgres",
        Query = query,
        ActivationThreshold = threshold,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        Postgres = new PostgresOptions
        {
            Host = TestServices.PgHost,
            Port = TestServices.PgPort,
            Database = TestServices.PgDatabase,
            User = TestServices.PgUser,
            PasswordFile = passwordFile ?? TestServices.PgPasswordFile,
            SslMode = "disable",
        },
    };

    private static Task<Demand> Measure(SqlOptions options) =>
        DemandSourceFactory.Create(options, new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System)
            .MeasureAsync(long.MaxValue, CancellationToken.None);

    private static async Task<DemandException> Fails(SqlOptions options)
    {
        var ex = await Assert.ThrowsAsync<DemandException>(() => Measure(options));
        Assert.DoesNotContain(Password, ex.ToString());
        return ex;
    }

    private string CountQueued => $"SELECT count(*) FROM {table.Table} WHERE state = 'queued'";

    [Fact]
    public async Task A_count_is_the_demand()
    {
        var demand = await Measure(Options(CountQueued));

        Assert.Equal(SqlQueueTableFixture.Queued, demand.Tasks);
        Assert.Equal(
            new[] { new DemandMeasure("query", SqlQueueTableFixture.Queued), new DemandMeasure("activation_threshold", 0) },
            demand.Measures);
    }

    [Fact]
    public async Task Below_the_activation_threshold_there_is_no_demand()
    {
        var below = await Measure(Options(CountQueued, threshold: SqlQueueTableFixture.Queued + 1));
        var at = await Measure(Options(CountQueued, threshold: SqlQueueTableFixture.Queued));

        Assert.Equal(0, below.Tasks);
        Assert.Equal(new DemandMeasure("query", SqlQueueTableFixture.Queued), below.Measures[0]);
        Assert.Equal(new DemandMeasure("activation_threshold", SqlQueueTableFixture.Queued + 1), below.Measures[1]);
        Assert.Equal(SqlQueueTableFixture.Queued, at.Tasks);
    }

    [Theory]
    [InlineData("DELETE FROM {0}")]
    [InlineData("INSERT INTO {0} (state) VALUES ('queued')")]
    [InlineData("WITH gone AS (DELETE FROM {0} RETURNING 1) SELECT count(*) FROM gone")]
    [InlineData("SELECT 1; DELETE FROM {0}")]
    [InlineData("COMMIT; DELETE FROM {0}")]
    public async Task A_query_that_writes_is_refused(string template)
    {
        var ex = await Fails(Options(string.Format(System.Globalization.CultureInfo.InvariantCulture, template, table.Table)));

        Assert.Contains("tried to write", ex.Message);
        Assert.Contains("read-only transaction", ex.Message);
        Assert.Equal(SqlQueueTableFixture.Queued + 3, await table.RowsAsync());
    }

    [Fact]
    public async Task A_query_past_its_timeout_is_cancelled()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Fails(Options("SELECT pg_sleep(5)", timeoutSeconds: 1));

        Assert.Contains("ran past its timeout of 1 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("SELECT NULL::bigint", "returned NULL")]
    [InlineData("SELECT 'many'", "returned text 'many'")]
    [InlineData("SELECT -3", "negative number (-3)")]
    [InlineData("SELECT 1, 2", "returned 2 columns")]
    [InlineData("SELECT 1 WHERE false", "returned no rows")]
    [InlineData("SELECT generate_series(1, 2)", "more than one row")]
    [InlineData("SELECT true", "boolean")]
    [InlineData("SELECT count(*) FROM no_such_table_here", "42P01")]
    public async Task Anything_but_one_non_negative_number_is_an_error(string query, string expected)
    {
        var ex = await Fails(Options(query));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task A_numeric_fraction_rounds_up()
    {
        Assert.Equal(3, (await Measure(Options("SELECT 2.5::numeric"))).Tasks);
    }

    [Fact]
    public async Task A_wrong_password_is_a_login_error_without_the_password()
    {
        const string wrong = "not-the-pg-password-51c2";
        var file = Path.Combine(Path.GetTempPath(), $"apit-sql-{Guid.NewGuid():N}.pass");
        File.WriteAllText(file, wrong);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        try
        {
            var ex = await Fails(Options(CountQueued, passwordFile: file));

            Assert.Contains($"refused the login of user '{TestServices.PgUser}'", ex.Message);
            Assert.DoesNotContain(wrong, ex.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task No_connection_stays_open_after_a_measurement()
    {
        await Measure(Options(CountQueued));
        await Fails(Options("SELECT pg_sleep(5)", timeoutSeconds: 1));

        await using var connection = await TestServices.OpenPostgresAsync(CancellationToken.None);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'autopilot-demand'", connection);
        await TestServices.WaitUntilAsync(
            async () => (long)(await count.ExecuteScalarAsync())! == 0,
            TimeSpan.FromSeconds(5),
            "no autopilot-demand session left in pg_stat_activity");
    }
}
