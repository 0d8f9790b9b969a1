using System.Globalization;
using System.Text;
using Autopilot.Schedulers.GridEngine;
using BenchmarkDotNet.Attributes;

namespace Autopilot.Benchmarks;

/// <summary>
/// `qstat -xml -r` with 100,000 jobs (about 50 MB, shaped like SGE 8.1.9's output): the listing of
/// a whole busy cell must parse in under 100 ms. Run: dotnet run -c Release --project
/// tests/Autopilot.Benchmarks -- --filter '*GridEngine*'
/// </summary>
[MemoryDiagnoser]
public class GridEngineParserBenchmarks
{
    private static readonly string[] Names = ["autopilot-cpu", "autopilot-gpu"];
    private string _xml = "";

    [Params(100_000)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public void Setup() => _xml = Listing(Jobs);

    /// <summary>
    /// One vectorised pass over the same text for a string that is not there: the floor set by
    /// memory bandwidth, to read the other numbers against on a shared or busy machine.
    /// </summary>
    [Benchmark(Baseline = true)]
    public int MemoryScanBaseline() => _xml.AsSpan().IndexOf("</no_such_tag>", StringComparison.Ordinal);

    [Benchmark]
    public int ParseQstatXml() => GridEngineParser.ParseQstatXml(_xml, Names, TimeZoneInfo.Utc).Count;

    [Benchmark]
    public int ParseQstatXmlOtherPool() => GridEngineParser.ParseQstatXml(_xml, ["autopilot-none"], TimeZoneInfo.Utc).Count;

    /// <summary>Half running, a quarter qw, a quarter hqw (same shape as the unit tests' generator).</summary>
    internal static string Listing(int jobs)
    {
        var sb = new StringBuilder(jobs * 520);
        sb.Append("<?xml version='1.0'?>\n<job_info  xmlns:xsd=\"http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd\">\n  <queue_info>\n");
        for (var i = 1; i <= jobs; i++)
        {
            if (i == jobs / 2 + 1)
            {
                sb.Append("  </queue_info>\n  <job_info>\n");
            }

            var running = i <= jobs / 2;
            var name = i % 2 == 0 ? "autopilot-gpu" : "autopilot-cpu";
            sb.Append("    <job_list state=\"").Append(running ? "running" : "pending").Append("\">\n")
              .Append("      <JB_job_number>").Append(i.ToString(CultureInfo.InvariantCulture)).Append("</JB_job_number>\n")
              .Append("      <JAT_prio>0.50000</JAT_prio>\n")
              .Append("      <JB_name>").Append(name).Append("</JB_name>\n")
              .Append("      <JB_owner>autopilot</JB_owner>\n")
              .Append("      <state>").Append(running ? "r" : i % 2 == 0 ? "hqw" : "qw").Append("</state>\n")
              .Append(running ? "      <JAT_start_time>2026-11-21T23:51:50</JAT_start_time>\n      <queue_name>all.q@vm</queue_name>\n"
                              : "      <JB_submission_time>2026-11-21T23:51:50</JB_submission_time>\n      <queue_name></queue_name>\n")
              .Append("      <slots>1</slots>\n")
              .Append("      <full_job_name>").Append(name).Append("</full_job_name>\n")
              .Append("      <hard_request name=\"h_rt\" resource_contribution=\"0.000000\">3600</hard_request>\n")
              .Append("      <hard_req_queue>all.q</hard_req_queue>\n")
              .Append("      <binding>NONE</binding>\n")
              .Append("    </job_list>\n");
        }

        sb.Append("  </job_info>\n</job_info>\n");
        return sb.ToString();
    }
}
