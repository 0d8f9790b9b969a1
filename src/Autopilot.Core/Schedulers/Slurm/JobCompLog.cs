using System.Globalization;

namespace Autopilot.Schedulers.Slurm;

/// <summary>
/// The jobcomp/filetxt completion log (JobCompLoc), one `Key=value` line per ended job. Read
/// directly when accounting storage is off, because `sacct -c` cannot print ArrayJobId/ArrayTaskId
/// and so reports array elements by their raw ids (84) instead of the ids they were submitted
/// and listed under (83_2) — the file itself has both.
/// </summary>
public static class JobCompLog
{
    /// <summary>How much of the end of the file is read: recent endings are all a tick needs.</summary>
    public const int TailBytes = 8 * 1024 * 1024;

    private static readonly string[] Keys =
    [
        "JobId", "UserId", "GroupId", "Name", "JobState", "Partition", "TimeLimit", "StartTime", "EndTime",
        "NodeList", "NodeCnt", "ProcCnt", "WorkDir", "ReservationName", "Tres", "Account", "QOS", "WcKey",
        "Cluster", "SubmitTime", "EligibleTime", "ArrayJobId", "ArrayTaskId", "DerivedExitCode", "ExitCode",
    ];

    /// <summary>Parses log lines into sacct-shaped rows: Id is <c>N_i</c> for array elements, RawId the element's own job id.</summary>
    public static IReadOnlyList<SacctRow> Parse(string text, TimeZoneInfo? zone = null)
    {
        zone ??= TimeZoneInfo.Local;
        return Records(text).Select(r => new SacctRow(
            r.Id,
            r.Fields["JobId"],
            r.Fields.GetValueOrDefault("Name") ?? "",
            r.Fields["JobState"],
            r.Fields.GetValueOrDefault("ExitCode") ?? "",
            Time(r.Fields.GetValueOrDefault("StartTime"), zone),
            Time(r.Fields.GetValueOrDefault("EndTime"), zone))).ToList();
    }

    /// <summary>
    /// Every job line with its fields by key (JobId and JobState always present) and its id as it
    /// was submitted and listed: <c>N_i</c> for an array element, else the job id.
    /// </summary>
    public static IEnumerable<(string Id, IReadOnlyDictionary<string, string> Fields)> Records(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("JobId=", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = Fields(line);
            if (!fields.TryGetValue("JobId", out var jobId) || !fields.ContainsKey("JobState"))
            {
                continue;
            }

            var id = fields.TryGetValue("ArrayJobId", out var arrayJob) && fields.TryGetValue("ArrayTaskId", out var task)
                && arrayJob.Length > 0 && task.Length > 0 && arrayJob != "0"
                ? $"{arrayJob}_{task}"
                : jobId;
            yield return (id, fields);
        }
    }

    /// <summary>Splits a line at the known keys, so a value with a space (a WorkDir) stays whole.</summary>
    private static Dictionary<string, string> Fields(string line)
    {
        var starts = new List<(int At, string Key)>();
        foreach (var key in Keys)
        {
            var probe = key + "=";
            var spaced = line.IndexOf(" " + probe, StringComparison.Ordinal);
            var at = line.StartsWith(probe, StringComparison.Ordinal) ? 0 : spaced >= 0 ? spaced + 1 : -1;
            if (at >= 0)
            {
                starts.Add((at, key));
            }
        }

        starts.Sort((a, b) => a.At.CompareTo(b.At));
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < starts.Count; i++)
        {
            var (at, key) = starts[i];
            var valueStart = at + key.Length + 1;
            var end = i + 1 < starts.Count ? starts[i + 1].At - 1 : line.Length;
            fields[key] = end > valueStart ? line[valueStart..end].Trim() : "";
        }

        return fields;
    }

    /// <summary>A local time of the log (<c>2026-11-21T23:52:06</c>); null when empty or unreadable.</summary>
    public static DateTimeOffset? Time(string? text, TimeZoneInfo zone)
    {
        if (string.IsNullOrEmpty(text) || !DateTime.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>Reads the last <see cref="TailBytes"/> of the log, starting at a whole line.</summary>
    public static string ReadTail(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var skip = Math.Max(0, stream.Length - TailBytes);
        stream.Seek(skip, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        if (skip > 0)
        {
            var newline = text.IndexOf('\n', StringComparison.Ordinal);
            text = newline < 0 ? "" : text[(newline + 1)..];
        }

        return text;
    }

    /// <summary>JobCompType and JobCompLoc from `scontrol show config` output.</summary>
    public static (string? Type, string? Location) FromConfig(string scontrolShowConfig)
    {
        string? type = null;
        string? location = null;
        foreach (var line in scontrolShowConfig.Split('\n'))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (key == "JobCompType")
            {
                type = value;
            }
            else if (key == "JobCompLoc")
            {
                location = value;
            }
        }

        return (type, location);
    }
}
