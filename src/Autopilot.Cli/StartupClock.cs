using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Autopilot.Cli;

/// <summary>
/// Where a short-lived command's time goes (docs/performance.md, "Whole-process tick"): wall and
/// CPU time of each phase from the start of Main, and the methods the JIT compiled in it (the
/// code ReadyToRun did not cover). Logged at debug level by `tick`.
/// </summary>
internal static class StartupClock
{
    // An array, not a List<Stamp>: a list of a struct is generic code that ReadyToRun leaves to the JIT.
    private static readonly Stamp[] Marks = new Stamp[16];
    private static int _count;
    private static long _start;

    /// <summary>Called first thing in Main.</summary>
    public static void Begin()
    {
        _start = Stopwatch.GetTimestamp();
        Marks[_count++] = Now("start");
    }

    public static void Mark(string phase)
    {
        if (_start != 0 && _count < Marks.Length)
        {
            Marks[_count++] = Now(phase);
        }
    }

    /// <summary>"before Main 30 ms wall (…); command line 12.0 ms (cpu 11 ms, 30 JIT), …".</summary>
    public static string Describe()
    {
        var text = new StringBuilder();
        if (ProcessStartedAgo() is { } ago)
        {
            text.Append(CultureInfo.InvariantCulture, $"before Main {ago - Stopwatch.GetElapsedTime(_start).TotalMilliseconds:0} ms wall (cpu {Marks[0].Cpu.TotalMilliseconds:0} ms, {Marks[0].Jitted} JIT); ");
        }

        for (var i = 1; i < _count; i++)
        {
            var (previous, mark) = (Marks[i - 1], Marks[i]);
            text.Append(CultureInfo.InvariantCulture,
                $"{mark.Phase} {(mark.Wall - previous.Wall).TotalMilliseconds:0.0} ms (cpu {(mark.Cpu - previous.Cpu).TotalMilliseconds:0}, {mark.Jitted - previous.Jitted} JIT), ");
        }

        var end = Now("end");
        text.Append(CultureInfo.InvariantCulture,
            $"since Main {end.Wall.TotalMilliseconds:0.0} ms, process cpu {end.Cpu.TotalMilliseconds:0} ms, {end.Jitted} methods JIT-compiled in {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms");
        return text.ToString();
    }

    private static Stamp Now(string phase) =>
        new(phase, Stopwatch.GetElapsedTime(_start), Environment.CpuUsage.TotalTime, (int)System.Runtime.JitInfo.GetCompiledMethodCount());

    // Linux: field 22 of /proc/self/stat is the start time in clock ticks after boot (USER_HZ, 100 on every Linux ABI).
    private static double? ProcessStartedAgo()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTicks = long.Parse(fields[19], CultureInfo.InvariantCulture);
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            return (uptime - startTicks / 100.0) * 1000;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private readonly record struct Stamp(string Phase, TimeSpan Wall, TimeSpan Cpu, int Jitted);
}
