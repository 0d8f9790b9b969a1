using Autopilot.Configuration;
using Npgsql;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>Connection facts of the test PostgreSQL (AUTOPILOT_TEST_PG_*), for the HyperShell tests.</summary>
internal static class HyperShellPg
{
    public static string Host => Env("AUTOPILOT_TEST_PG_HOST", "127.0.0.1");
    public static int Port => int.Parse(Env("AUTOPILOT_TEST_PG_PORT", "5432"), System.Globalization.CultureInfo.InvariantCulture);
    public static string User => Env("AUTOPILOT_TEST_PG_USER", "autopilot");
    public static string Database => Env("AUTOPILOT_TEST_PG_DATABASE", "autopilot_test");
    public static string PasswordFile => Env("AUTOPILOT_TEST_PG_PASSWORD_FILE", "/var/lib/autopilot-test/pg.pass");

    /// <summary>Demand options reading <paramref name="schema"/> of the test database.</summary>
    public static PostgresOptions Options(string schema) => new()
    {
        Host = Host,
        Port = Port,
        Database = Database,
        User = User,
        PasswordFile = PasswordFile,
        Schema = schema,
        SslMode = "disable",
        StatementTimeout = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>An open connection as the test role (it owns the database: it may create schemas).</summary>
    public static async Task<NpgsqlConnection> OpenAsync()
    {
        if (!File.Exists(PasswordFile))
        {
            throw new InvalidOperationException(
                $"PostgreSQL password file {PasswordFile} is missing: run tests/infra/start-postgres.sh (or set AUTOPILOT_TEST_PG_PASSWORD_FILE)");
        }

        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            Password = Secrets.Read(PasswordFile, null, "AUTOPILOT_TEST_PG_PASSWORD_FILE"),
            SslMode = SslMode.Disable,
            Pooling = false,
            ApplicationName = "autopilot-tests",
            CommandTimeout = 0,
        }.ConnectionString);
        try
        {
            await connection.OpenAsync();
        }
        catch (Exception ex)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"PostgreSQL {User}@{Host}:{Port}/{Database} is not reachable ({ex.Message}): run tests/infra/start-postgres.sh", ex);
        }

        return connection;
    }

    public static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
