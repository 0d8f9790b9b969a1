using System.Text;

namespace Autopilot.Schedulers.Common;

/// <summary>
/// A forward-only JSON cursor that accepts what PBS and LSF really print. Valid JSON reads as JSON;
/// on top of that it tolerates, because released PBS versions emit them:
/// unquoted values such as <c>"X":005</c> (openpbs #1255), unknown escapes such as <c>\'</c> and <c>\,</c>
/// (PR #2049, balsam #324), raw control characters and raw quotes inside values, and exported bash
/// functions (<c>"BASH_FUNC_x%%":"() { ... }"</c>, openpbs #2541) whose quotes and newlines are not
/// escaped. Duplicate keys are allowed (last one wins for the caller). Values the caller does not
/// want are skipped without allocating, which keeps 100,000-job listings fast.
/// </summary>
internal sealed class LenientJsonReader
{
    private static readonly System.Buffers.SearchValues<char> Blank = System.Buffers.SearchValues.Create(" \n\r\t");

    private readonly string _text;
    private readonly StringPool? _pool;
    private int _pos;

    /// <param name="pool">When given, short values repeated across the document share one string.</param>
    public LenientJsonReader(string text, int start = 0, StringPool? pool = null)
    {
        _text = text;
        _pos = start;
        _pool = pool;
    }

    public int Position => _pos;

    public StringPool? Pool => _pool;

    /// <summary>Skips whitespace and returns the next character, or '\0' at the end.</summary>
    public char Peek()
    {
        SkipWhitespace();
        return _pos < _text.Length ? _text[_pos] : '\0';
    }

    public void ReadObjectStart() => Expect('{');

    /// <summary>
    /// Moves to the next member of the current object. Returns false (and consumes the '}') at its end.
    /// The key is returned as a range of the source text when it has no escapes (the common case).
    /// </summary>
    public bool NextMember(ref bool first, out ReadOnlySpan<char> key)
    {
        key = default;
        SkipWhitespace();
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of input inside an object (truncated output?)");
        }

        if (_text[_pos] == '}')
        {
            _pos++;
            return false;
        }

        if (!first)
        {
            if (_text[_pos] != ',')
            {
                throw Error($"expected ',' or '}}' but found '{Printable(_text[_pos])}'");
            }

            _pos++;
            SkipWhitespace();
            // A trailing comma before '}' is accepted.
            if (_pos < _text.Length && _text[_pos] == '}')
            {
                _pos++;
                return false;
            }
        }

        first = false;
        if (_pos >= _text.Length || _text[_pos] != '"')
        {
            throw Error(_pos >= _text.Length ? "unexpected end of input (truncated output?)" : $"expected a quoted key but found '{Printable(_text[_pos])}'");
        }

        var (start, end, escaped) = ScanString(isKey: true);
        key = escaped ? Unescape(_text.AsSpan(start, end - start)).AsSpan() : _text.AsSpan(start, end - start);
        SkipWhitespace();
        if (_pos >= _text.Length || _text[_pos] != ':')
        {
            throw Error($"expected ':' after key \"{key}\"");
        }

