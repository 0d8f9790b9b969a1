using Autopilot.Configuration;
using Autopilot.State;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting;
using Serilog.Formatting.Display;

namespace Autopilot.Logging;

/// <summary>
/// Serilog behind Microsoft.Extensions.Logging. Console lines go to stderr (stdout is for command
/// output): human-readable with a time, or, under systemd (JOURNAL_STREAM set), without a time
/// and with a <c>&lt;N&gt;</c> syslog priority prefix per line so the journal records levels.
/// Daily rolling files under &lt;state_dir&gt;/logs (Serilog.Sinks.File) keep <see cref="LogOptions.RetainedFiles"/> files.
/// Secrets never reach a logger: the configuration holds only file paths and variable names, and
/// the process runner redacts <c>ProcessSpec.Secrets</c> from command lines.
/// </summary>
public static class AutopilotLogging
{
    private const string FilePrefix = "autopilot-";
    private const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";
    private const string JournalTemplate = "{Message:lj}{NewLine}{Exception}";
    private const string FileTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <param name="verbose">-v: Debug, whatever the configured level.</param>
    /// <param name="quiet">-q: Warning (ignored with -v).</param>
    public static ILoggerFactory Create(LogOptions options, string stateDir, bool verbose, bool quiet) =>
        new SerilogLoggerFactory(CreateLogger(options, stateDir, verbose, quiet), dispose: true);

    /// <summary>Same, writing console lines to <paramref name="console"/> (tests capture it).</summary>
    public static ILoggerFactory Create(LogOptions options, string? stateDir, bool verbose, bool quiet, TextWriter console, bool journal) =>
        new SerilogLoggerFactory(CreateLogger(options, stateDir, verbose, quiet, console, journal), dispose: true);

