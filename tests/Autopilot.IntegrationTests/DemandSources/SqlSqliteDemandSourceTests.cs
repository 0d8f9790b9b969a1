using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Domain;
using Autopilot.Processes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Autopilot.DemandSources.Sql;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>The SQL source on a real SQLite file.</summary>
public sealed class SqlSqliteDemandSourceTests : IDisposable
{
    private const int Queued = 6;
    private readonly string _dir = Directory.CreateTempSubdirectory("apit-sql-sqlite-").FullName;
    private readonly string _file;

    public SqlSqliteDemandSourceTests()
    {
        _file = Path.Combine(_dir, "queue.db");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file, Pooling = false }.ConnectionString);
        connection.Open();
        using var create = connection.CreateCommand();
        create.CommandText = "CREATE TABLE queue (id INTEGER PRIMARY KEY, state TEXT NOT NULL);"
            + $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {Queued}) INSERT INTO queue (state) SELECT 'queued' FROM n;"
            + "INSERT INTO queue (state) VALUES ('done'), ('done');";
        create.ExecuteNonQuery();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SqlOptions Options(string query, long threshold = 0, double timeoutSeconds = 10, string? path = null) => new()
    {
        Backend = "sqlite",
        Path = path ?? _file,
        Query = query,
        ActivationThreshold = threshold,
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
    };

    private static Task<Demand> Measure(SqlOptions options) =>
        DemandSourceFactory.Create(options, new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System)
            .MeasureAsync(long.MaxValue, CancellationToken.None);

    private long Rows()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _file, Pooling = false }.ConnectionString);
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM queue";
        return (long)count.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_count_is_the_demand()
    {
        var demand = await Measure(Options("SELECT count(*) FROM queue WHERE state = 'queued'"));

        Assert.Equal(Queued, demand.Tasks);
        Assert.Equal(new[] { new DemandMeasure("query", Queued), new DemandMeasure("activation_threshold", 0) }, demand.Measures);
    }

    [Fact]
    public async Task Below_the_activation_threshold_there_is_no_demand()
    {
        var demand = await Measure(Options("SELECT count(*) FROM queue WHERE state = 'queued'", threshold: 10));

        Assert.Equal(0, demand.Tasks);
        Assert.Equal(new DemandMeasure("query", Queued), demand.Measures[0]);
    }

    [Theory]
    [InlineData("DELETE FROM queue")]
    [InlineData("INSERT INTO queue (state) VALUES ('queued')")]
    [InlineData("SELECT 1; DELETE FROM queue")]
    public async Task A_query_that_writes_is_refused(string query)
    {
        var ex = await Assert.ThrowsAsync<DemandException>(() => Measure(Options(query)));

        Assert.Contains("tried to write", ex.Message);
        Assert.Equal(Queued + 2, Rows());
    }

    [Fact]
    public async Task A_query_past_its_timeout_is_interrupted()
    {
        const string endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000000000) SELECT count(*) FROM n";

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<DemandException>(() => Measure(Options(endless, timeoutSeconds: 1)));

        Assert.Contains("ran past its timeout of 1 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("SELECT NULL", "returned NULL")]
    [InlineData("SELECT '12'", "returned text '12'")]
    [InlineData("SELECT -1", "negative number (-1)")]
    [InlineData("SELECT 1, 2", "returned 2 columns")]
    [InlineData("SELECT id FROM queue WHERE 0", "returned no rows")]
    [InlineData("SELECT id FROM queue", "more than one row")]
    [InlineData("SELECT x'00'", "blob")]
    [InlineData("SELECT count(*) FROM nope", "no such table: nope")]
    public async Task Anything_but_one_non_negative_number_is_an_error(string query, string expected)
    {
        var ex = await Assert.ThrowsAsync<DemandException>(() => Measure(Options(query)));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task A_missing_file_is_an_error_and_is_not_created()
    {
        var missing = Path.Combine(_dir, "missing.db");

        var ex = await Assert.ThrowsAsync<DemandException>(() => Measure(Options("SELECT 1", path: missing)));

        Assert.Contains("does not exist", ex.Message);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void Describe_names_the_file()
    {
        var source = DemandSourceFactory.Create(Options("SELECT 1"), new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

        Assert.Equal($"sql sqlite {_file}", source.Describe());
    }
}
