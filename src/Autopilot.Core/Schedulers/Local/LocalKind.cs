using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers.Local;

/// <summary>local processes as a <see cref="SchedulerKind"/>: the adapter, the commands `check` looks for.</summary>
internal static class LocalKind
{
    public static SchedulerKind Describe(string name) =>
        new(name, [], null, s => new LocalScheduler(s.StateDir, s.Loggers.CreateLogger<LocalScheduler>(), s.Time, setsid: s.Options.BinDir is { Length: > 0 } dir ? Path.Combine(dir, "setsid") : "/usr/bin/setsid"));
}
