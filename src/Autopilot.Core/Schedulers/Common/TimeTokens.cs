namespace Autopilot.Schedulers.Common;

/// <summary>Tokens of the ctime-like stamps PBS and LSF print (<c>Wed Apr 14 23:34:17 2021</c>, <c>Apr 14 23:34</c>), read without allocating.</summary>
internal static class TimeTokens
{
    internal static int MonthNumber(ReadOnlySpan<char> mon) => mon switch
    {
        "Jan" => 1, "Feb" => 2, "Mar" => 3, "Apr" => 4, "May" => 5, "Jun" => 6,
        "Jul" => 7, "Aug" => 8, "Sep" => 9, "Oct" => 10, "Nov" => 11, "Dec" => 12,
        _ => 0,
    };

    internal static bool Word(ReadOnlySpan<char> t, ref int p, out ReadOnlySpan<char> word)
    {
        while (p < t.Length && t[p] == ' ')
        {
            p++;
        }

        var start = p;
        while (p < t.Length && char.IsAsciiLetter(t[p]))
        {
            p++;
        }

        word = t[start..p];
        return p > start;
    }

    internal static bool Number(ReadOnlySpan<char> t, ref int p, out int n, char? terminator = null)
    {
        while (p < t.Length && t[p] == ' ')
        {
            p++;
        }

        n = 0;
        var start = p;
        while (p < t.Length && char.IsAsciiDigit(t[p]) && p - start < 5)
        {
            n = (n * 10) + (t[p] - '0');
            p++;
        }

        if (p == start)
        {
            return false;
        }

        if (terminator is { } c)
        {
            if (p >= t.Length || t[p] != c)
            {
                return false;
            }

            p++;
        }

        return true;
    }
}
