using System.Text;
using Autopilot.Schedulers.Lsf;
using Autopilot.Schedulers.Pbs;
using BenchmarkDotNet.Attributes;

namespace Autopilot.Benchmarks;

/// <summary>
/// Parsing 100,000 jobs from each listing form the PBS, Torque and LSF adapters read (target: under 100 ms).
/// Run: dotnet run -c Release --project tests/Autopilot.Benchmarks -- --filter '*PbsLsf*'
/// </summary>
[MemoryDiagnoser]
public class PbsLsfParserBenchmarks
{
    private const int Jobs = 100_000;
    private static readonly DateTimeOffset Now = new(2019, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private string _pbsJson = "";
    private string _pbsText = "";
    private string _torqueXml = "";
    private string _lsfJson = "";
    private string _lsfDelimited = "";
    private string[] _names = [];

    [GlobalSetup]
    public void Setup()
    {
        _names = ["autopilot-gen"];
        var sb = new StringBuilder();
        sb.Append("{\n    \"timestamp\":1618432467,\n    \"pbs_version\":\"20.0.1\",\n    \"pbs_server\":\"srv\",\n    \"Jobs\":{\n");
        for (var i = 0; i < Jobs; i++)
        {
            sb.Append("        \"").Append(i).Append("[1].srv\":{\n            \"Job_Name\":\"autopilot-gen\",\n            \"Job_Owner\":\"alice@login1\",\n")
              .Append("            \"job_state\":\"").Append(i % 3 == 0 ? "R" : "Q").Append("\",\n            \"queue\":\"workq\",\n")
              .Append("            \"Resource_List\":{\n                \"ncpus\":1,\n                \"walltime\":\"01:00:00\"\n            },\n")
              .Append("            \"qtime\":\"Wed Apr 14 23:34:17 2021\",\n            \"comment\":\"Not Running: Insufficient amount of resource: ncpus\",\n")
              .Append("            \"Variable_List\":{\n                \"PBS_O_HOME\":\"/home/alice\",\n                \"PBS_O_SHELL\":\"/bin/bash\",\n                \"X\":005\n            }\n")
              .Append(i == Jobs - 1 ? "        }\n" : "        },\n");
        }

        _pbsJson = sb.Append("    }\n}\n").ToString();

        sb.Clear();
        for (var i = 0; i < Jobs; i++)
        {
            sb.Append("Job Id: ").Append(i).Append(".srv\n    Job_Name = autopilot-gen\n    Job_Owner = alice@login1\n    job_state = Q\n    queue = workq\n")
              .Append("    qtime = Wed Apr 14 23:34:17 2021\n    Resource_List.walltime = 01:00:00\n    Variable_List = PBS_O_HOME=/home/alice,\n\tPBS_O_SHELL=/bin/bash\n\n");
        }

        _pbsText = sb.ToString();

        sb.Clear().Append("<Data>");
        for (var i = 0; i < Jobs; i++)
        {
            sb.Append("<Job><Job_Id>").Append(i).Append(".srv</Job_Id><Job_Name>autopilot-gen</Job_Name><Job_Owner>alice@login1</Job_Owner><job_state>Q</job_state>")
              .Append("<queue>batch</queue><qtime>1522255162</qtime><Resource_List><nodes>1:ppn=1</nodes><walltime>01:00:00</walltime></Resource_List>")
              .Append("<Variable_List>PBS_O_HOME=/home/alice,PBS_O_SHELL=/bin/bash</Variable_List></Job>");
        }

        _torqueXml = sb.Append("</Data>\n").ToString();

        sb.Clear().Append("{\n  \"COMMAND\":\"bjobs\",\n  \"JOBS\":").Append(Jobs).Append(",\n  \"RECORDS\":[\n");
        for (var i = 0; i < Jobs; i++)
        {
            sb.Append("    {\n      \"JOBID\":\"").Append(1000 + (i / 10)).Append("\",\n      \"JOBINDEX\":\"").Append((i % 10) + 1)
              .Append("\",\n      \"JOB_NAME\":\"autopilot-gen[").Append((i % 10) + 1).Append("]\",\n      \"STAT\":\"").Append(i % 2 == 0 ? "RUN" : "PEND")
              .Append("\",\n      \"QUEUE\":\"normal\",\n      \"SUBMIT_TIME\":\"Dec 28 19:56\",\n      \"START_TIME\":\"\",\n      \"TIME_LEFT\":\"\",\n")
              .Append("      \"RUNTIMELIMIT\":\"01:00:00\",\n      \"PEND_REASON\":\"\"\n    }").Append(i == Jobs - 1 ? "\n" : ",\n");
        }

        _lsfJson = sb.Append("  ]\n}\n").ToString();

        sb.Clear();
        for (var i = 0; i < Jobs; i++)
        {
            sb.Append(1000 + i).Append("|0|autopilot-gen|PEND|normal|Dec 28 19:56|-|-|01:00:00|New job is waiting for scheduling;\n");
        }

        _lsfDelimited = sb.ToString();
    }

    // The tick's path (PbsScheduler.ListAsync): each job read goes straight to the pilot collector.
    [Benchmark]
    public int PbsJson()
    {
        var pilots = new PbsPilotCollector(_names, PbsFlavor.PbsPro);
        PbsParsers.ParseJson(_pbsJson, TimeZoneInfo.Utc, pilots);
        return pilots.Pilots().Count;
    }

    [Benchmark]
    public int PbsFullText()
    {
        var pilots = new PbsPilotCollector(_names, PbsFlavor.PbsPro);
        PbsParsers.ParseFullText(_pbsText, TimeZoneInfo.Utc, pilots);
        return pilots.Pilots().Count;
    }

    [Benchmark]
    public int TorqueXml()
    {
        var pilots = new PbsPilotCollector(_names, PbsFlavor.Torque);
        TorqueXmlParser.Parse(_torqueXml, TimeZoneInfo.Utc, pilots);
        return pilots.Pilots().Count;
    }

    [Benchmark]
    public int LsfJson() => LsfParsers.PilotsFromJson(_lsfJson, _names, includeFinished: false, Now, TimeZoneInfo.Utc).Count;

    [Benchmark]
    public int LsfDelimited() => LsfParsers.PilotsFromDelimited(_lsfDelimited, LsfParsers.ListFields, _names, includeFinished: false, Now, TimeZoneInfo.Utc).Count;
}