    /// <summary>The Serilog logger itself (`run` hands it to the host through Serilog.Extensions.Hosting).</summary>
    public static Logger CreateLogger(LogOptions options, string stateDir, bool verbose, bool quiet) =>
        CreateLogger(options, stateDir, verbose, quiet, Console.Error, !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOURNAL_STREAM")));

    public static Logger CreateLogger(LogOptions options, string? stateDir, bool verbose, bool quiet, TextWriter console, bool journal)
    {
        ArgumentNullException.ThrowIfNull(options);
        var level = MinimumLevel(options.Level, verbose, quiet);

        // Microsoft.* categories (the hosting stack of `run`) log at Warning and above whatever the
        // level, as MinimumLevel.Override("Microsoft", Warning) would; a filter does it without the
        // override map's LINQ over structs, which is JIT-compiled at every start of a cron tick.
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(level < MicrosoftLevel ? level : MicrosoftLevel)
            .Filter.With(new MicrosoftOverride(level))
            .Enrich.FromLogContext();

        ITextFormatter consoleFormatter = journal
            ? new JournalFormatter(new MessageTemplateTextFormatter(JournalTemplate))
            : new MessageTemplateTextFormatter(ConsoleTemplate);
        configuration.WriteTo.Sink(new TextWriterSink(console, consoleFormatter));

        string? fileProblem = null;
        if (options.File && !string.IsNullOrEmpty(stateDir))
        {
            var logDir = Path.Combine(stateDir, "logs");
            try
            {
                // Logs name hosts, users and job ids: owner-only, like the rest of the state directory.
                StateDirectory.Ensure(logDir);

                // Serilog's rolling file sink: autopilot-yyyyMMdd[_NNN].log, shared by concurrent
                // processes (cron ticks and the service append to the same file), the newest RetainedFiles kept.
                configuration.WriteTo.Sink(LoggerSinkConfiguration.Wrap(
                    rolling => new OwnerOnlyDailyFile(logDir, FilePrefix, rolling),
                    to => to.File(
                        Path.Combine(logDir, FilePrefix + ".log"),
                        outputTemplate: FileTemplate,
                        formatProvider: System.Globalization.CultureInfo.InvariantCulture,
                        rollingInterval: RollingInterval.Day,
                        retainedFileCountLimit: options.RetainedFiles,
                        shared: true)));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                fileProblem = $"cannot write log files under {logDir}: {ex.Message}";
            }
        }

        var logger = configuration.CreateLogger();
        if (fileProblem is not null)
        {
            logger.ForContext(Constants.SourceContextPropertyName, "Autopilot.Logging").Warning("{Problem}", fileProblem);
        }

        return logger;
    }

    /// <summary>The configured level (verbose, debug, information, warning, error, fatal), then -v / -q.</summary>
    public static LogEventLevel MinimumLevel(string configured, bool verbose, bool quiet)
    {
        if (verbose)
        {
            return LogEventLevel.Debug;
        }

        if (quiet)
        {
            return LogEventLevel.Warning;
        }

        return configured.ToLowerInvariant() switch
        {
            "verbose" or "trace" => LogEventLevel.Verbose,
            "debug" => LogEventLevel.Debug,
            "warning" or "warn" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error,
            "fatal" or "critical" => LogEventLevel.Fatal,
            _ => LogEventLevel.Information,
        };
    }

    /// <summary>sd-daemon(3) priority for a level: 7 debug, 6 info, 4 warning, 3 error, 2 critical.</summary>
    public static int SyslogPriority(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose or LogEventLevel.Debug => 7,
        LogEventLevel.Information => 6,
        LogEventLevel.Warning => 4,
        LogEventLevel.Error => 3,
        _ => 2,
    };

    private const LogEventLevel MicrosoftLevel = LogEventLevel.Warning;

    /// <summary>Microsoft or Microsoft.*: Warning and above; every other source: the configured level.</summary>
    private sealed class MicrosoftOverride(LogEventLevel level) : ILogEventFilter
    {
        public bool IsEnabled(LogEvent logEvent) =>
            logEvent.Level >= (IsMicrosoft(logEvent) ? MicrosoftLevel : level);

        private static bool IsMicrosoft(LogEvent logEvent) =>
            logEvent.Properties.TryGetValue("SourceContext", out var value)
            && value is ScalarValue { Value: string source }
            && source.StartsWith("Microsoft", StringComparison.Ordinal)
            && (source.Length == "Microsoft".Length || source["Microsoft".Length] == '.');
    }

    /// <summary>Prefixes every line of an event (exceptions included) with its syslog priority.</summary>
    private sealed class JournalFormatter(ITextFormatter inner) : ITextFormatter
    {
        public void Format(LogEvent logEvent, TextWriter output)
        {
            using var buffer = new StringWriter();
            inner.Format(logEvent, buffer);
            var prefix = $"<{SyslogPriority(logEvent.Level)}>";
            var text = buffer.ToString().TrimEnd('\r', '\n');
            foreach (var line in text.Split('\n'))
            {
                output.Write(prefix);
                output.Write(line.TrimEnd('\r'));
                output.Write('\n');
            }
        }
    }

    /// <summary>
    /// Creates each day's log file owner-only (0600, whatever the umask) just before Serilog's
    /// rolling sink opens it (it picks the file by the local date when an event is written, and
    /// appends to one that exists): the state folder admits no file others could write, and the
    /// sink takes no file-creation hooks in shared mode.
    /// </summary>
    private sealed class OwnerOnlyDailyFile(string directory, string prefix, ILogEventSink rolling) : ILogEventSink, IDisposable
    {
        private readonly Lock _gate = new();
        private DateTime _day;

        public void Emit(LogEvent logEvent)
        {
            lock (_gate)
            {
                var today = DateTime.Now.Date;
                if (today != _day)
                {
                    Create(Path.Combine(directory, prefix + today.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + ".log"));
                    _day = today;
                }
            }

            rolling.Emit(logEvent);
        }

        public void Dispose() => (rolling as IDisposable)?.Dispose();

        private static void Create(string path)
        {
            try
            {
                var mode = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var created = new FileStream(path, mode);
            }
            catch (IOException)
            {
                // It exists already (another process, or an earlier run today).
            }
            catch (UnauthorizedAccessException)
            {
                // The sink reports what it cannot open.
            }
        }
    }

    private sealed class TextWriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
    {
        private readonly Lock _gate = new();

        public void Emit(LogEvent logEvent)
        {
            lock (_gate)
            {
                formatter.Format(logEvent, writer);
                writer.Flush();
            }
        }
    }
}
