
namespace Autopilot.Schedulers.Common;

/// <summary>
/// Searches that expect a near hit. Keys, values and tags in a listing are a few dozen characters:
/// a plain loop over the first ones is faster there than a vector search's set-up, which is kept for
/// the long tail (environment variables, scheduler comments).
/// </summary>
internal static class ShortScan
{
    private const int Near = 64;

    public static int IndexOf(ReadOnlySpan<char> s, char c)
    {
        var n = Math.Min(s.Length, Near);
        for (var i = 0; i < n; i++)
        {
            if (s[i] == c)
            {
                return i;
            }
        }

        if (n == s.Length)
        {
            return -1;
        }

        var rel = s[n..].IndexOf(c);
        return rel < 0 ? -1 : rel + n;
    }

    public static int IndexOfAny(ReadOnlySpan<char> s, char a, char b)
    {
        var n = Math.Min(s.Length, Near);
        for (var i = 0; i < n; i++)
        {
            var c = s[i];
            if (c == a || c == b)
            {
                return i;
            }
        }

        if (n == s.Length)
        {
            return -1;
        }

        var rel = s[n..].IndexOfAny(a, b);
        return rel < 0 ? -1 : rel + n;
    }
}
