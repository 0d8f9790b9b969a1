using Autopilot.DemandSources.HyperShell;
using Microsoft.Data.Sqlite;

namespace Autopilot.Tests.DemandSources.HyperShell;

/// <summary>
/// The benchmark scripts (tests/bench) build HyperShell databases with sqlite3 from two SQL files;
/// they must make exactly the tables and indexes HyperShellTestDatabase makes.
/// </summary>
public sealed class BenchSchemaTests
{
    [Fact]
    public void The_bench_sql_files_make_the_same_schema_as_the_test_database()
    {
        var dir = Directory.CreateTempSubdirectory("autopilot-bench-schema-").FullName;
        var reference = Path.Combine(dir, "reference.db");
        HyperShellTestDatabase.CreateSqlite(reference, HyperShellSchemaVersion.Classic);
        var bench = Path.Combine(dir, "bench.db");
        var sqlDir = Path.Combine(SourcesTestPaths.Repo, "tests", "bench");
        Execute(bench, File.ReadAllText(Path.Combine(sqlDir, "hypershell-classic-tables.sql")));
        Execute(bench, File.ReadAllText(Path.Combine(sqlDir, "hypershell-classic-indexes.sql")));

        Assert.Equal(Schema(reference), Schema(bench));
        Assert.Contains(Schema(bench), s => s.StartsWith("index task_scheduled_index", StringComparison.Ordinal));
        Directory.Delete(dir, recursive: true);
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Each object as "type name: its SQL with white space folded".</summary>
    private static List<string> Schema(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            var sql = string.Join(' ', reader.GetString(2).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            rows.Add($"{reader.GetString(0)} {reader.GetString(1)}: {sql}");
        }

        return rows;
    }
}
