using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Testing;

namespace Autopilot.IntegrationTests.Service;

/// <summary>One received sd_notify datagram and when it came (since the listener started).</summary>
public sealed record Notification(TimeSpan At, string Message)
{
    public override string ToString() => $"{At.TotalSeconds,7:0.00}s {Message.Replace('\n', '|')}";
}

/// <summary>A real unix datagram socket standing in for systemd's $NOTIFY_SOCKET.</summary>
public sealed class NotifyListener : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly ConcurrentQueue<Notification> _received = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _reader;
    private volatile bool _closed;

    public NotifyListener(string directory)
    {
        SocketPath = System.IO.Path.Combine(directory, "notify.sock");
        _socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _reader = new Thread(Read) { IsBackground = true, Name = "notify-listener" };
        _reader.Start();
    }

    public string SocketPath { get; }

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<Notification> Received => [.. _received];

    public IReadOnlyList<Notification> With(string prefix) => Received.Where(n => n.Message.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    public string Transcript() => string.Join("\n", Received);

    /// <summary>Waits for a datagram that starts with <paramref name="prefix"/> (and, when given, passes <paramref name="match"/>) after <paramref name="after"/>.</summary>
    public async Task<Notification> WaitForAsync(string prefix, TimeSpan within, TimeSpan? after = null, Func<string, bool>? match = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var hit = Received.FirstOrDefault(n => n.At >= (after ?? TimeSpan.Zero) && n.Message.StartsWith(prefix, StringComparison.Ordinal) && (match is null || match(n.Message)));
            if (hit is not null)
            {
                return hit;
            }

            if (deadline.Elapsed > within)
            {
                throw new TimeoutException($"no '{prefix}' notification within {within.TotalSeconds:0} s; received:\n{Transcript()}");
            }

            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        _closed = true;
        _socket.Dispose();
        _reader.Join(TimeSpan.FromSeconds(2));
    }

    private void Read()
    {
        var buffer = new byte[8192];
        while (!_closed)
        {
            try
            {
                var n = _socket.Receive(buffer);
                _received.Enqueue(new Notification(_clock.Elapsed, Encoding.UTF8.GetString(buffer, 0, n)));
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }
}

/// <summary>A real `autopilot` process with its output captured line by line.</summary>
public sealed class AutopilotProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AutopilotProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Lines => [.. _output];

    public string Output => string.Join("\n", _output);

    /// <summary>Starts `autopilot ARGS` with a clean environment apart from <paramref name="environment"/>.</summary>
    public static AutopilotProcess Start(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(AutopilotBinary.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // The test host's own systemd-looking variables must not leak into the child.
        foreach (var name in new[] { "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "AUTOPILOT_CONFIG" })
        {
            info.Environment.Remove(name);
        }

        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("AUTOPILOT__", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new AutopilotProcess(process);
        process.OutputDataReceived += (_, e) => started.Collect(e.Data, started._stdoutDone);
        process.ErrorDataReceived += (_, e) => started.Collect(e.Data, started._stderrDone);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Runs `autopilot ARGS` to the end and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        using var process = Start(arguments);
        var code = await process.WaitForExitAsync(timeout);
        return (code, process.Output);
    }

    /// <summary>Sends a signal by pid (kill(1)), as systemd would.</summary>
    public async Task SignalAsync(string signal)
    {
        var result = await TestServices.RunUncheckedAsync("kill", ["-s", signal, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"kill -s {signal} {Pid} failed: {result.Describe()}\noutput:\n{Output}");
        }
    }

    /// <summary>kill -9: no signal handler runs, no goodbye to PostgreSQL or systemd.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>Waits for a line of output containing <paramref name="text"/>.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan within, int skip = 0)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var hit = Lines.Skip(skip).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (hit is not null)
            {
                return hit;
            }

            if (clock.Elapsed > within || _process.HasExited)
            {
                throw new TimeoutException($"no line with '{text}' within {within.TotalSeconds:0} s (exited: {_process.HasExited}); output:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the exit and for all output; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"autopilot (pid {Pid}) still running after {within.TotalSeconds:0} s; output:\n{Output}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private void Collect(string? line, TaskCompletionSource done)
    {
        if (line is null)
        {
            done.TrySetResult();
            return;
        }

        _output.Enqueue(line);
    }
}
