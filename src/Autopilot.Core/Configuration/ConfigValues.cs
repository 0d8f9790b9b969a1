using System.Globalization;

namespace Autopilot.Configuration;

/// <summary>
/// Pure parsers and formatters for the value syntaxes of autopilot.toml: durations, walltimes,
/// memory sizes and cron expressions. Each Try* returns false with a message fit for
/// `file:line:col: key: message`.
/// </summary>
public static class ConfigValues
{
    /// <summary>
    /// Durations: a plain integer is seconds (<c>90</c>); otherwise one or more
    /// <c>&lt;integer&gt;&lt;unit&gt;</c> parts with units d, h, m, s in that order, e.g.
    /// <c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>2d</c>, <c>1d12h</c>. No sign, no fractions, no spaces.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        error = null;
        var s = text.Trim();
        if (s.Length == 0)
        {
            error = "empty duration (write e.g. 90s, 5m, 1h30m, 2d, or plain seconds)";
            return false;
        }

        if (s.All(char.IsAsciiDigit))
        {
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxSeconds)
            {
                error = $"duration '{text}' is too large";
                return false;
            }

            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        const string units = "dhms";
        var lastUnit = -1;
        long total = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == start || i >= s.Length)
            {
                error = $"bad duration '{text}' (write e.g. 90s, 5m, 1h30m, 2d, or plain seconds)";
                return false;
            }

            var unit = units.IndexOf(char.ToLowerInvariant(s[i]));
            if (unit < 0 || unit <= lastUnit)
            {
                error = $"bad duration '{text}' (units are d, h, m, s, largest first, e.g. 1h30m)";
                return false;
            }

            if (!long.TryParse(s.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxSeconds)
            {
                error = $"duration '{text}' is too large";
                return false;
            }

            total += n * unit switch { 0 => 86400L, 1 => 3600L, 2 => 60L, _ => 1L };
            if (total > MaxSeconds)
            {
                error = $"duration '{text}' is too large";
                return false;
            }

            lastUnit = unit;
            i++;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>
    /// Walltimes, in the forms the schedulers print: <c>HH:MM:SS</c> (hours may exceed 23),
    /// <c>D-HH:MM:SS</c>, <c>D-HH:MM</c>, <c>D-HH</c>; or a duration with units (<c>90m</c>,
    /// <c>1h30m</c>, <c>2d</c>). <c>MM:SS</c>, <c>HH:MM</c> and bare numbers are refused:
    /// Slurm reads <c>1:30</c> as 1 minute 30 seconds, PBS as 1 hour 30 minutes.
    /// Must be positive.
    /// </summary>
    public static bool TryParseWalltime(string text, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        error = null;
        var s = text.Trim();
        var hint = "write HH:MM:SS, D-HH:MM:SS, or a duration such as 90m or 1h30m";
        if (s.Length == 0)
        {
            error = $"empty walltime ({hint})";
            return false;
        }

        if (s.All(char.IsAsciiDigit))
        {
            error = $"walltime '{text}' has no unit ({hint})";
            return false;
        }

        if (!s.Contains(':') && !s.Contains('-'))
        {
            if (!TryParseDuration(s, out value, out _))
            {
                error = $"bad walltime '{text}' ({hint})";
                return false;
            }
        }
        else if (!TryParseClock(text, s, hint, out value, out error))
        {
            return false;
        }

        if (value <= TimeSpan.Zero)
        {
            error = $"walltime '{text}' must be positive";
            return false;
        }

        return true;
    }

    /// <summary>The clock forms of <see cref="TryParseWalltime"/>: <c>HH:MM:SS</c>, <c>D-HH:MM:SS</c>, <c>D-HH:MM</c>, <c>D-HH</c>.</summary>
    private static bool TryParseClock(string text, string s, string hint, out TimeSpan value, out string? error)
    {
        value = TimeSpan.Zero;
        error = null;
        long days = 0;
        var rest = s;
        var dash = s.IndexOf('-');
        if (dash >= 0)
        {
            if (!TryDigits(s[..dash], out days))
            {
                error = $"bad walltime '{text}' ({hint})";
                return false;
            }

            rest = s[(dash + 1)..];
        }

        var parts = rest.Split(':');
        var expected = dash >= 0 ? parts.Length is >= 1 and <= 3 : parts.Length == 3;
        if (!expected)
        {
            error = $"bad walltime '{text}' ({hint})";
            return false;
        }

        var numbers = new long[3];
        for (var k = 0; k < parts.Length; k++)
        {
            if (!TryDigits(parts[k], out numbers[k]))
            {
                error = $"bad walltime '{text}' ({hint})";
                return false;
            }
        }

        var (h, m, sec) = (numbers[0], numbers[1], numbers[2]);
        if (m > 59 || sec > 59 || (dash >= 0 && h > 23))
        {
            error = $"bad walltime '{text}': minutes and seconds must be below 60{(dash >= 0 ? ", hours below 24 after a day count" : "")}";
            return false;
        }

        var total = (days * 24 + h) * 3600 + m * 60 + sec;
        if (total > MaxSeconds)
        {
            error = $"walltime '{text}' is too large";
            return false;
        }

        value = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>
    /// Memory sizes in MiB: a bare number is MiB (<c>2048</c>); suffixes K, M, G, T (optionally
    /// followed by B or iB; binary multiples) with an optional fraction (<c>1.5G</c>).
    /// Rounded up to whole MiB. Zero means "scheduler default".
    /// </summary>
    public static bool TryParseMemoryMb(string text, out long megabytes, out string? error)
    {
        megabytes = 0;
        error = null;
        var s = text.Trim();
        var hint = "write e.g. 512M, 4G, 1.5G, or a number of MiB";
        var end = s.Length;
        if (s.EndsWith("ib", StringComparison.OrdinalIgnoreCase))
        {
            end -= 2;
        }
        else if (s.EndsWith('b') || s.EndsWith('B'))
        {
            end -= 1;
        }

        var unit = 'M';
        if (end > 0 && char.IsAsciiLetter(s[end - 1]))
        {
            unit = char.ToUpperInvariant(s[end - 1]);
            end--;
        }
        else if (end != s.Length)
        {
            error = $"bad memory size '{text}' ({hint})";
            return false;
        }

        var number = s[..end];
        if (number.Length == 0 || !number.All(c => char.IsAsciiDigit(c) || c == '.')
            || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            error = $"bad memory size '{text}' ({hint})";
            return false;
        }

        decimal factor = unit switch
        {
            'K' => 1m / 1024m,
            'M' => 1m,
            'G' => 1024m,
            'T' => 1024m * 1024m,
            _ => -1m,
        };
        if (factor < 0)
        {
            error = $"bad memory unit in '{text}' (use K, M, G or T)";
            return false;
        }

        var mb = Math.Ceiling(amount * factor);
        if (mb > long.MaxValue / 2)
        {
            error = $"memory size '{text}' is too large";
            return false;
        }

        megabytes = (long)mb;
        return true;
    }

    /// <summary>Cron expressions (see <see cref="CronSchedule"/>): 5 fields, or 6 with seconds first, firing within a year.</summary>
    public static bool TryValidateCron(string text, out string? error) => CronSchedule.TryParse(text, null, out _, out error);

    /// <summary>The shortest duration text that parses back to <paramref name="value"/> (e.g. 1h30m, 0s).</summary>
    public static string FormatDuration(TimeSpan value)
    {
        var total = (long)Math.Round(value.TotalSeconds);
        if (total == 0)
        {
            return "0s";
        }

        var text = "";
        foreach (var (unit, size) in new[] { ("d", 86400L), ("h", 3600L), ("m", 60L), ("s", 1L) })
        {
            if (total >= size)
            {
                text += (total / size).ToString(CultureInfo.InvariantCulture) + unit;
                total %= size;
            }
        }

        return text;
    }

    /// <summary>HH:MM:SS, or D-HH:MM:SS from one day on.</summary>
    public static string FormatWalltime(TimeSpan value)
    {
        var total = (long)Math.Round(value.TotalSeconds);
        var days = total / 86400;
        var h = total % 86400 / 3600;
        var m = total % 3600 / 60;
        var s = total % 60;
        return days > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{days}-{h:00}:{m:00}:{s:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{h:00}:{m:00}:{s:00}");
    }

    // Ten years: long enough for any real setting, small enough that arithmetic cannot overflow.
    private const long MaxSeconds = 10L * 366 * 86400;

    private static bool TryDigits(string s, out long value)
    {
        value = 0;
        return s.Length is > 0 and <= 9 && s.All(char.IsAsciiDigit)
            && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
