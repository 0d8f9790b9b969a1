using System.Net.Http.Headers;
using System.Text;
using Autopilot.Processes;
using Npgsql;

namespace Autopilot.IntegrationTests.Infrastructure;

/// <summary>
/// Connection facts for the real services started by tests/infra/start-all.sh. Each comes from an
/// AUTOPILOT_TEST_* environment variable with a localhost default. Nothing here skips: a missing
/// service or password file fails the test with a message that says how to start it.
/// </summary>
public static class TestServices
{
    public const string StartHint = "start the services with `sudo bash tests/infra/start-all.sh` (or run `sudo bash tests/run-all.sh`)";

    public static string PgHost => Env("AUTOPILOT_TEST_PG_HOST", "127.0.0.1");

    public static int PgPort => int.Parse(Env("AUTOPILOT_TEST_PG_PORT", "5432"), System.Globalization.CultureInfo.InvariantCulture);

    public static string PgUser => Env("AUTOPILOT_TEST_PG_USER", "autopilot");

    public static string PgPasswordFile => Env("AUTOPILOT_TEST_PG_PASSWORD_FILE", "/var/lib/autopilot-test/pg.pass");

    public static string PgDatabase => Env("AUTOPILOT_TEST_PG_DATABASE", "autopilot_test");

    public static Uri CouchDbUrl => new(Env("AUTOPILOT_TEST_COUCHDB_URL", "http://127.0.0.1:5984").TrimEnd('/') + "/");

    public static string CouchDbUser => Env("AUTOPILOT_TEST_COUCHDB_USER", "admin");

    public static string CouchDbPasswordFile => Env("AUTOPILOT_TEST_COUCHDB_PASSWORD_FILE", "/var/lib/autopilot-test/couchdb.pass");

    public static string SlurmPartition => Env("AUTOPILOT_TEST_SLURM_PARTITION", "debug");

    public static string SgeQueue => Env("AUTOPILOT_TEST_SGE_QUEUE", "all.q");

    /// <summary>Grid Engine clients find their cell only through these two variables.</summary>
    public static IReadOnlyDictionary<string, string?> SgeEnvironment => new Dictionary<string, string?>
    {
        ["SGE_ROOT"] = Env("SGE_ROOT", "/var/lib/gridengine"),
        ["SGE_CELL"] = Env("SGE_CELL", "default"),
    };

    public static IProcessRunner Runner { get; } = new ProcessRunner();

    /// <summary>The PostgreSQL password, read from the password file.</summary>
    public static string PgPassword() => ReadSecret(PgPasswordFile, "PostgreSQL");

    public static string PostgresConnectionString()
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = PgHost,
            Port = PgPort,
            Username = PgUser,
            Password = PgPassword(),
            Database = PgDatabase,
            Timeout = 10,
            CommandTimeout = 30,
        };
        return builder.ConnectionString;
    }

    /// <summary>An open connection, or an exception that names the server and how to start it.</summary>
    public static async Task<NpgsqlConnection> OpenPostgresAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(PostgresConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException(
                $"PostgreSQL at {PgHost}:{PgPort} (database {PgDatabase}, user {PgUser}) refused us: {ex.Message}; {StartHint}", ex);
        }
    }

    /// <summary>An HttpClient for the CouchDB API with basic auth; the caller disposes it.</summary>
    public static HttpClient CreateCouchDbClient()
    {
        var password = ReadSecret(CouchDbPasswordFile, "CouchDB");
        var client = new HttpClient { BaseAddress = CouchDbUrl, Timeout = TimeSpan.FromSeconds(30) };
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{CouchDbUser}:{password}"));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        return client;
    }

    /// <summary>
    /// A CouchDB client whose credentials were checked against <c>/_session</c>, or an exception that
    /// names the server and how to start it; the caller disposes it.
    /// </summary>
    public static async Task<HttpClient> OpenCouchDbAsync(CancellationToken cancellationToken)
    {
        var client = CreateCouchDbClient();
        string problem;
        try
        {
            using var response = await client.GetAsync("_session", cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode && body.Contains($"\"name\":\"{CouchDbUser}\"", StringComparison.Ordinal))
            {
                return client;
            }

            problem = $"GET /_session answered {(int)response.StatusCode}: {body}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            problem = ex.Message;
        }

        client.Dispose();
        throw new InvalidOperationException($"CouchDB at {CouchDbUrl} (user {CouchDbUser}) is not usable: {problem}; {StartHint}");
    }

    /// <summary>Runs a command with a timeout; fails with the command and its stderr unless it exits 0.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var result = await RunUncheckedAsync(fileName, arguments, environment, cancellationToken);
        if (!result.Succeeded)
        {
            throw new ProcessFailedException($"{result.Describe()}; {StartHint}", result);
        }

        return result;
    }

    /// <summary>Runs a command with a timeout and returns whatever it did.</summary>
    public static async Task<ProcessResult> RunUncheckedAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var spec = new ProcessSpec(fileName, arguments, Environment: environment, Timeout: TimeSpan.FromSeconds(30));
        try
        {
            return await Runner.RunAsync(spec, cancellationToken);
        }
        catch (ProcessFailedException ex) when (ex.Result is null)
        {
            throw new ProcessFailedException($"{ex.Message}; is it installed? {StartHint}", null, ex);
        }
    }

    /// <summary>A job or database name no other test (or person) uses: prefix + 10 hex digits.</summary>
    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 10)];

    /// <summary>Polls until the condition holds; fails with the description after the deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan within, string description)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (clock.Elapsed > within)
            {
                throw new TimeoutException($"after {within.TotalSeconds:0} s still not true: {description}");
            }

            await Task.Delay(200);
        }
    }

    private static string Env(string name, string fallback)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? fallback : value.Trim();
    }

    private static string ReadSecret(string path, string what)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{what} password file {path} cannot be read ({ex.GetType().Name}); {StartHint}", ex);
        }

        var secret = text.Trim();
        if (secret.Length == 0)
        {
            throw new InvalidOperationException($"{what} password file {path} is empty; {StartHint}");
        }

        return secret;
    }
}
