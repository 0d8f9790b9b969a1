
namespace Autopilot.Schedulers.Slurm;

/// <summary>A column of squeue output the parser understands.</summary>
public enum SqueueField
{
    Ignored,
    /// <summary>%i: <c>123</c>, <c>123_4</c>, or a pending range <c>123_[5-9]</c>.</summary>
    JobId,
    /// <summary>%F: the array's job id (the job's own id when it is no array).</summary>
    ArrayJobId,
    /// <summary>%K: the array index, <c>N/A</c> for plain jobs, a range for pending ranges.</summary>
    ArrayTaskId,
    /// <summary>%j</summary>
    Name,
    /// <summary>%T or %t: long or compact state.</summary>
    State,
    /// <summary>%r</summary>
    Reason,
    /// <summary>%R: the reason in parentheses while pending, the node list otherwise.</summary>
    ReasonOrNodes,
    /// <summary>%V</summary>
    SubmitTime,
    /// <summary>%S</summary>
    StartTime,
    /// <summary>%l</summary>
    TimeLimit,
    /// <summary>%k: the job comment, where Autopilot puts its <see cref="PilotMarker"/>.</summary>
    Comment,
}

/// <summary>
/// How a squeue output is laid out: the fields in order, the separator between them (null: runs of
/// whitespace, the last column taking the rest of the line) and whether a header line comes first
/// (then the fields are read from it and <see cref="Fields"/> is empty).
/// </summary>
public sealed record SqueueLayout(IReadOnlyList<SqueueField> Fields, string? Delimiter, bool HasHeader)
{
    /// <summary>The unit separator: it cannot occur in a job name Autopilot gives, nor in an id, state or time.</summary>
    public const string UnitSeparator = "\u001F";

    /// <summary>What <see cref="SlurmScheduler"/> asks for.</summary>
    public static readonly SqueueLayout Autopilot = FromFormat(SlurmParser.SqueueFormat);

    /// <summary>A header line names the columns (squeue without -h, with -o or -O).</summary>
    public static SqueueLayout Headered(string? delimiter = null) => new([], delimiter, true);

    /// <summary>
    /// The layout an <c>-o</c> format string produces, e.g. <c>%i^^^%t^^^%r</c> or <c>%i %t</c>.
    /// Every separator between specifiers must be the same text.
    /// </summary>
    public static SqueueLayout FromFormat(string format, bool hasHeader = false)
    {
        var fields = new List<SqueueField>();
        string? delimiter = null;
        var i = 0;
        var literal = new System.Text.StringBuilder();
        while (i < format.Length)
        {
            if (format[i] != '%')
            {
                literal.Append(format[i++]);
                continue;
            }

            i++;
            while (i < format.Length && (format[i] == '.' || char.IsAsciiDigit(format[i])))
            {
                i++;
            }

            if (i >= format.Length)
            {
                throw new ArgumentException($"format '{format}' ends inside a specifier", nameof(format));
            }

            if (fields.Count > 0)
            {
                var sep = literal.ToString();
                if (delimiter is not null && sep != delimiter)
                {
                    throw new ArgumentException($"format '{format}' mixes separators '{delimiter}' and '{sep}'", nameof(format));
                }

                delimiter = sep;
            }

            literal.Clear();
            fields.Add(format[i++] switch
            {
                'i' => SqueueField.JobId,
                'F' => SqueueField.ArrayJobId,
                'K' => SqueueField.ArrayTaskId,
                'j' => SqueueField.Name,
                'T' or 't' => SqueueField.State,
                'r' => SqueueField.Reason,
                'R' => SqueueField.ReasonOrNodes,
                'V' => SqueueField.SubmitTime,
                'S' => SqueueField.StartTime,
                'l' => SqueueField.TimeLimit,
                'k' => SqueueField.Comment,
                _ => SqueueField.Ignored,
            });
        }

        if (delimiter is not null && delimiter.All(c => c is ' ' or '\t'))
        {
            delimiter = null;
        }

        return new SqueueLayout(fields, delimiter, hasHeader);
    }

    internal static SqueueField FromHeader(string name) =>
        name.Trim().ToUpperInvariant() switch
        {
            "JOBID" => SqueueField.JobId,
            "ARRAY_JOB_ID" => SqueueField.ArrayJobId,
            "ARRAY_TASK_ID" => SqueueField.ArrayTaskId,
            "NAME" => SqueueField.Name,
            "ST" or "STATE" => SqueueField.State,
            "REASON" => SqueueField.Reason,
            "NODELIST(REASON)" => SqueueField.ReasonOrNodes,
            "SUBMIT_TIME" => SqueueField.SubmitTime,
            "START_TIME" => SqueueField.StartTime,
            "TIME_LIMIT" or "TIMELIMIT" => SqueueField.TimeLimit,
            "COMMENT" => SqueueField.Comment,
            _ => SqueueField.Ignored,
        };
}

/// <summary>A column of sacct output the parser understands.</summary>
public enum SacctField
{
    Ignored,
    JobId,
    JobIdRaw,
    JobName,
    State,
    ExitCode,
    Start,
    End,
}

/// <summary>How a sacct output is laid out; see <see cref="SqueueLayout"/>. Headered output may carry the dashes line of fixed-width columns.</summary>
public sealed record SacctLayout(IReadOnlyList<SacctField> Fields, string? Delimiter, bool HasHeader)
{
    /// <summary>The -o list <see cref="SlurmScheduler"/> asks for, in this order.</summary>
    public const string AutopilotFormat = "JobID,JobIDRaw,JobName,State,ExitCode,Start,End";

    public static readonly SacctLayout Autopilot = FromFormat(AutopilotFormat, SqueueLayout.UnitSeparator);

    public static SacctLayout Headered() => new([], null, true);

    /// <summary>The layout of <c>sacct -P -n --delimiter=D -o a,b,c</c>.</summary>
    public static SacctLayout FromFormat(string fields, string delimiter) =>
        new(fields.Split(',').Select(FromHeader).ToArray(), delimiter, false);

    internal static SacctField FromHeader(string name) =>
        name.Trim().ToUpperInvariant() switch
        {
            "JOBID" => SacctField.JobId,
            "JOBIDRAW" => SacctField.JobIdRaw,
            "JOBNAME" => SacctField.JobName,
            "STATE" => SacctField.State,
            "EXITCODE" => SacctField.ExitCode,
            "START" => SacctField.Start,
            "END" => SacctField.End,
            _ => SacctField.Ignored,
        };
}
