using System.Globalization;
using System.Text;

namespace Autopilot.TaskLogs;

/// <summary>
/// Makes text from a task database or a task's output safe to print on a terminal. Whoever submits
/// a task controls its command and its output; an escape sequence in either could retitle the
/// window, rewrite what is on screen, or (on some terminals) answer back as typed input. Line feeds
/// and tabs are kept; every other control character (C0, DEL, C1, and a carriage return not
/// followed by a line feed) and the bidirectional overrides are shown as <c>\xNN</c> / <c>\uNNNN</c>.
/// </summary>
public static class TerminalText
{
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length && !NeedsEscape(text, i))
        {
            i++;
        }

        if (i == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (!NeedsEscape(text, i))
            {
                escaped.Append(c);
            }
            else if (c < 0x80)
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
        }

        return escaped.ToString();
    }

    private static bool NeedsEscape(string text, int i)
    {
        var c = text[i];
        return c switch
        {
            '\n' or '\t' => false,
            '\r' => i + 1 >= text.Length || text[i + 1] != '\n',
            < ' ' or '\x7F' => true,
            >= '\x80' and <= '\x9F' => true,
            >= '\u202A' and <= '\u202E' => true,
            >= '\u2066' and <= '\u2069' => true,
            _ => false,
        };
    }
}
