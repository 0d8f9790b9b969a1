using System.Text.Json;

namespace Autopilot.DemandSources.HyperQueue;

/// <summary>Task counts summed over the jobs <c>hq job list</c> printed.</summary>
/// <param name="Jobs">Jobs listed.</param>
/// <param name="Waiting">Tasks not yet started (HQ derives it: task_count − running − finished − failed − canceled).</param>
/// <param name="Running">Tasks running on a worker.</param>
public sealed record HyperQueueTaskCounts(int Jobs, long Waiting, long Running);

/// <summary>
/// Parses <c>hq --output-mode json job list</c>. Targets the JSON shape of recent HyperQueue (0.2x;
/// crates/hyperqueue/src/client/output/json.rs, <c>format_job_info</c>, at commit a984866): an array of
/// <c>{"id", "name", "task_count", "is_open"?, "task_stats": {"running", "finished", "failed",
/// "canceled", "waiting"}}</c>. Fields other than task_stats.waiting and task_stats.running are
/// ignored, so older releases that also print "resources" parse too. On error HQ prints
/// <c>{"error": "..."}</c> and exits 1; that object is reported, not read as zero.
/// </summary>
public static class HyperQueueJobList
{
    public static HyperQueueTaskCounts Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not JSON ({ex.Message}): {Shorten(json)}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
            {
                throw new FormatException($"hq reported an error: {Shorten(error.ValueKind == JsonValueKind.String ? error.GetString()! : error.GetRawText())}");
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"expected a JSON array of jobs, got a JSON {root.ValueKind.ToString().ToLowerInvariant()}: {Shorten(json)}");
            }

            var jobs = 0;
            long waiting = 0;
            long running = 0;
            foreach (var job in root.EnumerateArray())
            {
                var id = job.ValueKind == JsonValueKind.Object && job.TryGetProperty("id", out var i) ? i.GetRawText() : $"#{jobs}";
                if (job.ValueKind != JsonValueKind.Object || !job.TryGetProperty("task_stats", out var stats) || stats.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException($"job {id} has no task_stats object (is this `hq job list` output of HyperQueue 0.19 or later?)");
                }

                waiting = checked(waiting + Count(stats, "waiting", id));
                running = checked(running + Count(stats, "running", id));
                jobs++;
            }

            return new HyperQueueTaskCounts(jobs, waiting, running);
        }
    }

    private static long Count(JsonElement stats, string name, string job)
    {
        if (!stats.TryGetProperty(name, out var value))
        {
            throw new FormatException($"job {job}: task_stats has no '{name}'");
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var n) || n < 0)
        {
            throw new FormatException($"job {job}: task_stats.{name} is {Shorten(value.GetRawText())}, not a non-negative whole number");
        }

        return n;
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 200 ? text : text[..200] + "...";
    }
}
