using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;

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
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.Split('\n'), zone);
    }

    /// <summary>The same, from lines already split (<see cref="ReadTailLines"/>).</summary>
    public static IReadOnlyList<SacctRow> Parse(IEnumerable<string> lines, TimeZoneInfo? zone = null)
    {
        zone ??= TimeZoneInfo.Local;
        return Records(lines).Select(r => new SacctRow(
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
        return Records(text.Split('\n'));
    }

    /// <summary>The same, from lines already split (<see cref="ReadTailLines"/>).</summary>
    public static IEnumerable<(string Id, IReadOnlyDictionary<string, string> Fields)> Records(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        foreach (var raw in lines)
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

    /// <summary>
    /// The lines of the last <see cref="TailBytes"/> of the log (from a whole line) that
    /// <paramref name="keep"/> accepts, read through one pooled buffer. A busy cluster's log holds
    /// thousands of other jobs' lines per megabyte and a tick wants a handful of its own: only kept
    /// lines become strings (the whole tail as text, split into lines and parsed, was about 7 MB of
    /// garbage per megabyte read, much of it on the large object heap, at every outcome check).
    /// </summary>
    public static List<string> ReadTailLines(string path, LineFilter keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        var skip = Math.Max(0, stream.Length - TailBytes);
        stream.Seek(skip, SeekOrigin.Begin);
        var kept = new List<string>();
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var filled = 0;
            var partial = skip > 0; // the first line of a tail that starts mid-file is cut: dropped
            var overlong = false;   // a line longer than the buffer is no log line of ours: dropped
            while (true)
            {
                var read = stream.Read(buffer, filled, buffer.Length - filled);
                filled += read;
                var start = 0;
                while (true)
                {
                    var newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        break;
                    }

                    Keep(buffer.AsSpan(start, newline), partial || overlong, keep, kept);
                    partial = overlong = false;
                    start += newline + 1;
                }

                if (read == 0)
                {
                    // The last line may lack its newline.
                    Keep(buffer.AsSpan(start, filled - start), partial || overlong, keep, kept);
                    return kept;
                }

                if (start == 0 && filled == buffer.Length)
                {
                    overlong = true;
                    filled = 0;
                    continue;
                }

                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                filled -= start;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Keep(ReadOnlySpan<byte> line, bool skip, LineFilter keep, List<string> kept)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (!skip && line.StartsWith("JobId="u8) && keep(line))
        {
            kept.Add(Encoding.UTF8.GetString(line));
        }
    }

    /// <summary>A cheap first look at a raw log line; the parse after it decides exactly.</summary>
    public delegate bool LineFilter(ReadOnlySpan<byte> line);

    /// <summary>Every line.</summary>
    public static readonly LineFilter All = static _ => true;

    /// <summary>Lines that may belong to a job of one of these names (a superset: Name=x also matches Name=xy).</summary>
    public static LineFilter NamedAny(IReadOnlyCollection<string>? names)
    {
        if (names is null)
        {
            return All;
        }

        var probes = names.Select(n => Encoding.UTF8.GetBytes("Name=" + n)).ToArray();
        return line =>
        {
            foreach (var probe in probes)
            {
                if (line.IndexOf(probe) >= 0)
                {
                    return true;
                }
            }

            return false;
        };
    }

    /// <summary>
    /// Lines that may belong to one of these job ids as submitted (<c>N</c>, or <c>N_i</c> for an
    /// array element, logged under its own JobId with ArrayJobId=N): the line's JobId or ArrayJobId
    /// is one of the N. An id that is not of that form keeps every line.
    /// </summary>
    public static LineFilter WithIdsAny(IEnumerable<string> ids)
    {
        var numbers = new HashSet<long>();
        foreach (var id in ids)
        {
            var cut = id.IndexOf('_', StringComparison.Ordinal);
            if (!long.TryParse(cut < 0 ? id : id[..cut], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                return All;
            }

            numbers.Add(n);
        }

        return line => numbers.Contains(Number(line, "JobId="u8)) || numbers.Contains(Number(line, " ArrayJobId="u8));
    }

    /// <summary>The digits after the first <paramref name="key"/> of the line; -1 when absent.</summary>
    private static long Number(ReadOnlySpan<byte> line, ReadOnlySpan<byte> key)
    {
        var at = line.IndexOf(key);
        return at >= 0 && Utf8Parser.TryParse(line[(at + key.Length)..], out long value, out _) ? value : -1;
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
