using System.Net;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// Torque <c>qstat -x</c>: all jobs as one line of XML, with raw newlines inside values (e.g. in
/// <c>sched_hint</c>) and entity escaping that older versions get wrong. Rather than trusting an XML
/// parser with it, the elements a pilot needs are cut out of each <c>&lt;Job&gt;</c> block by name.
/// </summary>
public static class TorqueXmlParser
{
    public static IReadOnlyList<PbsJob> Parse(string stdout, TimeZoneInfo? zone = null)
    {
        var jobs = new PbsJobList();
        Parse(stdout, zone ?? TimeZoneInfo.Local, jobs);
        return jobs;
    }

    /// <summary>Reads <c>qstat -x</c>, handing each job to <paramref name="sink"/>.</summary>
    internal static void Parse(string stdout, TimeZoneInfo zone, IPbsJobSink sink)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("qstat -x printed binary data, not XML");
        }

        // Offsets into stdout itself: trimming would copy the whole listing.
        var text = stdout;
        if (text.AsSpan().IsWhiteSpace())
        {
            // Torque prints nothing at all when no job exists.
            return;
        }

        var dataStart = text.IndexOf("<Data>", StringComparison.Ordinal);
        if (dataStart < 0)
        {
            throw new FormatException($"qstat -x printed no <Data> element: '{ErrorText.Clip(text.Trim())}'");
        }

        var dataEnd = text.IndexOf("</Data>", dataStart, StringComparison.Ordinal);
        if (dataEnd < 0)
        {
            throw new FormatException("qstat -x output ends before </Data> (truncated output?)");
        }

        var pool = new StringPool();
        var builder = new PbsJobBuilder(zone);
        var pos = dataStart + "<Data>".Length;
        while (true)
        {
            var jobStart = text.AsSpan(pos, dataEnd - pos).IndexOf("<Job>", StringComparison.Ordinal);
            if (jobStart < 0)
            {
                break;
            }

            jobStart += pos;
            var jobEnd = text.AsSpan(jobStart, dataEnd - jobStart).IndexOf("</Job>", StringComparison.Ordinal);
            if (jobEnd < 0)
            {
                throw new FormatException("a <Job> element has no </Job> (truncated output?)");
            }

            jobEnd += jobStart;
            ReadJob(text.AsSpan(jobStart + 5, jobEnd - jobStart - 5), jobStart, builder, pool);
            sink.Add(builder);
            pos = jobEnd + 6;
        }
    }

    /// <summary>One <c>&lt;Job&gt;</c> element's children into <paramref name="builder"/>.</summary>
    private static void ReadJob(ReadOnlySpan<char> job, int offset, PbsJobBuilder builder, StringPool pool)
    {
        builder.Reset(null);
        string? walltime = null;
        var p = 0;
        while (NextChild(job, ref p, out var name, out var value))
        {
            if (name is "Job_Id")
            {
                builder.SetId(Decode(value));
            }
            else if (name is "Resource_List")
            {
                var r = 0;
                while (NextChild(value, ref r, out var res, out var resValue))
                {
                    if (res is "walltime")
                    {
                        walltime = Decode(resValue, pool);
                    }
                }
            }
            else if (name is not "walltime" && PbsJobBuilder.Slot(name) is var slot and not PbsJobBuilder.None)
            {
                builder.Set(slot, Decode(value, pool));
            }
        }

        if (builder.Id is null)
        {
            throw new FormatException($"a <Job> element without <Job_Id> near offset {offset}");
        }

        builder.Set(PbsJobBuilder.WalltimeSlot, walltime);
    }

    private static string Decode(ReadOnlySpan<char> value, StringPool? pool = null) =>
        value.Contains('&') ? WebUtility.HtmlDecode(value.ToString()) : pool?.Get(value) ?? value.ToString();

    /// <summary>
    /// The next child element of <paramref name="xml"/> from <paramref name="p"/>. Its content runs to the
    /// first matching close tag, so a raw '&lt;' or newline inside a value cannot derail the scan.
    /// </summary>
    private static bool NextChild(ReadOnlySpan<char> xml, ref int p, out ReadOnlySpan<char> name, out ReadOnlySpan<char> content)
    {
        name = default;
        content = default;
        while (p < xml.Length)
        {
            var lt = ShortScan.IndexOf(xml[p..], '<');
            if (lt < 0)
            {
                p = xml.Length;
                return false;
            }

            p += lt;
            var gt = ShortScan.IndexOf(xml[p..], '>');
            if (gt < 0)
            {
                throw new FormatException("an XML tag has no '>' (truncated output?)");
            }

            var tag = xml.Slice(p + 1, gt - 1);
            if (tag.Length == 0 || tag[0] is '/' or '?' or '!')
            {
                p += gt + 1;
                continue;
            }

            if (tag[^1] == '/')
            {
                name = tag[..^1].Trim();
                p += gt + 1;
                return true;
            }

            name = tag;
            var contentStart = p + gt + 1;
            var q = contentStart;
            while (true)
            {
                var close = ShortScan.IndexOf(xml[q..], '<');
                if (close < 0 || q + close + 1 >= xml.Length)
                {
                    throw new FormatException($"<{tag}> has no closing tag (truncated output?)");
                }

                if (xml[q + close + 1] != '/')
                {
                    q += close + 1;
                    continue;
                }

                q += close;
                var after = xml[(q + 2)..];
                if (after.StartsWith(tag, StringComparison.Ordinal) && after.Length > tag.Length && after[tag.Length] == '>')
                {
                    content = xml[contentStart..q];
                    p = q + 3 + tag.Length;
                    return true;
                }

                q += 2;
            }
        }

        return false;
    }
}
