using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.Domain;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Pbs;

/// <summary>What <c>qstat -f -F json</c> printed.</summary>
/// <param name="HasJobsKey">False when the document has no "Jobs" key: no job matched, or the server was not reached.</param>
/// <param name="PlainTextPrefix">Text printed before the JSON (OpenPBS bug with <c>-u</c>, PR #2675); null when none.</param>
public sealed record PbsJsonListing(IReadOnlyList<PbsJob> Jobs, bool HasJobsKey, string? PlainTextPrefix, string? Server);

/// <summary>Pure parsers for PBS Pro/OpenPBS and Torque command output.</summary>
public static partial class PbsParsers
{
    /// <summary>Parses <c>qstat -f -F json</c> tolerantly (see <see cref="LenientJsonReader"/>).</summary>
    /// <exception cref="FormatException">Empty, binary, truncated or structurally broken output.</exception>
    public static PbsJsonListing ParseJson(string stdout, TimeZoneInfo? zone = null)
    {
        var jobs = new PbsJobList();
        var (hasJobs, prefix, server) = ParseJson(stdout, zone ?? TimeZoneInfo.Local, jobs);
        return new PbsJsonListing(jobs, hasJobs, prefix, server);
    }

    /// <summary>Reads <c>qstat -f -F json</c>, handing each job to <paramref name="sink"/>.</summary>
    internal static (bool HasJobsKey, string? PlainTextPrefix, string? Server) ParseJson(string stdout, TimeZoneInfo zone, IPbsJobSink sink)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("qstat printed binary data, not JSON");
        }

        var start = LenientJsonReader.FindJsonStart(stdout);
        if (start < 0)
        {
            throw new FormatException(stdout.Trim().Length == 0 ? "qstat printed nothing (expected JSON)" : "qstat printed no JSON object");
        }

        var prefix = stdout[..start].Trim();
        var reader = new LenientJsonReader(stdout, start, new StringPool());
        reader.ReadObjectStart();
        var hasJobs = false;
        string? server = null;
        var first = true;
        while (reader.NextMember(ref first, out var key))
        {
            if (key is "Jobs")
            {
                hasJobs = true;
                ReadJobs(reader, sink, zone);
            }
            else if (key is "pbs_server")
            {
                server = reader.ReadScalar();
            }
            else
            {
                reader.SkipValue();
            }
        }

        return (hasJobs, prefix.Length == 0 ? null : prefix, server);
    }

    private static void ReadJobs(LenientJsonReader reader, IPbsJobSink sink, TimeZoneInfo zone)
    {
        reader.ReadObjectStart();
        var builder = new PbsJobBuilder(zone);
        var first = true;
        while (reader.NextMember(ref first, out var idSpan))
        {
            builder.Reset(idSpan.ToString());
            reader.ReadObjectStart();
            var firstAttr = true;
            while (reader.NextMember(ref firstAttr, out var key))
            {
                if (key is "Resource_List")
                {
                    reader.ReadObjectStart();
                    var firstRes = true;
                    while (reader.NextMember(ref firstRes, out var res))
                    {
                        if (res is "walltime")
                        {
                            builder.Set(PbsJobBuilder.WalltimeSlot, reader.ReadScalar());
                        }
                        else
                        {
                            reader.SkipValue();
                        }
                    }

                    continue;
                }

                // A top-level "walltime" is not the requested one (Resource_List.walltime is).
                var slot = key is "walltime" ? PbsJobBuilder.None : PbsJobBuilder.Slot(key);
                if (slot == PbsJobBuilder.None)
                {
                    reader.SkipValue();
                }
                else
                {
                    builder.Set(slot, reader.Peek() is '{' or '[' ? SkipAndNull(reader) : reader.ReadScalar());
                }
            }

            sink.Add(builder);
        }
    }

    private static string? SkipAndNull(LenientJsonReader reader)
    {
        reader.SkipValue();
        return null;
    }

    /// <summary>
    /// Parses <c>qstat -f</c> text (PBS Pro and Torque): <c>Job Id: X</c> blocks of <c>key = value</c> lines;
    /// long values wrap onto lines starting with a TAB, joined without a separator.
    /// </summary>
    public static IReadOnlyList<PbsJob> ParseFullText(string stdout, TimeZoneInfo? zone = null)
    {
        var jobs = new PbsJobList();
        ParseFullText(stdout, zone ?? TimeZoneInfo.Local, jobs);
        return jobs;
    }

    /// <summary>Reads <c>qstat -f</c> text, handing each job to <paramref name="sink"/>.</summary>
    internal static void ParseFullText(string stdout, TimeZoneInfo zone, IPbsJobSink sink)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("qstat printed binary data, not `qstat -f` text");
        }

        var pool = new StringPool();
        var builder = new PbsJobBuilder(zone);
        var inJob = false;
        var hasKey = false;
        var slot = PbsJobBuilder.None;
        // A one-line value stays a range of stdout; only a value wrapped onto more lines is copied.
        var valueStart = 0;
        var valueLength = 0;
        System.Text.StringBuilder? wrapped = null;
        var isWrapped = false;
        var lineNo = 0;
        var text = stdout.AsSpan();

        void Flush()
        {
            if (hasKey && slot != PbsJobBuilder.None)
            {
                var value = isWrapped ? wrapped!.ToString().AsSpan() : stdout.AsSpan(valueStart, valueLength);
                builder.Set(slot, pool.Get(value.Trim()));
            }

            hasKey = false;
            slot = PbsJobBuilder.None;
            isWrapped = false;
            valueLength = 0;
        }

        void Append(ReadOnlySpan<char> more, bool newline)
        {
            if (slot == PbsJobBuilder.None)
            {
                return;
            }

            if (!isWrapped)
            {
                wrapped ??= new System.Text.StringBuilder();
                wrapped.Clear().Append(stdout, valueStart, valueLength);
                isWrapped = true;
            }

            if (newline)
            {
                wrapped!.Append('\n');
            }

            wrapped!.Append(more);
        }

        foreach (var raw in text.EnumerateLines())
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("Job Id:", StringComparison.Ordinal))
            {
                Flush();
                if (inJob)
                {
                    sink.Add(builder);
                }

                var id = line["Job Id:".Length..].Trim().ToString();
                if (id.Length == 0)
                {
                    throw new FormatException($"line {lineNo}: 'Job Id:' without an id");
                }

                builder.Reset(id);
                inJob = true;
                continue;
            }

            if (line.IsWhiteSpace())
            {
                // Blank lines also occur inside values (Torque's sched_hint); a new attribute or job ends the value.
                if (hasKey)
                {
                    Append([], newline: true);
                }

                continue;
            }

            if (!inJob)
            {
                throw new FormatException($"line {lineNo}: expected 'Job Id:' but found '{ErrorText.Clip(line.ToString())}'");
            }

            if (line[0] == '\t')
            {
                if (!hasKey)
                {
                    throw new FormatException($"line {lineNo}: continuation line without an attribute");
                }

                Append(line[1..], newline: false);
                continue;
            }

            var eq = line[0] == ' ' ? line.IndexOf(" = ", StringComparison.Ordinal) : -1;
            if (eq < 0)
            {
                var bare = line.Trim();
                if (line[0] == ' ' && bare.EndsWith(" =", StringComparison.Ordinal))
                {
                    Flush();
                    hasKey = true;
                    slot = PbsJobBuilder.Slot(bare[..^2].Trim());
                    continue;
                }

                // A raw line break inside a value (Torque sched_hint): the text goes on at column 0.
                if (hasKey)
                {
                    Append(line, newline: true);
                    continue;
                }

                throw new FormatException($"line {lineNo}: expected 'key = value' but found '{ErrorText.Clip(line.ToString())}'");
            }

            Flush();
            hasKey = true;
            slot = PbsJobBuilder.Slot(line[..eq].Trim());
            if (slot != PbsJobBuilder.None)
            {
                text.Overlaps(line, out var lineOffset);
                valueStart = lineOffset + eq + 3;
                valueLength = line.Length - eq - 3;
            }
        }

        Flush();
        if (inJob)
        {
            sink.Add(builder);
        }
    }

    /// <summary>The job id <c>qsub</c> printed: <c>1013.vm-priboy</c>, <c>1008[].pbs-server</c>, <c>3481331.egeon2</c>, <c>1234</c>.</summary>
    public static string ParseSubmitId(string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        string? id = null;
        foreach (var raw in stdout.Split('\n'))
        {
            var line = raw.Trim();
            if (SubmitIdPattern().IsMatch(line))
            {
                id = line;
            }
        }

        return id ?? throw new FormatException($"qsub printed no job id: '{ErrorText.Clip(stdout.Trim())}'");
    }

    [GeneratedRegex(@"^\d+(\[\d*\])?(\.[A-Za-z0-9_.\-]+)?$")]
    private static partial Regex SubmitIdPattern();

    /// <summary>
    /// Tells PBS Pro/OpenPBS (<c>pbs_version = 19.1.0</c>) from Torque (<c>Version: 6.1.2</c>) in
    /// <c>qstat --version</c> output; null when neither.
    /// </summary>
    public static PbsFlavor? ParseVersion(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.Contains("pbs_version", StringComparison.OrdinalIgnoreCase))
        {
            return PbsFlavor.PbsPro;
        }

        return output.Split('\n').Any(l => l.TrimStart().StartsWith("Version:", StringComparison.OrdinalIgnoreCase)) ? PbsFlavor.Torque : null;
    }

    /// <summary>A stderr line saying the job no longer exists: PBS "Unknown Job Id", Torque "Unknown Job Id Error".</summary>
    public static bool IsUnknownJob(string line) => line.Contains("Unknown Job Id", StringComparison.OrdinalIgnoreCase);

    /// <summary>A stderr line saying the job already ended: PBS "Job has finished" (exit 35), Torque's COMPLETE state, a cancel under way.</summary>
    public static bool IsAlreadyEnded(string line) =>
        line.Contains("Job has finished", StringComparison.OrdinalIgnoreCase)
        || line.Contains("invalid state for job - COMPLETE", StringComparison.OrdinalIgnoreCase)
        || line.Contains("job cancel in progress", StringComparison.OrdinalIgnoreCase)
        || line.Contains("Request invalid for state of job", StringComparison.OrdinalIgnoreCase) && line.Contains("COMPLETE", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Turns jobs into pilots: those named as asked, owned by <paramref name="user"/> when given. Array
    /// parents are dropped when any of their subjobs is listed (the subjobs are the pilots); a parent
    /// listed alone stands for its array.
    /// </summary>
    public static IReadOnlyList<Pilot> ToPilots(IEnumerable<PbsJob> jobs, IReadOnlyCollection<string> names, PbsFlavor flavor, string? user = null, bool includeFinished = false)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var collector = new PbsPilotCollector(names, flavor, user, includeFinished);
        foreach (var job in jobs)
        {
            collector.Add(job);
        }

        return collector.Pilots();
    }

    public static Pilot ToPilot(PbsJob job, PbsFlavor flavor)
    {
        ArgumentNullException.ThrowIfNull(job);
        var (state, kind, reason) = PbsStates.Map(job.State, flavor, job.Comment);
        return new Pilot(job.Id, job.Name, state, job.State, reason, kind, job.QueueTime, job.StartTime, job.ArrayIndex, job.ArrayParentId, job.Walltime);
    }

    /// <summary>Finished jobs of the given names that ended at or after <paramref name="since"/> (or whose end time is unknown).</summary>
    public static IReadOnlyList<PilotOutcome> ToOutcomes(IEnumerable<PbsJob> jobs, IReadOnlyCollection<string> names, PbsFlavor flavor, DateTimeOffset since, string? user = null)
    {
        var wanted = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        var outcomes = new List<PilotOutcome>();
        foreach (var job in jobs)
        {
            if (PbsPilotCollector.OurName(job.Id, job.Name, wanted, flavor) is null || job.IsArrayParent)
            {
                continue;
            }

            if (user is not null && !job.IsOwnedBy(user))
            {
                continue;
            }

            if (PbsStates.Map(job.State, flavor).State is not PilotState.Finished)
            {
                continue;
            }

            if (job.EndTime is { } end && end < since)
            {
                continue;
            }

            outcomes.Add(new PilotOutcome(
                job.Id,
                job.Name,
                PbsStates.EndFromExit(job.ExitStatus, flavor, job.StartTime is not null),
                job.ExitStatus,
                job.StartTime,
                job.EndTime,
                job.State));
        }

        return outcomes;
    }

}
