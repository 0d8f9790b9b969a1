using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using BenchmarkDotNet.Attributes;
using static Autopilot.DemandSources.HyperShell.HyperShellTaskState;

namespace Autopilot.Benchmarks;

/// <summary>
/// One HyperShell demand measurement on SQLite (open read-only, schema check, bounded counts,
/// close) over 1,000,000 task rows of which 100,000 pending, saturation 2000; and over 10,000 rows
/// with the same proportions, to show the cost does not follow the table size.
/// Run: dotnet run -c Release --project tests/Autopilot.Benchmarks -- --filter '*HyperShellDemand*'
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class HyperShellDemandBenchmarks
{
    private const long Saturation = 2000;
    private string dir = "";
    private HyperShellDemandSource million = null!;
    private HyperShellDemandSource millionGrouped = null!;
    private HyperShellDemandSource tenThousand = null!;

    [GlobalSetup]
    public void Setup()
    {
        dir = Directory.CreateTempSubdirectory("autopilot-bench-hs-").FullName;
        million = Create("million.db", HyperShellSchemaVersion.Classic, 1000);
        millionGrouped = Create("million-grouped.db", HyperShellSchemaVersion.Grouped, 1000);
        tenThousand = Create("ten-thousand.db", HyperShellSchemaVersion.Classic, 10);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(dir, recursive: true);

    [Benchmark(Baseline = true, Description = "1M rows, 100k pending")]
    public Task<Domain.Demand> Million() => million.MeasureAsync(Saturation, CancellationToken.None);

    [Benchmark(Description = "1M rows, 100k pending, 2.8 groups")]
    public Task<Domain.Demand> MillionGrouped() => millionGrouped.MeasureAsync(Saturation, CancellationToken.None);

    [Benchmark(Description = "10k rows, 1k pending")]
    public Task<Domain.Demand> TenThousand() => tenThousand.MeasureAsync(Saturation, CancellationToken.None);

    /// <summary>scale x 1000 rows: 85% succeeded, 3% failed, 1% cancelled, 1% running, 10% pending (appended last).</summary>
    private HyperShellDemandSource Create(string name, HyperShellSchemaVersion version, long scale)
    {
        var path = Path.Combine(dir, name);
        HyperShellTestDatabase.CreateSqlite(path, version,
            new HyperShellTaskBatch(Succeeded, 850 * scale) { Group = 0 },
            new HyperShellTaskBatch(Failed, 30 * scale) { Group = 0, Retried = true },
            new HyperShellTaskBatch(Cancelled, 10 * scale) { Group = 0 },
            new HyperShellTaskBatch(Running, 10 * scale) { Group = 1 },
            new HyperShellTaskBatch(Pending, 100 * scale) { Group = 1 });
        return new HyperShellDemandSource(new HyperShellOptions { Backend = "sqlite", Path = path, MaxRetries = 2 });
    }
}
