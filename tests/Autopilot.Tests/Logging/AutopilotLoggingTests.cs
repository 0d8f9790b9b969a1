using Autopilot.Configuration;
using Autopilot.Logging;
using Autopilot.Processes;
using Autopilot.Tests.Configuration;
using Microsoft.Extensions.Logging;
using Serilog.Events;
using Autopilot.DemandSources;

namespace Autopilot.Tests.Logging;

public sealed class AutopilotLoggingTests
{
    [Fact]
    public void Console_lines_are_human_readable_with_time_and_level()
    {
        var console = new StringWriter();
        using (var factory = AutopilotLogging.Create(new LogOptions { File = false }, null, verbose: false, quiet: false, console, journal: false))
        {
            factory.CreateLogger("t").LogInformation("pool {Pool}: submitted {Count}", "main", 2);
        }

        Assert.Matches(@"^\[\d\d:\d\d:\d\d INF\] pool main: submitted 2\r?\n$", console.ToString());
    }

    [Fact]
    public void Under_systemd_every_line_has_a_priority_prefix_and_no_time()
    {
        var console = new StringWriter();
        using (var factory = AutopilotLogging.Create(new LogOptions { File = false, Level = "debug" }, null, false, false, console, journal: true))
        {
            var logger = factory.CreateLogger("t");
            logger.LogDebug("d");
            logger.LogInformation("i");
            logger.LogWarning("w");
            logger.LogError(new InvalidOperationException("boom"), "e");
            logger.LogCritical("c");
        }

        var lines = console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["<7>d", "<6>i", "<4>w", "<3>e"], lines[..4]);
        Assert.StartsWith("<3>System.InvalidOperationException: boom", lines[4], StringComparison.Ordinal);
        Assert.Equal("<2>c", lines[^1]);
        Assert.All(lines, l => Assert.Matches(@"^<[2-7]>", l));
    }

    [Theory]
    [InlineData("information", false, false, LogEventLevel.Information)]
    [InlineData("warning", false, false, LogEventLevel.Warning)]
    [InlineData("verbose", false, false, LogEventLevel.Verbose)]
    [InlineData("error", true, false, LogEventLevel.Debug)]
    [InlineData("debug", false, true, LogEventLevel.Warning)]
    [InlineData("information", true, true, LogEventLevel.Debug)]
    public void Level_comes_from_config_then_verbose_and_quiet(string configured, bool verbose, bool quiet, LogEventLevel expected)
    {
        Assert.Equal(expected, AutopilotLogging.MinimumLevel(configured, verbose, quiet));
    }

    [Fact]
    public void Quiet_drops_information_and_verbose_shows_debug()
    {
        var quiet = new StringWriter();
        using (var factory = AutopilotLogging.Create(new LogOptions { File = false }, null, false, true, quiet, journal: true))
        {
            factory.CreateLogger("t").LogInformation("info");
            factory.CreateLogger("t").LogWarning("warn");
        }

        var verbose = new StringWriter();
        using (var factory = AutopilotLogging.Create(new LogOptions { File = false }, null, true, false, verbose, journal: true))
        {
            factory.CreateLogger("t").LogDebug("debug");
        }

        Assert.Equal("<4>warn\n", quiet.ToString());
        Assert.Equal("<7>debug\n", verbose.ToString());
    }

    [Fact]
    public void Daily_file_is_written_under_the_state_directory()
    {
        var state = ConfigTestSupport.TempDir();
        using (var factory = AutopilotLogging.Create(new LogOptions { RetainedFiles = 3 }, state, false, false, new StringWriter(), journal: false))
        {
            factory.CreateLogger("Autopilot.Test").LogWarning("to the file");
        }

        var file = Assert.Single(Directory.GetFiles(Path.Combine(state, "logs")));
        Assert.Matches(@"autopilot-\d{8}\.log$", file);
        Assert.Contains("[WRN] Autopilot.Test: to the file", File.ReadAllText(file), StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_password_appears_in_no_log_line_at_any_level()
    {
        const string password = "Pa55-w0rd-never-logged";
        var dir = ConfigTestSupport.TempDir();
        var secret = Path.Combine(dir, "db.pass");
        File.WriteAllText(secret, password + "\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var path = ConfigTestSupport.WriteConfig($"""
            [log]
            level = "verbose"
            [[pool]]
            name = "main"
            [pool.demand]
            backend = "postgres"
            [pool.demand.postgres]
            database = "hs"
            password_file = "{secret}"
            """, dir);
        var config = ConfigTestSupport.Load(path, checkSecrets: true);
        Assert.Empty(config.Errors);
        var console = new StringWriter();
        var state = Path.Combine(dir, "state");

        using (var factory = AutopilotLogging.Create(config.Options.Log, state, false, false, console, journal: false))
        {
            var logger = factory.CreateLogger("Autopilot.Test");
            // What the program logs about its configuration, at every level.
            foreach (var level in Enum.GetValues<LogLevel>().Where(l => l != LogLevel.None))
            {
                logger.Log(level, "config {Config}", ConfigDump.ToToml(config.Options, config));
                logger.Log(level, "options {@Options}", config.Options);
            }

            // A command that carries the secret: the runner logs it at debug, redacted.
            var read = Secrets.Read(((DatabaseDemandOptions)config.Options.Pools[0].Demand).Postgres.PasswordFile, null, "test");
            Assert.Equal(password, read);
            var runner = new ProcessRunner(factory.CreateLogger<ProcessRunner>());
            var result = await runner.RunAsync(
                new ProcessSpec("true", ["--password=" + read]) { Secrets = [read!], Timeout = TimeSpan.FromSeconds(10) },
                CancellationToken.None);
            logger.LogDebug("ran {Command}: {Result}", result.Spec.Display(), result.Describe());
        }

        var fileText = string.Concat(Directory.GetFiles(Path.Combine(state, "logs")).Select(File.ReadAllText));
        Assert.Contains("password_file", console.ToString(), StringComparison.Ordinal);
        Assert.Contains("***", console.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, console.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(fileText);
        Assert.DoesNotContain(password, fileText, StringComparison.Ordinal);
    }
}
