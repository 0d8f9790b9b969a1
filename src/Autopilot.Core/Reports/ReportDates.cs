using System.Globalization;
using Autopilot.Configuration;

namespace Autopilot.Reports;

/// <summary>--since/--until values: a UTC date (2026-11-01), an ISO time (2026-11-01T12:00Z), a duration back from now (30d, 12h), or "now".</summary>
public static class ReportDates
{
    /// <summary>
    /// Parses one bound. A plain date as --until means the end of that day, so
    /// <c>--since 2026-11-01 --until 2026-11-30</c> covers all of November.
    /// </summary>
    public static DateTimeOffset Parse(string option, string text, DateTimeOffset now, bool until)
    {
        var s = text.Trim();
        if (s == "now")
        {
            return now;
        }

        if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return until ? start.AddDays(1) : start;
        }

        if (s.Contains('T', StringComparison.Ordinal)
            && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time;
        }

        if (ConfigValues.TryParseDuration(s, out var back, out _) && !s.All(char.IsAsciiDigit))
        {
            return now - back;
        }

        throw new ReportException("bad-date", $"{option} '{text}': write a date (2026-11-01), a UTC time (2026-11-01T12:00Z), a duration back from now (30d, 12h, 1d12h) or 'now'");
    }
}
