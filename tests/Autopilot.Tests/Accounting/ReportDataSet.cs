using Autopilot.Configuration;
using Autopilot.State;

namespace Autopilot.Tests.Accounting;

/// <summary>
/// The fixed report data set (shared by the unit tests and the browser test): two pools over
/// 2026-11-01 .. 2026-11-04, with the figures worked out by hand in the comments.
/// </summary>
internal static class ReportDataSet
{
    public static readonly DateTimeOffset From = At(11, 1, 0, 0);
    public static readonly DateTimeOffset To = At(11, 4, 0, 0);

    // cpu: 8 cores x 1 node at core_hour 1 + node_hour 0.5 = 8.5 an hour; gpu: 4 cores x 2 nodes = 8 + 1 = 9 an hour.
    public static string Config(string stateDir) => $"""
        state_dir = "{stateDir}"
        [[pool]]
        name = "cpu"
        [pool.scheduler]
        queue = "debug"
        account = "proj1"
        cpus = 8
        nodes = 1
        [pool.limits]
        max_pilots = 4
        tasks_per_pilot = 2
        [[pool]]
        name = "gpu"
        [pool.scheduler]
        queue = "gpu"
        account = "proj2"
        cpus = 4
        nodes = 2
        [pool.limits]
        max_pilots = 2
        [pricing]
        unit = "SU"
        core_hour = 1
        node_hour = 0.5
        [budget.pool.cpu]
        amount = 1000

        """;

    public static IReadOnlyList<PilotRecord> Pilots { get; } =
    [
        Row("cpu", "c0", At(10, 29, 0, 0), At(10, 29, 1, 0), At(10, 30, 0, 0), "Completed"), // before the range
        // Busy time (cpu only: the gpu pool's task server was not read): c1 3 h of 4 h, c2 1 h of 2 h,
        // c3 1.5 h of its 3 h run, 2 of them in range: 1 h; c4 1.5 h of 3 h. cpu busy 6.5 h of 11 h = 0.59, 27 tasks.
        Row("cpu", "c1", At(11, 1, 1, 0), At(11, 1, 1, 30), At(11, 1, 5, 30), "Completed") with { BusySeconds = 3 * 3600, Tasks = 12 }, // 4 h, waited 30 min
        Row("cpu", "c2", At(11, 2, 10, 0), At(11, 2, 10, 10), At(11, 2, 12, 10), "Walltime") with { BusySeconds = 3600, Tasks = 5 }, // 2 h, waited 10 min
        Row("cpu", "c3", At(10, 31, 22, 0), At(10, 31, 23, 0), At(11, 1, 2, 0), "Completed") with { BusySeconds = 1.5 * 3600, Tasks = 6 }, // 2 h in range, started before it
        Row("cpu", "c4", At(11, 3, 20, 0), At(11, 3, 21, 0), null, null) with { BusySeconds = 1.5 * 3600, Tasks = 4 }, // still running: 3 h to the end, waited 60 min
        Row("gpu", "g1", At(11, 2, 0, 0), At(11, 2, 1, 0), At(11, 2, 7, 0), "Failed"), // 6 h, waited 60 min
        Row("gpu", "g2", At(11, 3, 0, 0), null, At(11, 3, 1, 0), "Cancelled"), // never ran
    ];

    /// <summary>cpu: 6 samples (one without demand) every 10 minutes; gpu: 4.</summary>
    public static IReadOnlyList<PoolSample> Samples { get; } =
    [
        .. new long?[] { 4, 4, 8, 8, 0, null }.Select((d, i) => new PoolSample(At(11, 1, 1, 0).AddMinutes(10 * i), "cpu", d, i < 2 ? 1 : 0, i < 4 ? 2 : 1)),
        .. new long?[] { 2, 2, 2, 0 }.Select((d, i) => new PoolSample(At(11, 2, 0, 0).AddMinutes(10 * i), "gpu", d, i == 0 ? 1 : 0, i == 0 ? 0 : 1)),
    ];

    public static AutopilotOptions Options(string dir)
    {
        var path = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(path, Config(Path.Combine(dir, "state")));
        var loaded = ConfigLoader.Load(new ConfigRequest { ConfigPath = path, WorkingDirectory = dir });
        Assert.Empty(loaded.Errors);
        return loaded.Options;
    }

    /// <summary>Writes the config to dir/autopilot.toml and the rows into dir/state/state.db; returns the config path.</summary>
    public static async Task<string> SeedAsync(string dir)
    {
        Options(dir);
        var stateDir = Path.Combine(dir, "state");
        Directory.CreateDirectory(stateDir);
        await using var store = await SqliteStateStore.OpenAsync(stateDir, CancellationToken.None);
        await store.SavePilotsAsync(Pilots, CancellationToken.None);
        foreach (var s in Samples)
        {
            await store.AddSampleAsync(s, TimeSpan.FromDays(36500), CancellationToken.None);
        }

        return Path.Combine(dir, "autopilot.toml");
    }

    private static PilotRecord Row(string pool, string id, DateTimeOffset submitted, DateTimeOffset? started, DateTimeOffset? ended, string? end) =>
        pool == "cpu"
            ? new(pool, id, submitted, started, ended, 8, 1, 0, TimeSpan.FromHours(6), "debug", "proj1", end)
            : new(pool, id, submitted, started, ended, 4, 2, 0, TimeSpan.FromHours(6), "gpu", "proj2", end);

    private static DateTimeOffset At(int month, int day, int hour, int minute) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);
}
