namespace Autopilot.Processes;

/// <summary>
/// A command to run: an executable and an argument array, never a shell string.
/// </summary>
/// <param name="FileName">Executable name (looked up on PATH) or path.</param>
/// <param name="Arguments">Arguments passed as-is, one array element per argv entry.</param>
/// <param name="Environment">Set (or, with a null value, remove) on top of <see cref="ChildEnvironment"/>'s allow-list; nothing else is inherited.</param>
/// <param name="Timeout">After this long the whole process tree is killed; null means no limit.</param>
/// <param name="MaxOutputBytes">Captured stdout and stderr are each cut after this many bytes.</param>
/// <param name="Secrets">Strings that must never reach a log line; replaced by *** when the command is logged.</param>
public sealed record ProcessSpec(
    string FileName,
    IReadOnlyList<string> Arguments,
    string? WorkingDirectory = null,
    IReadOnlyDictionary<string, string?>? Environment = null,
    string? StandardInput = null,
    TimeSpan? Timeout = null,
    int MaxOutputBytes = ProcessSpec.DefaultMaxOutputBytes,
    IReadOnlyCollection<string>? Secrets = null)
{
    public const int DefaultMaxOutputBytes = 16 * 1024 * 1024;

    public ProcessSpec(string fileName, params string[] arguments)
        : this(fileName, (IReadOnlyList<string>)arguments)
    {
    }

    /// <summary>The command line as a person would type it (quoted where needed), secrets redacted.</summary>
    public string Display()
    {
        var parts = new List<string> { Quote(FileName) };
        parts.AddRange(Arguments.Select(Quote));
        var text = string.Join(' ', parts);
        if (Secrets is not null)
        {
            foreach (var secret in Secrets.Where(s => !string.IsNullOrEmpty(s)))
            {
                text = text.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>What a finished command left behind.</summary>
public sealed record ProcessResult(
    ProcessSpec Spec,
    int ExitCode,
    string StandardOutput,
    string StandardError,
    TimeSpan Duration,
    bool TimedOut,
    bool OutputTruncated)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>A one-line description for errors: the command, its exit and the first lines of stderr.</summary>
    public string Describe()
    {
        var what = TimedOut ? $"timed out after {Spec.Timeout?.TotalSeconds:0.#} s" : $"exited with {ExitCode}";
        var err = StandardError.Trim();
        if (err.Length > 500)
        {
            err = err[..500] + "...";
        }

        return err.Length == 0 ? $"`{Spec.Display()}` {what}" : $"`{Spec.Display()}` {what}: {err}";
    }
}

/// <summary>A command that could not be started or that failed; the message names the command and its stderr.</summary>
public sealed class ProcessFailedException : Exception
{
    public ProcessFailedException(string message, ProcessResult? result = null, Exception? inner = null)
        : base(message, inner)
    {
        Result = result;
    }

    public ProcessResult? Result { get; }
}
