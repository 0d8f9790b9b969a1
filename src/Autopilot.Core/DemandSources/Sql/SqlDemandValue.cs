using System.Globalization;

namespace Autopilot.DemandSources.Sql;

/// <summary>Turns the one value a demand query returned into a task count, or says what is wrong with it.</summary>
public static class SqlDemandValue
{
    /// <summary>
    /// Whole numbers pass as they are; a fraction is rounded up (half a task still needs a pilot).
    /// NULL, text, booleans, blobs, NaN and negative numbers throw <see cref="FormatException"/>.
    /// </summary>
    public static long ToTasks(object? value)
    {
        switch (value)
        {
            case null or DBNull:
                throw new FormatException("returned NULL; expected a number (wrap it in COALESCE(..., 0) if no rows means no work)");
            case long l:
                return NonNegative(l);
            case int i:
                return NonNegative(i);
            case short s:
                return NonNegative(s);
            case byte b:
                return b;
            case sbyte sb:
                return NonNegative(sb);
            case uint ui:
                return ui;
            case ushort us:
                return us;
            case ulong ul:
                return ul <= long.MaxValue ? (long)ul : throw new FormatException($"returned {ul}, too large");
            case decimal d:
                return NonNegative(d);
            case double db:
                return NonNegative(db);
            case float f:
                return NonNegative(f);
            case System.Numerics.BigInteger big:
                return big >= 0 && big <= long.MaxValue
                    ? (long)big
                    : throw new FormatException(big < 0 ? $"returned a negative number ({big})" : $"returned {big}, too large");
            case string text:
                throw new FormatException($"returned text '{Shorten(text)}'; expected a number (cast it, e.g. CAST(x AS INTEGER))");
            case bool flag:
                throw new FormatException($"returned a boolean ({(flag ? "true" : "false")}); expected a number");
            case byte[]:
                throw new FormatException("returned a blob; expected a number");
            default:
                throw new FormatException($"returned a {value.GetType().Name} ('{Shorten(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")}'); expected a number");
        }
    }

    private static long NonNegative(long n) => n >= 0 ? n : throw new FormatException($"returned a negative number ({n})");

    private static long NonNegative(decimal d)
    {
        if (d < 0)
        {
            throw new FormatException($"returned a negative number ({d.ToString(CultureInfo.InvariantCulture)})");
        }

        var up = decimal.Ceiling(d);
        return up <= long.MaxValue ? (long)up : throw new FormatException($"returned {d.ToString(CultureInfo.InvariantCulture)}, too large");
    }

    private static long NonNegative(double d)
    {
        if (double.IsNaN(d) || double.IsInfinity(d))
        {
            throw new FormatException($"returned {d.ToString(CultureInfo.InvariantCulture)}; expected a finite number");
        }

        if (d < 0)
        {
            throw new FormatException($"returned a negative number ({d.ToString(CultureInfo.InvariantCulture)})");
        }

        var up = Math.Ceiling(d);
        return up < 9.2e18 ? (long)up : throw new FormatException($"returned {d.ToString(CultureInfo.InvariantCulture)}, too large");
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= 80 ? text : text[..80] + "...";
    }
}
