using System.Globalization;
using Serilog;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace Autopilot.Logging;

/// <summary>
/// Daily log files <c>&lt;prefix&gt;yyyyMMdd[_NNN].log</c>, each written by Serilog's shared file
/// sink (<c>WriteTo.File(path, shared: true)</c>: several autopilot processes append to the same
/// file), keeping the newest <c>retained</c> files. It does what <c>WriteTo.File(rollingInterval: Day, shared: true,
/// retainedFileCountLimit)</c> does, file names and retention order included, without the
/// rolling sink's compiled file-name regular expression: emitting and JIT-compiling that regex
/// cost every cron tick several milliseconds of start-up (docs/performance.md, "Whole-process tick").
/// </summary>
internal sealed class DailyFileSink : ILogEventSink, IDisposable
{
    // Serilog's default: a file that reaches 1 GB takes no more events that day.
    private const long FileSizeLimitBytes = 1L * 1024 * 1024 * 1024;
    private const string Suffix = ".log";

    private readonly string _directory;
    private readonly string _prefix;
    private readonly string _template;
    private readonly int _retained;
    private readonly Lock _gate = new();
    private Logger? _current;
    private DateTime? _day;
    private bool _disposed;

    /// <param name="directory">The folder of the files (it exists).</param>
    /// <param name="prefix">The name before the date, e.g. <c>autopilot-</c>.</param>
    /// <param name="template">The output template of each line.</param>
    public DailyFileSink(string directory, string prefix, string template, int retained)
    {
        _directory = directory;
        _prefix = prefix;
        _template = template;
        _retained = retained;
    }

    public void Emit(LogEvent logEvent)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // As Serilog's rolling sink: the local date when the event is written picks the file.
            // A file that could not be opened is tried again the next day, as Serilog does.
            var today = DateTime.Now.Date;
            if (today != _day)
            {
                Open(today);
            }

            _current?.Write(logEvent);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current?.Dispose();
            _current = null;
            _disposed = true;
        }
    }

    /// <summary>Log files of this sink in <paramref name="names"/>, newest first (date, then sequence).</summary>
    internal static List<LogFile> NewestFirst(IEnumerable<string> names, string prefix)
    {
        var matches = new List<LogFile>();
        foreach (var name in names)
        {
            if (Match(name, prefix) is { } match)
            {
                matches.Add(match);
            }
        }

        // Stable, as Serilog's OrderByDescending(date).ThenByDescending(sequence).
        var ordered = new List<LogFile>(matches.Count);
        foreach (var match in matches)
        {
            var at = ordered.Count;
            while (at > 0 && Newer(match, ordered[at - 1]))
            {
                at--;
            }

            ordered.Insert(at, match);
        }

        return ordered;
    }

    /// <summary><c>&lt;prefix&gt;yyyyMMdd(_NNN…)?.log</c>: the date and the sequence number, or null.</summary>
    internal static LogFile? Match(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var middle = name.AsSpan(prefix.Length, name.Length - prefix.Length - Suffix.Length);
        if (middle.Length < 8 || !AllDigits(middle[..8]))
        {
            return null;
        }

        // Eight digits that are no date still match, dated never (oldest), as in Serilog.
        DateTime? day = DateTime.TryParseExact(middle[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;

        var rest = middle[8..];
        if (rest.Length == 0)
        {
            return new LogFile(name, day, null);
        }

        return rest.Length >= 4 && rest[0] == '_' && AllDigits(rest[1..])
               && int.TryParse(rest[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? new LogFile(name, day, sequence)
            : null;
    }

    /// <summary>A (class, not tuple: lists of structs are JIT-compiled code) log file of this sink.</summary>
    internal sealed record LogFile(string Name, DateTime? Day, int? Sequence);

    private static bool Newer(LogFile a, LogFile b)
    {
        var (dayA, dayB) = (a.Day ?? DateTime.MinValue, b.Day ?? DateTime.MinValue);
        if (a.Day is null != b.Day is null)
        {
            return a.Day is not null;
        }

        return dayA > dayB || (dayA == dayB && (a.Sequence ?? -1) > (b.Sequence ?? -1));
    }

    private static bool AllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private void Open(DateTime day)
    {
        _current?.Dispose();
        _current = null;
        _day = day;
        var stamp = day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        List<LogFile> existing;
        try
        {
            existing = NewestFirst(Directory.EnumerateFiles(_directory, _prefix + "*" + Suffix).Select(Path.GetFileName).OfType<string>(), _prefix);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            SelfLog.WriteLine("cannot list log files in {0}: {1}", _directory, ex);
            existing = [];
        }

        // Continue the day's latest file (Serilog's rolling sink adds a sequence number when it could not open one).
        int? sequence = null;
        foreach (var file in existing)
        {
            if (file.Day == day)
            {
                sequence = file.Sequence;
                break;
            }
        }

        // (Serilog's file sink logs to SelfLog and drops events when the file cannot be opened.)
        var name = _prefix + stamp + (sequence is { } n ? "_" + n.ToString("000", CultureInfo.InvariantCulture) : "") + Suffix;
        _current = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(Path.Combine(_directory, name), outputTemplate: _template, fileSizeLimitBytes: FileSizeLimitBytes, shared: true)
            .CreateLogger();
        if (!OperatingSystem.IsWindows() && File.Exists(Path.Combine(_directory, name)))
        {
            // The sink creates the file through the umask; the state folder admits nothing others can write.
            File.SetUnixFileMode(Path.Combine(_directory, name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        ApplyRetention(name, existing);
    }

    private void ApplyRetention(string currentName, List<LogFile> existing)
    {
        // Keep the current file and the newest retained - 1 others.
        var kept = 0;
        foreach (var file in existing)
        {
            if (string.Equals(file.Name, currentName, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (kept < _retained - 1)
            {
                kept++;
                continue;
            }

            try
            {
                File.Delete(Path.Combine(_directory, file.Name));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                SelfLog.WriteLine("log file {0} could not be deleted: {1}", file.Name, ex);
            }
        }
    }
}
