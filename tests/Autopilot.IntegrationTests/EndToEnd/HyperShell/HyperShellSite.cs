using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Autopilot.Configuration;
using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Microsoft.Data.Sqlite;

namespace Autopilot.IntegrationTests.EndToEnd.HyperShell;

/// <summary>One task row as HyperShell's own database holds it.</summary>
public sealed record HsTask(string Id, string Args, int? ExitStatus, int Attempt, bool Completed, string? Outpath, string? ClientHost);

/// <summary>
/// The real HyperShell 2.8.2 (`hs`, installed by tests/infra/start-hypershell.sh) deployed as a site
/// would run it: `hs server --forever` bound to every address, TLS on with the certificate the
/// server generates in &lt;site&gt;/lib/tls, an auth key in a 0600 file, and the server's settings
/// (database, key, PostgreSQL password) in a 0600 HyperShell configuration file, never on its
/// command line. SQLite at &lt;site&gt;/lib/main.db, or a schema of its own in the test PostgreSQL.
/// </summary>
public sealed class HyperShellSite : IAsyncDisposable
{
    public const string Hs = "/usr/local/bin/hs";

    private readonly string? _pgSchema;
    private Process? _server;

    private HyperShellSite(string dir, string? pgSchema)
    {
        Dir = dir;
        _pgSchema = pgSchema;
        Site = Path.Combine(dir, "hs-site");
        Directory.CreateDirectory(Path.Combine(Site, "lib"));
        Key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
        KeyFile = WritePrivate(Path.Combine(dir, "hs-auth.key"), Key + "\n");
        Port = FreePort();
        PgPassword = pgSchema is null ? null : Secrets.Read(HyperShellPg.PasswordFile, null, "AUTOPILOT_TEST_PG_PASSWORD_FILE");
        var database = pgSchema is null
            ? $"provider = \"sqlite\"\nfile = {EndToEndHarness.Quote(DbFile)}\n"
            : $"provider = \"postgres\"\nhost = {EndToEndHarness.Quote(HyperShellPg.Host)}\nport = {HyperShellPg.Port}\n"
              + $"user = {EndToEndHarness.Quote(HyperShellPg.User)}\npassword = {EndToEndHarness.Quote(PgPassword!)}\n"
              + $"database = {EndToEndHarness.Quote(HyperShellPg.Database)}\nschema = {EndToEndHarness.Quote(pgSchema)}\n";
        ServerConfig = WritePrivate(Path.Combine(dir, "hs-server.toml"), $"[database]\n{database}[server]\nauth = \"{Key}\"\n");
    }

    public string Dir { get; }

    /// <summary>HYPERSHELL_SITE of the server (and of the clients: --capture writes to &lt;site&gt;/lib/task).</summary>
    public string Site { get; }

    public string DbFile => Path.Combine(Site, "lib", "main.db");

    public string Key { get; }

    public string KeyFile { get; }

    public string? PgPassword { get; }

    public int Port { get; }

    public string ServerConfig { get; }

    /// <summary>The certificate the server generated (the clients' trust anchor).</summary>
    public string CaFile => Path.Combine(Site, "lib", "tls", "server.crt");

    public string ServerLog => Path.Combine(Dir, "hs-server.log");

    /// <summary>The address the pilots use: this host's name, as a compute node would.</summary>
    public static string Host => Dns.GetHostName();

