using System.Net;

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
        ArgumentNullException.ThrowIfNull(stdout);
        zone ??= TimeZoneInfo.Local;
        if (LenientJsonReader.LooksBinary(stdout))
        {
            throw new FormatException("qstat -x printed binary data, not XML");
        }

        var text = stdout.Trim();
        if (text.Length == 0)
        {
            // Torque prints nothing at all when no job exists.
            return [];
        }

        var dataStart = text.IndexOf("<Data>", StringComparison.Ordinal);
        if (dataStart < 0)
        {
            throw new FormatException($"qstat -x printed no <Data> element: '{PbsParsers.Clip(text)}'");
        }

        var dataEnd = text.IndexOf("</Data>", dataStart, StringComparison.Ordinal);
        if (dataEnd < 0)
        {
            throw new FormatException("qstat -x output ends before </Data> (truncated output?)");
        }

        var jobs = new List<PbsJob>();
        var pos = dataStart + "<Data>".Length;
        while (true)
        {
            var jobStart = text.IndexOf("<Job>", pos, dataEnd - pos, StringComparison.Ordinal);
            if (jobStart < 0)
            {
                break;
            }

            var jobEnd = text.IndexOf("</Job>", jobStart, dataEnd - jobStart, StringComparison.Ordinal);
            if (jobEnd < 0)
            {
                throw new FormatException("a <Job> element has no </Job> (truncated output?)");
            }

            var job = text.AsSpan(jobStart + 5, jobEnd - jobStart - 5);
            PbsJobBuilder? builder = null;
            string? walltime = null;
            var pending = new List<(string Key, string Value)>();
            foreach (var (name, start, length) in Children(job))
            {
                var value = job.Slice(start, length);
                if (name == "Job_Id")
                {
                    builder = new PbsJobBuilder(Decode(value), zone);
                }
                else if (name == "Resource_List")
                {
                    foreach (var (res, rs, rl) in Children(value))
                    {
                        if (res == "walltime")
                        {
                            walltime = Decode(value.Slice(rs, rl));
                        }
                    }
                }
                else if (name != "walltime" && PbsJobBuilder.Wants(name))
                {
                    pending.Add((name, Decode(value)));
                }
            }

            if (builder is null)
            {
                throw new FormatException($"a <Job> element without <Job_Id> near offset {jobStart}");
            }

            foreach (var (k, v) in pending)
            {
                builder.Set(k, v);
            }

            builder.Set("walltime", walltime);
            jobs.Add(builder.Build());
            pos = jobEnd + 6;
        }

        return jobs;
    }

    private static string Decode(ReadOnlySpan<char> value) =>
        value.Contains('&') ? WebUtility.HtmlDecode(value.ToString()) : value.ToString();

    /// <summary>
    /// The child elements of <paramref name="xml"/> in order, as (name, content offset, content length).
    /// Each child's content runs to the first matching close tag, so a raw '&lt;' or newline inside a value
    /// cannot derail the scan.
    /// </summary>
    private static List<(string Name, int Start, int Length)> Children(ReadOnlySpan<char> xml)
    {
        var children = new List<(string, int, int)>();
        var p = 0;
        while (p < xml.Length)
        {
            var lt = xml[p..].IndexOf('<');
            if (lt < 0)
            {
                break;
            }

            p += lt;
            var gt = xml[p..].IndexOf('>');
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
                children.Add((tag[..^1].Trim().ToString(), p + gt + 1, 0));
                p += gt + 1;
                continue;
            }

            var name = tag.ToString();
            var contentStart = p + gt + 1;
            var close = xml[contentStart..].IndexOf(("</" + name + ">").AsSpan(), StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"<{name}> has no closing tag (truncated output?)");
            }

            children.Add((name, contentStart, close));
            p = contentStart + close + name.Length + 3;
        }

        return children;
    }
}
