using System.Text;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;
using BenchmarkDotNet.Attributes;

namespace Autopilot.Benchmarks;

/// <summary>squeue output of 100,000 pilots (the bar: parsed in under 100 ms).</summary>
[MemoryDiagnoser]
public class SlurmParserBenchmarks
{
    private string _squeue = "";
    private string _pendingRanges = "";

    [Params(100_000)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const char us = '\u001F';
        var sb = new StringBuilder(Jobs * 110);
        for (var i = 0; i < Jobs; i++)
        {
            var running = i % 2 == 0;
            sb.Append("100000_").Append(i).Append(us).Append("100000").Append(us).Append(i).Append(us)
                .Append("autopilot-pool").Append(i % 7).Append(us)
                .Append(running ? "RUNNING" : "PENDING").Append(us)
                .Append(running ? "None" : (i % 3 == 0 ? "Priority" : "QOSMaxJobsPerUserLimit")).Append(us)
                .Append("2026-03-10T12:34:28").Append(us)
                .Append(running ? "2026-03-10T12:34:51" : "N/A").Append(us)
                .Append("1-00:00:00").Append(us)
                .Append(PilotMarker.Default).Append('\n');
        }

        _squeue = sb.ToString();
        // The same number of pilots as 100 pending ranges of 1,000 elements each (squeue without -r).
        var ranges = new StringBuilder();
        for (var a = 0; a < Jobs / 1000; a++)
        {
            ranges.Append(a + 1).Append("_[1-1000]").Append(us).Append(a + 1).Append(us).Append("1-1000").Append(us)
                .Append("autopilot-burst").Append(us).Append("PENDING").Append(us).Append("Resources").Append(us)
                .Append("2026-03-10T12:34:28").Append(us).Append("N/A").Append(us).Append("2:00:00").Append(us).Append(PilotMarker.Default).Append('\n');
        }

        _pendingRanges = ranges.ToString();
    }

    [Benchmark(Baseline = true)]
    public int OneLinePerJob() => SlurmParser.ParseSqueue(_squeue, TimeZoneInfo.Utc, PilotMarker.Default).Count;

    [Benchmark]
    public int PendingRanges() => SlurmParser.ParseSqueue(_pendingRanges, TimeZoneInfo.Utc, PilotMarker.Default).Count;
}
