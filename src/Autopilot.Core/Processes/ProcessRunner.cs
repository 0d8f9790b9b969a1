using System.ComponentModel;
using System.Text;
using CliWrap;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Processes;

/// <summary>
/// <see cref="IProcessRunner"/> over CliWrap: argument arrays, an explicit environment, bounded
/// capture of stdout and stderr, and a timeout or cancellation that kills the whole process tree
/// (CliWrap's forceful cancellation).
/// </summary>
public sealed class ProcessRunner : IProcessRunner
{
    /// <summary>
    /// How long output is still read after the command exits. A child it left running with the
    /// pipes (ssh's ControlPersist master holds stderr) would otherwise keep the result waiting.
    /// </summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(2);

    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public ProcessRunner(ILogger<ProcessRunner>? logger = null, TimeProvider? time = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();

        using var drain = new CancellationTokenSource();
        var stdout = new BoundedCapture(spec.MaxOutputBytes, drain.Token);
        var stderr = new BoundedCapture(spec.MaxOutputBytes, drain.Token);
        var command = Cli.Wrap(spec.FileName)
            .WithArguments(spec.Arguments)
            // Never the whole inherited environment: it may hold a password (password_env) that a
            // scheduler would copy into every job.
            .WithEnvironmentVariables(ChildEnvironment.Changes(spec.Environment))
            .WithStandardInputPipe(spec.StandardInput is null ? PipeSource.Null : PipeSource.FromString(spec.StandardInput, Encoding.UTF8))
            .WithStandardOutputPipe(stdout)
            .WithStandardErrorPipe(stderr)
            .WithValidation(CommandResultValidation.None);
        if (spec.WorkingDirectory is not null)
        {
            command = command.WithWorkingDirectory(spec.WorkingDirectory);
        }

        _logger.LogDebug("run: {Command}", spec.Display());
        var started = _time.GetTimestamp();
        using var timeoutCts = spec.Timeout is { } t ? new CancellationTokenSource(t, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        var timedOut = false;
        var exitCode = -1;
        try
        {
            var running = command.ExecuteAsync(linked.Token);
            _ = StopReadingAfterExitAsync(running.ProcessId, drain);
            exitCode = (await running.ConfigureAwait(false)).ExitCode;
        }
        catch (OperationCanceledException) when (timeoutCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
        }
        catch (OperationCanceledException)
        {
            _logger.LogDebug("cancelled: {Command}", spec.Display());
            throw;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            // CliWrap reports a program that cannot be started as InvalidOperationException over the Win32Exception.
            var reason = ex.InnerException is Win32Exception inner ? inner.Message : ex.Message;
            throw new ProcessFailedException($"`{spec.Display()}` could not be started: {reason}", null, ex);
        }

        var elapsed = _time.GetElapsedTime(started);
        var result = new ProcessResult(spec, exitCode, stdout.ToString(), stderr.ToString(), elapsed, timedOut, stdout.Truncated || stderr.Truncated);
        _logger.LogDebug("exit {ExitCode} after {Ms:0} ms{TimedOut}: {Command}", result.ExitCode, elapsed.TotalMilliseconds, timedOut ? " (timed out)" : "", spec.Display());
        return result;
    }

    private static async Task StopReadingAfterExitAsync(int pid, CancellationTokenSource drain)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }

        try
        {
            drain.CancelAfter(DrainGrace);
        }
        catch (ObjectDisposedException)
        {
            // The run ended first.
        }
    }

    /// <summary>Keeps the first N chars (UTF-16 units, close enough for a bound) and reads on, dropping the rest, so the child never blocks on a full pipe.</summary>
    private sealed class BoundedCapture(int limit, CancellationToken drained) : PipeTarget
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();

        public bool Truncated { get; private set; }

        public override async Task CopyFromAsync(Stream origin, CancellationToken cancellationToken = default)
        {
            using var reader = new StreamReader(origin, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 8192, leaveOpen: true);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, drained);
            var buffer = new char[8192];
            try
            {
                int n;
                while ((n = await reader.ReadAsync(buffer.AsMemory(), linked.Token).ConfigureAwait(false)) > 0)
                {
                    Append(buffer.AsSpan(0, n));
                }
            }
            catch (OperationCanceledException) when (drained.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The command has exited; whoever still holds the pipe is not part of its result.
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }

        private void Append(ReadOnlySpan<char> chars)
        {
            lock (_gate)
            {
                var room = limit - _text.Length;
                if (room <= 0)
                {
                    Truncated = true;
                    return;
                }

                if (chars.Length > room)
                {
                    Truncated = true;
                    chars = chars[..room];
                }

                _text.Append(chars);
            }
        }
    }
}
