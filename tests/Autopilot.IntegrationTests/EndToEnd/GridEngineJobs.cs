using System.Globalization;
using System.Xml.Linq;
using Autopilot.IntegrationTests.Infrastructure;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>Grid Engine jobs of one job name as `qstat -xml` shows them, array elements one per row.</summary>
public static class GridEngineJobs
{
    /// <summary>Id (N.i for array elements) and state of every job named <paramref name="jobName"/>.</summary>
    public static async Task<IReadOnlyList<(string Id, string State)>> ListAsync(string jobName)
    {
        var result = await TestServices.RunAsync("qstat", ["-xml", "-u", "*"], TestServices.SgeEnvironment);
        var jobs = new List<(string, string)>();
        foreach (var job in XDocument.Parse(result.StandardOutput).Descendants("job_list"))
        {
            if ((string?)job.Element("JB_name") != jobName)
            {
                continue;
            }

            var number = (string?)job.Element("JB_job_number") ?? "";
            var state = (string?)job.Element("state") ?? "";
            var tasks = (string?)job.Element("tasks");
            foreach (var task in Expand(tasks))
            {
                jobs.Add((task is null ? number : $"{number}.{task}", state));
            }
        }

        return jobs;
    }

    /// <summary>"1-8:1", "4,6", "7" → task numbers; null for a job that is not an array.</summary>
    private static IEnumerable<int?> Expand(string? tasks)
    {
        if (string.IsNullOrEmpty(tasks))
        {
            yield return null;
            yield break;
        }

        foreach (var part in tasks.Split(','))
        {
            var range = part.Split(':')[0].Split('-');
            var step = part.Contains(':', StringComparison.Ordinal) ? int.Parse(part.Split(':')[1], CultureInfo.InvariantCulture) : 1;
            var from = int.Parse(range[0], CultureInfo.InvariantCulture);
            var to = range.Length > 1 ? int.Parse(range[1], CultureInfo.InvariantCulture) : from;
            for (var t = from; t <= to; t += step)
            {
                yield return t;
            }
        }
    }
}
