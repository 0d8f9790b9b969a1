using System.CommandLine;
using System.Globalization;
using Autopilot.Cli;
using Autopilot.DemandSources.HyperShell;
using Microsoft.Data.Sqlite;

namespace Autopilot.Tests.Operations;

/// <summary>Tests that put fake commands on PATH run alone: PATH is one per process.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PathCollection
{
    public const string Name = "Operations: PATH";
}

/// <summary>A task row for <see cref="OpsTestSupport.InsertTasks"/>; null columns stay NULL.</summary>
internal sealed record TaskRow(string Id, string Args)
{
    public DateTimeOffset Submitted { get; init; } = OpsTestSupport.T0;
    public DateTimeOffset? Scheduled { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Completed { get; init; }
    public int? ExitStatus { get; init; }
    public int Attempt { get; init; } = 1;
    public string? ClientHost { get; init; }
    public string? Outpath { get; init; }
    public string? Errpath { get; init; }
    public long? Waited { get; init; }
    public long? Duration { get; init; }
}

internal static class OpsTestSupport
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    public static string Repo { get; } = FindRepo();

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autopilot-ops-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs the CLI in-process, as `autopilot args...`.</summary>
    public static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CommandCatalog.BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>A HyperShell SQLite database (HyperShell's own schema) holding exactly these tasks.</summary>
    public static string CreateDatabase(string dir, params TaskRow[] rows)
    {
        var path = Path.Combine(dir, "main.db");
        HyperShellTestDatabase.CreateSqlite(path);
        InsertTasks(path, rows);
        return path;
    }

    public static void InsertTasks(string path, params TaskRow[] rows)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        foreach (var r in rows)
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO task (id, args, submit_id, submit_time, submit_host, server_id, server_host, schedule_time,
                  client_id, client_host, command, start_time, completion_time, exit_status, outpath, errpath,
                  attempt, retried, waited, duration, previous_id, next_id, tag)
                VALUES ($id, $args, '00000000-0000-0000-0000-000000000000', $submit, 'submit-host', NULL, NULL, $schedule,
                  NULL, $client, $command, $start, $completion, $exit, $out, $err, $attempt, 0, $waited, $duration, NULL, NULL, '{}')
                """;
            command.Parameters.AddWithValue("$id", r.Id);
            command.Parameters.AddWithValue("$args", r.Args);
            command.Parameters.AddWithValue("$submit", Time(r.Submitted));
            command.Parameters.AddWithValue("$schedule", Time(r.Scheduled));
            command.Parameters.AddWithValue("$client", (object?)r.ClientHost ?? DBNull.Value);
            command.Parameters.AddWithValue("$command", r.Started is null ? DBNull.Value : r.Args);
            command.Parameters.AddWithValue("$start", Time(r.Started));
            command.Parameters.AddWithValue("$completion", Time(r.Completed));
            command.Parameters.AddWithValue("$exit", (object?)r.ExitStatus ?? DBNull.Value);
            command.Parameters.AddWithValue("$out", (object?)r.Outpath ?? DBNull.Value);
            command.Parameters.AddWithValue("$err", (object?)r.Errpath ?? DBNull.Value);
            command.Parameters.AddWithValue("$attempt", r.Attempt);
            command.Parameters.AddWithValue("$waited", (object?)r.Waited ?? DBNull.Value);
            command.Parameters.AddWithValue("$duration", (object?)r.Duration ?? DBNull.Value);
            command.ExecuteNonQuery();
        }
    }

    public static void Execute(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>SQLAlchemy's SQLite DATETIME text, as HyperShell writes it: local clock time, no offset.</summary>
    public static object Time(DateTimeOffset? t) =>
        t is { } v ? v.ToLocalTime().DateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) : DBNull.Value;

    /// <summary>
    /// dir/autopilot.toml with one HyperShell pool "main" reading <paramref name="db"/> (no log file);
    /// <paramref name="extra"/> (more TOML, e.g. a [pool.logs] table) is appended.
    /// </summary>
    public static string WriteHyperShellConfig(string dir, string db, string extra = "")
    {
        var path = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(path, $"""
            state_dir = "{dir}/state"
            [log]
            file = false
            [[pool]]
            name = "main"
            [pool.demand]
            kind = "hypershell"
            path = "{db}"

            """ + extra);
        return path;
    }

    /// <summary>An executable bash script.</summary>
    public static string WriteScript(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Runs <paramref name="body"/> with <paramref name="dir"/> first on PATH (callers are in <see cref="PathCollection"/>).</summary>
    public static async Task WithPath(string dir, Func<Task> body)
    {
        var old = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", dir + Path.PathSeparator + old);
        try
        {
            await body();
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", old);
        }
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autopilot.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Autopilot.sln not found above {AppContext.BaseDirectory}");
    }
}
