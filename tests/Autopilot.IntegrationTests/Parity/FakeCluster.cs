using System.Globalization;
using System.Text;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.Parity;

/// <summary>
/// A private copy of tests/fakes/&lt;kind&gt; (pbs, torque, lsf) plus a tiny queue kept by the test:
/// the fakes only replay what they are told, so after every autopilot run <see cref="Sync"/> reads
/// the submissions the fake qsub/bsub recorded and makes the fake qstat/bjobs list exactly those
/// jobs, queued, the way that scheduler prints them. The job ids qsub/bsub print are fixed in advance
/// (call n prints job 1000+n).
/// </summary>
internal sealed class FakeCluster : IDisposable
{
    private const int FirstId = 1000;

    public FakeCluster(string kind)
    {
        Kind = kind;
        Dir = Directory.CreateTempSubdirectory($"ap-parity-fake-{kind}-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.Repo, "tests", "fakes", kind)))
        {
            var target = Path.Combine(Dir, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }

        File.Copy(Path.Combine(TestPaths.Repo, "tests", "fakes", "fakelib.sh"), Path.Combine(Dir, "fakelib.sh"));
        Directory.CreateDirectory(Path.Combine(Dir, "responses"));
        for (var n = 1; n <= 20; n++)
        {
            var id = FirstId + n;
            var (command, stdout) = kind switch
            {
                "pbs" => ("qsub", $"{id}[].srv\n"),
                "torque" => ("qsub", $"{id}[].head\n"),
                _ => ("bsub", $"Job <{id}> is submitted to queue <normal>.\n"),
            };
            Respond(command + "." + n.ToString(CultureInfo.InvariantCulture), stdout, "", 0);
        }

        Sync();
    }

    public string Kind { get; }

    public string Dir { get; }

    public string SubmitCommand => Kind == "lsf" ? "bsub" : "qsub";

    /// <summary>Every submission so far: its argv, the id printed, and how many pilots it asked for.</summary>
    public IReadOnlyList<(string[] Args, int Id, int Size)> Submissions()
    {
        var calls = Path.Combine(Dir, "calls");
        if (!Directory.Exists(calls))
        {
            return [];
        }

        var result = new List<(string[], int, int)>();
        var files = Directory.GetFiles(calls, "*." + SubmitCommand).Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < files.Count; i++)
        {
            var text = File.ReadAllText(files[i]);
            var args = text.Length == 0 ? [] : text[..^1].Split('\0');
            result.Add((args, FirstId + i + 1, ArraySize(args)));
        }

        return result;
    }

    /// <summary>Points the listing command at the jobs submitted so far (all queued).</summary>
    public void Sync()
    {
        var user = Environment.UserName;
        var jobs = Submissions().Select(s => (Name: JobName(s.Args), s.Id, s.Size)).ToList();
        switch (Kind)
        {
            case "pbs":
                Respond("qstat", jobs.Count == 0 ? "" : PbsJson(jobs, user), "", 0);
                break;
            case "torque":
                Respond("qstat", jobs.Count == 0 ? "" : TorqueXml(jobs, user), "", 0);
                break;
            default:
                if (jobs.Count == 0)
                {
                    Respond("bjobs", "", "No unfinished job found\n", 255);
                }
                else
                {
                    Respond("bjobs", LsfJson(jobs, user), "", 0);
                }

                break;
        }
    }

    private string JobName(string[] args)
    {
        var flag = Kind == "lsf" ? "-J" : "-N";
        var i = Array.IndexOf(args, flag);
        var name = i >= 0 && i + 1 < args.Length ? args[i + 1] : throw new InvalidOperationException($"{SubmitCommand} was called without {flag}: {string.Join(' ', args)}");
        var bracket = name.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? name : name[..bracket];
    }

    private int ArraySize(string[] args)
    {
        string? range = null;
        if (Kind == "lsf")
        {
            var i = Array.IndexOf(args, "-J");
            var name = i >= 0 && i + 1 < args.Length ? args[i + 1] : "";
            var open = name.IndexOf('[', StringComparison.Ordinal);
            range = open < 0 ? null : name[(open + 1)..^1];
        }
        else
        {
            var i = Array.IndexOf(args, Kind == "pbs" ? "-J" : "-t");
            range = i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        if (range is null)
        {
            return 1;
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        return int.Parse(range[(dash + 1)..], CultureInfo.InvariantCulture) - int.Parse(range[..dash], CultureInfo.InvariantCulture) + 1;
    }

    private static string PbsJson(List<(string Name, int Id, int Size)> jobs, string user)
    {
        var entries = new List<string>();
        foreach (var (name, id, size) in jobs)
        {
            if (size == 1)
            {
                entries.Add(PbsEntry($"{id}.srv", name, user, array: false));
                continue;
            }

            // qstat -t lists the parent and every subjob.
            entries.Add(PbsEntry($"{id}[].srv", name, user, array: true));
            for (var k = 1; k <= size; k++)
            {
                entries.Add(PbsEntry($"{id}[{k}].srv", name, user, array: false));
            }
        }

        return "{\n    \"timestamp\":1767225600,\n    \"pbs_version\":\"19.1.0\",\n    \"pbs_server\":\"srv\",\n    \"Jobs\":{\n"
            + string.Join(",\n", entries) + "\n    }\n}\n";
    }

    private static string PbsEntry(string id, string name, string user, bool array) =>
        $"        \"{id}\":{{\n            \"Job_Name\":\"{name}\",\n            \"Job_Owner\":\"{user}@login1\",\n            \"job_state\":\"Q\",\n"
        + $"            \"queue\":\"workq\",\n            \"qtime\":\"Thu Jan  1 00:00:00 2026\",\n"
        + (array ? "            \"array\":\"True\",\n" : "")
        + "            \"Resource_List\":{\n                \"ncpus\":1,\n                \"walltime\":\"00:30:00\"\n            }\n        }";

    private static string TorqueXml(List<(string Name, int Id, int Size)> jobs, string user)
    {
        var sb = new StringBuilder("<Data>");
        foreach (var (name, id, size) in jobs)
        {
            var ids = size == 1 ? [$"{id}.head"] : Enumerable.Range(1, size).Select(k => $"{id}[{k}].head");
            foreach (var jobId in ids)
            {
                sb.Append("<Job><Job_Id>").Append(jobId).Append("</Job_Id><Job_Name>").Append(name).Append("</Job_Name><Job_Owner>")
                  .Append(user).Append("@login1</Job_Owner><job_state>Q</job_state><queue>batch</queue><qtime>1767225600</qtime>")
                  .Append("<Resource_List><nodes>1:ppn=1</nodes><walltime>00:30:00</walltime></Resource_List></Job>");
            }
        }

        return sb.Append("</Data>\n").ToString();
    }

    private static string LsfJson(List<(string Name, int Id, int Size)> jobs, string user)
    {
        var records = new List<string>();
        foreach (var (name, id, size) in jobs)
        {
            for (var k = 1; k <= size; k++)
            {
                var index = size == 1 ? "0" : k.ToString(CultureInfo.InvariantCulture);
                var jobName = size == 1 ? name : $"{name}[{k}]";
                records.Add($"    {{\n      \"JOBID\":\"{id}\",\n      \"JOBINDEX\":\"{index}\",\n      \"JOB_NAME\":\"{jobName}\",\n      \"STAT\":\"PEND\",\n"
                    + $"      \"QUEUE\":\"normal\",\n      \"USER\":\"{user}\",\n      \"SUBMIT_TIME\":\"Jan  1 00:00\",\n      \"START_TIME\":\"\",\n      \"TIME_LEFT\":\"\",\n"
                    + "      \"RUNTIMELIMIT\":\"00:30:00\",\n      \"PEND_REASON\":\"New job is waiting for scheduling;\"\n    }");
            }
        }

        return $"{{\n  \"COMMAND\":\"bjobs\",\n  \"JOBS\":{records.Count},\n  \"RECORDS\":[\n" + string.Join(",\n", records) + "\n  ]\n}\n";
    }

    private void Respond(string stem, string stdout, string stderr, int exit)
    {
        var path = Path.Combine(Dir, "responses", stem);
        File.WriteAllText(path + ".stdout", stdout);
        File.WriteAllText(path + ".stderr", stderr);
        File.WriteAllText(path + ".exit", exit.ToString(CultureInfo.InvariantCulture));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
