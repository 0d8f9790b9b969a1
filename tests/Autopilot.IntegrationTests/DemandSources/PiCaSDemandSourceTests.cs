using System.Net;
using System.Net.Sockets;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.PiCaS;
using Autopilot.Domain;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.IntegrationTests.DemandSources;

/// <summary>The PiCaS source against the real pouchdb-server started by tests/infra/start-couchdb.sh.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PiCaSDemandSourceTests(PiCaSDatabaseFixture db) : IClassFixture<PiCaSDatabaseFixture>, IDisposable
{
    private readonly List<string> _files = [];

    public void Dispose()
    {
        foreach (var file in _files)
        {
            File.Delete(file);
        }
    }

    private static string Password => File.ReadAllText(TestServices.CouchDbPasswordFile).Trim();

    private PiCaSOptions Options(string? url = null, string? passwordFile = null) => new()
    {
        Url = url ?? TestServices.CouchDbUrl.ToString(),
        Database = db.Database,
        User = TestServices.CouchDbUser,
        PasswordFile = passwordFile ?? TestServices.CouchDbPasswordFile,
        Timeout = TimeSpan.FromSeconds(10),
    };

    private static IDemandSource Create(PiCaSOptions options) =>
        DemandSourceFactory.Create(options, new ProcessRunner(), NullLoggerFactory.Instance, TimeProvider.System);

    private static Task<Demand> Measure(PiCaSOptions options) => Create(options).MeasureAsync(long.MaxValue, CancellationToken.None);

    private async Task<DemandException> Fails(PiCaSOptions options)
    {
        var ex = await Assert.ThrowsAsync<DemandException>(() => Measure(options));
        Assert.DoesNotContain(Password, ex.ToString());
        return ex;
    }

    private string PrivateFile(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"apit-picas-{Guid.NewGuid():N}.pass");
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _files.Add(path);
        return path;
    }

    [Fact]
    public async Task Todo_tokens_are_the_demand()
    {
        var demand = await Measure(Options());

        Assert.Equal(PiCaSDatabaseFixture.Todo, demand.Tasks);
        Assert.Equal(new[] { new DemandMeasure("todo", PiCaSDatabaseFixture.Todo) }, demand.Measures);
    }

    [Fact]
    public async Task Locked_tokens_count_too_when_asked()
    {
        var demand = await Measure(Options() with { IncludeLocked = true });

        Assert.Equal(PiCaSDatabaseFixture.Todo + PiCaSDatabaseFixture.Locked, demand.Tasks);
        Assert.Equal(
            new[] { new DemandMeasure("todo", PiCaSDatabaseFixture.Todo), new DemandMeasure("locked", PiCaSDatabaseFixture.Locked) },
            demand.Measures);
    }

    [Theory]
    [InlineData("todo", PiCaSDatabaseFixture.Todo)]
    [InlineData("locked", PiCaSDatabaseFixture.Locked)]
    [InlineData("done", PiCaSDatabaseFixture.Done)]
    [InlineData("error", PiCaSDatabaseFixture.Error)]
    public async Task Each_state_view_counts_its_tokens(string view, int expected)
    {
        var demand = await Measure(Options() with { View = view });

        Assert.Equal(expected, demand.Tasks);
    }

    [Fact]
    public async Task The_reduce_view_gives_every_state_in_one_request()
    {
        var demand = await Measure(Options() with { Reduce = true, View = "overview_total" });

        Assert.Equal(PiCaSDatabaseFixture.Todo, demand.Tasks);
        Assert.Equal(
            new[]
            {
                new DemandMeasure("todo", PiCaSDatabaseFixture.Todo),
                new DemandMeasure("locked", PiCaSDatabaseFixture.Locked),
                new DemandMeasure("done", PiCaSDatabaseFixture.Done),
                new DemandMeasure("error", PiCaSDatabaseFixture.Error),
            },
            demand.Measures);
    }

    [Fact]
    public async Task The_reduce_view_with_locked_included()
    {
        var demand = await Measure(Options() with { Reduce = true, View = "overview_total", IncludeLocked = true });

        Assert.Equal(PiCaSDatabaseFixture.Todo + PiCaSDatabaseFixture.Locked, demand.Tasks);
    }

    [Fact]
    public async Task A_builtin_count_reduce_works_as_well()
    {
        var demand = await Measure(Options() with { Reduce = true, DesignDoc = "Odd", View = "by_state", IncludeLocked = true });

        Assert.Equal(PiCaSDatabaseFixture.Todo + PiCaSDatabaseFixture.Locked, demand.Tasks);
    }

    [Fact]
    public async Task A_wrong_password_is_a_login_error_without_the_password()
    {
        const string wrong = "not-the-password-7f3a9c";
        var ex = await Fails(Options(passwordFile: PrivateFile(wrong + "\n")));

        Assert.Contains("refused the login of user 'admin'", ex.Message);
        Assert.Contains("401", ex.Message);
        Assert.DoesNotContain(wrong, ex.ToString());
    }

    [Fact]
    public async Task A_password_file_others_can_read_is_refused()
    {
        var path = PrivateFile(Password);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var ex = await Fails(Options(passwordFile: path));

        Assert.Contains("chmod go-rwx", ex.Message);
    }

    [Fact]
    public async Task A_missing_view_is_its_own_error()
    {
        var ex = await Fails(Options() with { View = "nope" });

        Assert.Contains("view Monitor/nope not found", ex.Message);
        Assert.Contains("404", ex.Message);
    }

    [Fact]
    public async Task A_missing_design_document_is_its_own_error()
    {
        var ex = await Fails(Options() with { DesignDoc = "Nope" });

        Assert.Contains("design document _design/Nope not found", ex.Message);
    }

    [Fact]
    public async Task A_missing_database_is_its_own_error()
    {
        var ex = await Fails(Options() with { Database = db.Database + "_gone" });

        Assert.Contains($"database '{db.Database}_gone' does not exist", ex.Message);
    }

    [Fact]
    public async Task A_server_that_is_down_is_its_own_error()
    {
        var port = ClosedPort();

        var ex = await Fails(Options(url: $"http://127.0.0.1:{port}"));

        Assert.Contains("cannot reach CouchDB", ex.Message);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Fails(Options(url: $"http://127.0.0.1:{port}") with { Timeout = TimeSpan.FromSeconds(1) });

        Assert.Contains("did not answer within 1 s", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_view_returning_non_numbers_is_its_own_error()
    {
        var ex = await Fails(Options() with { Reduce = true, DesignDoc = "Odd", View = "words" });

        Assert.Contains("view Odd/words did not give token counts", ex.Message);
        Assert.Contains("\"many\", not a number", ex.Message);
    }

    [Fact]
    public async Task A_reduce_view_read_as_a_map_view_says_to_set_reduce()
    {
        var ex = await Fails(Options() with { View = "overview_total" });

        Assert.Contains("no total_rows", ex.Message);
        Assert.Contains("reduce = true", ex.Message);
    }

    [Fact]
    public void Credentials_in_the_url_are_refused_without_echoing_them()
    {
        var ex = Assert.Throws<DemandException>(() => Create(Options(url: $"http://admin:{Uri.EscapeDataString(Password)}@127.0.0.1:5984")));

        Assert.Contains("must not contain a user or password", ex.Message);
        Assert.DoesNotContain(Password, ex.Message);
        Assert.DoesNotContain(Uri.EscapeDataString(Password), ex.Message);
    }

    [Fact]
    public void Describe_is_short_and_secret_free()
    {
        var text = Create(Options(url: "http://127.0.0.1:5984/") with { Database = "tokens", IncludeLocked = true }).Describe();

        Assert.Equal("picas http://127.0.0.1:5984/tokens Monitor/todo+locked", text);
    }

    [Fact]
    public async Task Https_to_a_self_signed_couchdb_is_refused_while_tls_verify_is_on()
    {
        await using var tls = new TlsProxy(TestServices.CouchDbUrl);

        var ex = await Fails(Options(url: tls.Url.ToString()));

        Assert.Contains($"picas {tls.Url}{db.Database}: cannot reach CouchDB", ex.Message);
        Assert.Contains("The SSL connection could not be established", ex.Message);
        Assert.Contains("certificate", ex.Message);
    }

    [Fact]
    public async Task Tls_verify_off_reads_a_self_signed_couchdb_over_tls_and_warns()
    {
        await using var tls = new TlsProxy(TestServices.CouchDbUrl);
        using var warnings = new LogLines();
        using var loggers = new LoggerFactory([warnings]);
        var source = DemandSourceFactory.Create(Options(url: tls.Url.ToString()) with { TlsVerify = false }, new ProcessRunner(), loggers, TimeProvider.System);

        var demand = await source.MeasureAsync(long.MaxValue, CancellationToken.None);

        Assert.Equal(PiCaSDatabaseFixture.Todo, demand.Tasks);
        Assert.True(tls.Handshakes > 0, "the request did not go through TLS");
        var warning = Assert.Single(warnings.Lines, l => l.Contains("TLS certificate verification is off", StringComparison.Ordinal));
        Assert.StartsWith("Warning:", warning);
        Assert.All(warnings.Lines, l => Assert.DoesNotContain(Password, l));
    }

    /// <summary>Every formatted log line, with its level.</summary>
    private sealed class LogLines : ILoggerProvider, ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add($"{logLevel}: {formatter(state, exception)}");
            }
        }

        public void Dispose()
        {
        }
    }

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
