using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Processes;

/// <summary>The CliWrap stand-in: argument arrays, bounded capture, a timeout that kills the tree.</summary>
public sealed class ProcessRunner : IProcessRunner
{
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

        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in spec.Arguments)
        {
            psi.ArgumentList.Add(arg);
        }

        if (spec.WorkingDirectory is not null)
        {
            psi.WorkingDirectory = spec.WorkingDirectory;
        }

        // Never the whole inherited environment: it may hold a password (password_env) that a
        // scheduler would copy into every job.
        ChildEnvironment.Apply(psi, spec.Environment);

        _logger.LogDebug("run: {Command}", spec.Display());
        var started = _time.GetTimestamp();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ProcessFailedException($"`{spec.Display()}` could not be started: {ex.Message}", null, ex);
        }

        var stdout = new BoundedCapture(spec.MaxOutputBytes);
        var stderr = new BoundedCapture(spec.MaxOutputBytes);
        var readOut = PumpAsync(process.StandardOutput, stdout);
        var readErr = PumpAsync(process.StandardError, stderr);

        try
        {
            if (spec.StandardInput is not null)
            {
                await process.StandardInput.WriteAsync(spec.StandardInput.AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command exited without reading its input; its exit code tells the rest.
        }

        using var timeoutCts = spec.Timeout is { } t ? new CancellationTokenSource(t, _time) : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutCts.Token);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            timedOut = timeoutCts.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            if (!timedOut)
            {
                _logger.LogDebug("cancelled: {Command}", spec.Display());
                await DrainAsync(readOut, readErr).ConfigureAwait(false);
                throw;
            }
        }

        await DrainAsync(readOut, readErr).ConfigureAwait(false);
        var elapsed = _time.GetElapsedTime(started);
        var result = new ProcessResult(
            spec,
            timedOut ? -1 : process.ExitCode,
            stdout.ToString(),
            stderr.ToString(),
            elapsed,
            timedOut,
            stdout.Truncated || stderr.Truncated);
        _logger.LogDebug("exit {ExitCode} after {Ms:0} ms{TimedOut}: {Command}", result.ExitCode, elapsed.TotalMilliseconds, timedOut ? " (timed out)" : "", spec.Display());
        return result;
    }

    private static async Task DrainAsync(Task readOut, Task readErr)
    {
        // A grandchild that inherited the pipes may keep them open after the kill; do not wait forever.
        var both = Task.WhenAll(readOut, readErr);
        await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
    }

    private static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(2000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (Win32Exception)
        {
            // Already gone or not ours to kill any more.
        }
    }

    private static async Task PumpAsync(StreamReader reader, BoundedCapture capture)
    {
        var buffer = new char[8192];
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer.AsMemory()).ConfigureAwait(false)) > 0)
            {
                capture.Append(buffer.AsSpan(0, n));
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Keeps the first N bytes (counted as UTF-16 chars ×1, close enough for a bound) and drops the rest.</summary>
    private sealed class BoundedCapture(int limit)
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();

        public bool Truncated { get; private set; }

        public void Append(ReadOnlySpan<char> chars)
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

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }
}
