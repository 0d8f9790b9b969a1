using System.Globalization;

namespace Autopilot.Policy;

/// <summary>How the policy writes durations, times and counts in plans (stable, culture-free).</summary>
public static class PolicyText
{
    /// <summary>1h30m, 5m, 45s, 0s; negative durations keep their sign.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "-" + Duration(span.Duration());
        }

        var seconds = (long)Math.Round(span.TotalSeconds);
        if (seconds == 0)
        {
            return "0s";
        }

        var text = "";
        if (seconds >= 86400)
        {
            text += $"{seconds / 86400}d";
            seconds %= 86400;
        }

        if (seconds >= 3600)
        {
            text += $"{seconds / 3600}h";
            seconds %= 3600;
        }

        if (seconds >= 60)
        {
            text += $"{seconds / 60}m";
            seconds %= 60;
        }

        if (seconds > 0)
        {
            text += $"{seconds}s";
        }

        return text;
    }

    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Count(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// Orders scheduler ids so that 9 &lt; 10 and 123_2 &lt; 123_10: digit runs compare as numbers,
/// everything else ordinally. Gives "newest first" a stable tie-break.
/// </summary>
public sealed class PilotIdComparer : IComparer<string>
{
    public static readonly PilotIdComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i])) i++;
                while (j < y.Length && char.IsAsciiDigit(y[j])) j++;
                var a = x.AsSpan(si, i - si).TrimStart('0');
                var b = y.AsSpan(sj, j - sj).TrimStart('0');
                if (a.Length != b.Length)
                {
                    return a.Length.CompareTo(b.Length);
                }

                var c = a.SequenceCompareTo(b);
                if (c != 0)
                {
                    return c;
                }
            }
            else
            {
                var c = x[i].CompareTo(y[j]);
                if (c != 0)
                {
                    return c;
                }

                i++;
                j++;
            }
        }

        var rest = (x.Length - i).CompareTo(y.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(x, y);
    }
}
