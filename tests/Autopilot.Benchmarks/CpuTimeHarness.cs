using System.Diagnostics;

namespace Autopilot.Benchmarks;

/// <summary>
/// Process CPU time per parse for every 100,000-job parser benchmark. On a shared machine wall time
/// measures the load as much as the code; CPU time (all threads of this process, GC included) does
/// not count the time spent waiting for a core.
/// Run: dotnet run -c Release --project tests/Autopilot.Benchmarks -- cpu [iterations] [filter]
/// </summary>
public static class CpuTimeHarness
{
    public static void Run(string[] args)
    {
        var iterations = args.Length > 1 && int.TryParse(args[1], out var n) ? n : 20;
        var filter = args.Length > 2 ? args[2] : "";
        var slurm = new SlurmParserBenchmarks { Jobs = 100_000 };
        slurm.Setup();
        var sge = new GridEngineParserBenchmarks { Jobs = 100_000 };
        sge.Setup();
        var pbs = new PbsLsfParserBenchmarks();
        pbs.Setup();
        (string Name, Func<int> Parse)[] cases =
        [
            ("Slurm squeue", slurm.OneLinePerJob),
            ("Grid Engine qstat -xml", sge.ParseQstatXml),
            ("PBS JSON", pbs.PbsJson),
            ("PBS text", pbs.PbsFullText),
            ("Torque XML", pbs.TorqueXml),
            ("LSF JSON", pbs.LsfJson),
            ("LSF delimited", pbs.LsfDelimited),
        ];
        Console.WriteLine($"{"format",-24} {"jobs",7} {"CPU ms/parse",13} {"wall ms/parse",14} {"min wall ms",12} {"alloc MB/parse",15} {"GCs g0/g1/g2",14} {"GC pause ms/parse",18}");
        foreach (var (name, parse) in cases)
        {
            if (filter.Length > 0 && !name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var count = 0;
            for (var i = 0; i < 5; i++)
            {
                count = parse();
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var alloc0 = GC.GetTotalAllocatedBytes(precise: true);
            var gc0 = GC.CollectionCount(0);
            var gc1 = GC.CollectionCount(1);
            var gc2 = GC.CollectionCount(2);
            var pause0 = GC.GetTotalPauseDuration();
            var minWall = double.MaxValue;
            var total = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                var one = Stopwatch.StartNew();
                count = parse();
                minWall = Math.Min(minWall, one.Elapsed.TotalMilliseconds);
            }

            var wall = total.Elapsed.TotalMilliseconds / iterations;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds / iterations;
            var alloc = (GC.GetTotalAllocatedBytes(precise: true) - alloc0) / (double)iterations / (1024 * 1024);
            Console.WriteLine($"{name,-24} {count,7} {cpu,13:F1} {wall,14:F1} {minWall,12:F1} {alloc,15:F2} {$"{GC.CollectionCount(0) - gc0}/{GC.CollectionCount(1) - gc1}/{GC.CollectionCount(2) - gc2}",14} {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / iterations,18:F1}");
        }
    }
}