        _pos++;
        return true;
    }

    /// <summary>Reads a string, number, literal or bare word as text (null for JSON null). Objects and arrays are an error.</summary>
    public string? ReadScalar()
    {
        var c = Peek();
        switch (c)
        {
            case '"':
                return ReadStringToken(isKey: false);
            case '{':
            case '[':
                throw Error("expected a value but found an object or array");
            case '\0':
                throw Error("unexpected end of input (truncated output?)");
            default:
                var word = ScanBareWord();
                return word is "null" ? null : _pool is null ? word.ToString() : _pool.Get(word);
        }
    }

    /// <summary>Skips one value of any kind.</summary>
    public void SkipValue()
    {
        var c = Peek();
        switch (c)
        {
            case '"':
                SkipStringToken(isKey: false);
                break;
            case '{':
            {
                _pos++;
                var first = true;
                while (NextMember(ref first, out _))
                {
                    SkipValue();
                }

                break;
            }

            case '[':
            {
                _pos++;
                var firstItem = true;
                while (true)
                {
                    var n = Peek();
                    if (n == ']')
                    {
                        _pos++;
                        break;
                    }

                    if (n == '\0')
                    {
                        throw Error("unexpected end of input inside an array (truncated output?)");
                    }

                    if (!firstItem)
                    {
                        if (n != ',')
                        {
                            throw Error($"expected ',' or ']' but found '{Printable(n)}'");
                        }

                        _pos++;
                        if (Peek() == ']')
                        {
                            _pos++;
                            break;
                        }
                    }

                    firstItem = false;
                    SkipValue();
                }

                break;
            }

            case '\0':
                throw Error("unexpected end of input (truncated output?)");
            default:
                ScanBareWord();
                break;
        }
    }

    /// <summary>Starts reading an array; then call <see cref="NextItem"/> until it returns false.</summary>
    public void ReadArrayStart() => Expect('[');

    public bool NextItem(ref bool first)
    {
        var c = Peek();
        if (c == ']')
        {
            _pos++;
            return false;
        }

        if (c == '\0')
        {
            throw Error("unexpected end of input inside an array (truncated output?)");
        }

        if (!first)
        {
            if (c != ',')
            {
                throw Error($"expected ',' or ']' but found '{Printable(c)}'");
            }

            _pos++;
            if (Peek() == ']')
            {
                _pos++;
                return false;
            }
        }

        first = false;
        return true;
    }

    public FormatException Error(string message)
    {
        var (line, column) = LineColumn(_pos);
        return new FormatException($"JSON at line {line}, column {column}: {message}");
    }

    private (int Line, int Column) LineColumn(int pos)
    {
        var line = 1;
        var lineStart = 0;
        var end = Math.Min(pos, _text.Length);
        for (var i = 0; i < end; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, end - lineStart + 1);
    }

    private void Expect(char c)
    {
        var n = Peek();
        if (n != c)
        {
            throw Error(n == '\0' ? $"unexpected end of input, expected '{c}'" : $"expected '{c}' but found '{Printable(n)}'");
        }

        _pos++;
    }

    // Called two or three times per token, and usually there is nothing to skip: that check is inlined.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void SkipWhitespace()
    {
        if ((uint)_pos < (uint)_text.Length && IsBlank(_text[_pos]))
        {
            SkipBlankRun();
        }
    }

    private void SkipBlankRun()
    {
        var rel = _text.AsSpan(_pos).IndexOfAnyExcept(Blank);
        _pos = rel < 0 ? _text.Length : _pos + rel;
    }

    private static bool IsBlank(char c) => c <= ' ' && (c == ' ' || c == '\n' || c == '\r' || c == '\t');

    private string ReadBareWord()
    {
        var word = ScanBareWord();
        return _pool is null ? word.ToString() : _pool.Get(word);
    }

    /// <summary>Moves past an unquoted value and returns it trimmed, without allocating.</summary>
    private ReadOnlySpan<char> ScanBareWord()
    {
        var start = _pos;
        var t = _text;
        var p = _pos;
        while (p < t.Length)
        {
            var c = t[p];
            if (c is ',' or '}' or ']' or '\n' or '\r' or ':')
            {
                break;
            }

            if (c is '{' or '[' or '"')
            {
                throw Error($"unexpected '{c}' in an unquoted value");
            }

            p++;
        }

        _pos = p;
        var word = t.AsSpan(start, p - start).Trim();
        if (word.IsEmpty)
        {
            throw Error(p < t.Length ? $"expected a value but found '{Printable(t[p])}'" : "unexpected end of input (truncated output?)");
        }

        return word;
    }

    private string ReadStringToken(bool isKey)
    {
        var (start, end, escaped) = ScanString(isKey);
        if (escaped)
        {
            return Unescape(_text.AsSpan(start, end - start));
        }

        return _pool is null ? _text.Substring(start, end - start) : _pool.Get(_text.AsSpan(start, end - start));
    }

    private void SkipStringToken(bool isKey) => ScanString(isKey);

    /// <summary>
    /// Finds the closing quote of the string that starts at <see cref="_pos"/>. A quote closes the
    /// string only where valid JSON could continue (',' '}' ']' or a line end for values, ':' for
    /// keys); any other quote is taken as a raw quote inside the value.
    /// </summary>
    private (int Start, int End, bool Escaped) ScanString(bool isKey)
    {
        var t = _text;
        var start = _pos + 1;
        var escaped = false;

        if (!isKey && start < t.Length && t[start] == '(' && t.AsSpan(start).StartsWith("() {", StringComparison.Ordinal))
        {
            // An exported bash function: its body ends with a newline and '}' just before the closing quote.
            var close = t.IndexOf("\n}\"", start, StringComparison.Ordinal);
            if (close >= 0 && IsPlausibleEnd(close + 3, isKey))
            {
                _pos = close + 3;
                return (start, close + 2, t.AsSpan(start, close + 2 - start).Contains('\\'));
            }
        }

        var i = start;
        while (true)
        {
            var rel = ShortScan.IndexOfAny(t.AsSpan(i), '"', '\\');
            if (rel < 0)
            {
                _pos = t.Length;
                throw Error("unterminated string (truncated output?)");
            }

            var j = i + rel;
            if (t[j] == '\\')
            {
                escaped = true;
                i = j + 2;
                if (i > t.Length)
                {
                    _pos = t.Length;
                    throw Error("unterminated string (truncated output?)");
                }

                continue;
            }

            if (IsPlausibleEnd(j + 1, isKey))
            {
                _pos = j + 1;
                return (start, j, escaped);
            }

            i = j + 1;
        }
    }

    private bool IsPlausibleEnd(int p, bool isKey)
    {
        var t = _text;
        while (p < t.Length && (t[p] == ' ' || t[p] == '\t'))
        {
            p++;
        }

        if (p >= t.Length)
        {
            return !isKey;
        }

        var c = t[p];
        if (isKey)
        {
            return c == ':';
        }

        return c is ',' or '}' or ']' or '\n' or '\r';
    }

    private static string Unescape(ReadOnlySpan<char> s)
    {
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c != '\\' || i + 1 >= s.Length)
            {
                sb.Append(c);
                continue;
            }

            var n = s[++i];
            switch (n)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < s.Length && ushort.TryParse(s.Slice(i + 1, 4), System.Globalization.NumberStyles.HexNumber, null, out var code):
                    sb.Append((char)code);
                    i += 4;
                    break;
                default:
                    // '"', '\\', '/' as in JSON; anything else (PBS's \' and \,) stands for itself.
                    sb.Append(n);
                    break;
            }
        }

        return sb.ToString();
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();

    /// <summary>Index of the first line that starts with '{' (after optional blanks), or -1.</summary>
    public static int FindJsonStart(string text)
    {
        var lineStart = 0;
        while (lineStart < text.Length)
        {
            var p = lineStart;
            while (p < text.Length && (text[p] == ' ' || text[p] == '\t' || text[p] == '\r'))
            {
                p++;
            }

            if (p < text.Length && text[p] == '{')
            {
                return p;
            }

            var nl = text.IndexOf('\n', lineStart);
            if (nl < 0)
            {
                return -1;
            }

            lineStart = nl + 1;
        }

        return -1;
    }

    internal static bool LooksBinary(string text)
    {
        var n = Math.Min(text.Length, 4096);
        var control = 0;
        for (var i = 0; i < n; i++)
        {
            var c = text[i];
            if (c == '\0' || c == '\uFFFD')
            {
                return true;
            }

            if (char.IsControl(c) && c is not '\n' and not '\r' and not '\t')
            {
                control++;
            }
        }

        return n > 0 && control * 10 > n;
    }
}
