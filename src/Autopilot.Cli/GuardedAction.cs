using System.CommandLine;
using System.CommandLine.Invocation;
using Autopilot.State;

namespace Autopilot.Cli;

/// <summary>
/// Wraps every command's action so that a failure reaches the user as one line on stderr and an
/// exit code, never a stack trace: an unusable state folder or store exits 2 (docs/operations.md,
/// "Exit codes"); anything unforeseen exits 1 and shows its stack trace only with --verbose.
/// </summary>
internal sealed class GuardedAction(AsynchronousCommandLineAction inner) : AsynchronousCommandLineAction
{
    public const int ExitUnusable = 2;
    public const int ExitUnexpected = 1;

    /// <summary>Guards the action of <paramref name="command"/> and of every sub-command under it.</summary>
    public static void Apply(Command command)
    {
        command.Action = command.Action switch
        {
            AsynchronousCommandLineAction async and not GuardedAction => new GuardedAction(async),
            SynchronousCommandLineAction sync => new GuardedAction(new SyncAdapter(sync)),
            var other => other,
        };
        foreach (var sub in command.Subcommands)
        {
            Apply(sub);
        }
    }

    public override async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default)
    {
        var error = parseResult.InvocationConfiguration.Error;
        try
        {
            return await inner.InvokeAsync(parseResult, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is UnsafeStateException or StateStoreException)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitUnusable;
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            await error.WriteLineAsync($"SQLite: {FirstLine(ex.Message)}").ConfigureAwait(false);
            return ExitUnusable;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync(FirstLine(ex.Message)).ConfigureAwait(false);
            return ExitUnusable;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await error.WriteLineAsync(parseResult.GetValue(GlobalOptions.Verbose)
                ? $"unexpected error: {ex}"
                : $"unexpected error: {ex.GetType().Name}: {FirstLine(ex.Message)} (--verbose shows where)").ConfigureAwait(false);
            return ExitUnexpected;
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).Trim();
    }

    private sealed class SyncAdapter(SynchronousCommandLineAction sync) : AsynchronousCommandLineAction
    {
        public override Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken = default) =>
            Task.FromResult(sync.Invoke(parseResult));
    }
}