    /// <summary>The environment of every `hs` command the test runs as the site's operator.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["HYPERSHELL_CONFIG_FILE"] = ServerConfig,
        ["HYPERSHELL_SITE"] = Site,
    };

    public static async Task<HyperShellSite> StartSqliteAsync(string dir) => await StartAsync(new HyperShellSite(dir, null));

    public static async Task<HyperShellSite> StartPostgresAsync(string dir)
    {
        var schema = TestServices.UniqueName("hs_e2e_");
        await using (var connection = await HyperShellPg.OpenAsync())
        {
            await using var create = new Npgsql.NpgsqlCommand($"CREATE SCHEMA \"{schema}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return await StartAsync(new HyperShellSite(dir, schema));
    }

    private static async Task<HyperShellSite> StartAsync(HyperShellSite site)
    {
        var version = await TestServices.RunUncheckedAsync(Hs, ["--version"]);
        Assert.True(version.StandardOutput.StartsWith("HyperShell v2.8.2", StringComparison.Ordinal),
            $"{Hs} --version: '{version.StandardOutput.Trim()}' {version.StandardError}: run tests/infra/start-hypershell.sh");
        await site.HsAsync("initdb", "--yes");
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", $"exec {Hs} server --forever --bind 0.0.0.0 --port {site.Port} -Q 1 -w 1 >>'{site.ServerLog}' 2>&1" },
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        foreach (var (name, value) in site.Environment)
        {
            start.Environment[name] = value;
        }

        site._server = Process.Start(start)!;
        await TestServices.WaitUntilAsync(
            () => Task.FromResult(File.Exists(site.ServerLog) && File.ReadAllText(site.ServerLog).Contains("Server listening", StringComparison.Ordinal) && File.Exists(site.CaFile)),
            TimeSpan.FromSeconds(30),
            $"hs server listening on port {site.Port} (log {site.ServerLog})");
        return site;
    }

    /// <summary>Runs `hs ARGS` as the site's operator (exit 0 asserted).</summary>
    public async Task<ProcessResult> HsAsync(params string[] arguments) => await HsAsync(null, arguments);

    public async Task<ProcessResult> HsAsync(IReadOnlyDictionary<string, string?>? extra, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }

        var result = await TestServices.Runner.RunAsync(new ProcessSpec(Hs, arguments, Environment: environment, Timeout: TimeSpan.FromSeconds(60)), CancellationToken.None);
        Assert.True(result.ExitCode == 0, $"hs {string.Join(' ', arguments)} -> {result.ExitCode}\n{result.StandardError}");
        return result;
    }

    /// <summary>
    /// `hs submit -f` of <paramref name="count"/> tasks; task i prints "out-i" and "err-i" and appends
    /// its number to ran.txt, so a task that ran twice shows there twice.
    /// </summary>
    public async Task<IReadOnlyList<string>> SubmitAsync(int count, string prefix = "t", double sleepSeconds = 0, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var lines = Enumerable.Range(1, count)
            .Select(i => $"{prefix}{i}")
            .Select(name => string.Create(CultureInfo.InvariantCulture,
                $"sh -c 'sleep {sleepSeconds}; echo out-{name}; echo err-{name} >&2; echo {name} >> {RanFile}'"))
            .ToList();
        var file = Path.Combine(Dir, $"tasks-{prefix}.txt");
        await File.WriteAllLinesAsync(file, lines);
        await HsAsync(extra, "submit", "-f", file);
        return lines;
    }

    /// <summary>One line per task run (the task's name), appended by the tasks themselves.</summary>
    public string RanFile => Path.Combine(Dir, "ran.txt");

    public IReadOnlyList<string> Ran() => File.Exists(RanFile) ? File.ReadAllLines(RanFile) : [];

    /// <summary>Every task row of HyperShell's database.</summary>
    public async Task<IReadOnlyList<HsTask>> TasksAsync()
    {
        const string Sql = "SELECT id, args, exit_status, attempt, completion_time IS NOT NULL, outpath, client_host FROM {0}task";
        var rows = new List<HsTask>();
        if (_pgSchema is null)
        {
            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = string.Format(CultureInfo.InvariantCulture, Sql, "");
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(Row(reader));
            }
        }
        else
        {
            await using var connection = await HyperShellPg.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand(string.Format(CultureInfo.InvariantCulture, Sql, $"\"{_pgSchema}\"."), connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add(Row(reader));
            }
        }

        return rows;
    }

    private static HsTask Row(System.Data.Common.DbDataReader r) => new(
        Convert.ToString(r.GetValue(0), CultureInfo.InvariantCulture)!,
        r.GetString(1),
        r.IsDBNull(2) ? null : Convert.ToInt32(r.GetValue(2), CultureInfo.InvariantCulture),
        Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture),
        Convert.ToBoolean(r.GetValue(4), CultureInfo.InvariantCulture),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6));

    /// <summary>The pool's [pool.demand] lines for this database.</summary>
    public DemandSpec Demand => _pgSchema is null
        ? new($"kind = \"hypershell\"\nbackend = \"sqlite\"\npath = {EndToEndHarness.Quote(DbFile)}\n")
        : new($"kind = \"hypershell\"\nbackend = \"postgres\"\n[pool.demand.postgres]\nhost = {EndToEndHarness.Quote(HyperShellPg.Host)}\nport = {HyperShellPg.Port}\n"
              + $"database = {EndToEndHarness.Quote(HyperShellPg.Database)}\nuser = {EndToEndHarness.Quote(HyperShellPg.User)}\n"
              + $"password_file = {EndToEndHarness.Quote(HyperShellPg.PasswordFile)}\nschema = {EndToEndHarness.Quote(_pgSchema)}\nssl_mode = \"disable\"\n");

    /// <summary>The pool's [pool.template_vars] for the shipped HyperShell pilot templates.</summary>
    public IReadOnlyDictionary<string, string> TemplateVars(string hsCommand = Hs) => new Dictionary<string, string>
    {
        ["server_host"] = Host,
        ["server_port"] = Port.ToString(CultureInfo.InvariantCulture),
        ["server_auth_file"] = KeyFile,
        ["server_tls_ca"] = CaFile,
        ["hypershell_site"] = Site,
        ["hs_command"] = hsCommand,
    };

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        if (_pgSchema is not null)
        {
            await using var connection = await HyperShellPg.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_pgSchema}\" CASCADE", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static string WritePrivate(string path, string text)
    {
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
        return path;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
