using System.Globalization;
using System.Text;

namespace Autopilot.Toml;

/// <summary>
/// Single-pass recursive-descent TOML 1.0 parser over the whole text. It tracks line and line start
/// so every node and error gets a 1-based line and column without a separate token stream.
/// </summary>
internal sealed class TomlParser
{
    /// <summary>Nesting limit for arrays and inline tables: deep input must fail as TOML, not overflow the stack.</summary>
    internal const int MaxDepth = 128;

    private readonly string _text;
    private readonly string? _path;
    private readonly TomlTable _root;
    private readonly StringBuilder _sb = new();
    private readonly List<KeyPart> _keyParts = [];

    // Config files repeat the same few keys thousands of times ([[pool]] tables); share one string per key.
    private const int KeyCacheLimit = 4096;
    private readonly Dictionary<string, string> _keyCache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _keyLookup;
    private TomlTable _current;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private int _depth;

    private readonly record struct KeyPart(string Key, TomlPosition Position);

    public TomlParser(string text, string? path)
    {
        _text = text;
        _path = path;
        _root = new TomlTable { Position = new TomlPosition(1, 1), Origin = TomlTableOrigin.Header };
        _current = _root;
        _keyLookup = _keyCache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            _pos = 1;
            _lineStart = 1;
        }
    }

    public TomlTable ParseDocument()
    {
        var text = _text;
        while (true)
        {
            SkipWhitespace();
            if (_pos >= text.Length)
            {
                break;
            }

            var c = text[_pos];
            if (c == '[')
            {
                ParseHeader();
            }
            else if (c != '#' && c != '\n' && c != '\r')
            {
                ParseKeyValue(_current);
            }

            ExpectEndOfLine();
        }

        return _root;
    }

    // ---------------------------------------------------------------- positions and errors

    private TomlPosition Pos() => new(_line, _pos - _lineStart + 1);

    private TomlPosition PosAt(int index) => new(_line, index - _lineStart + 1);

    private TomlException Error(string message) => new(message, _path, Pos());

    private TomlException ErrorAt(int index, string message) => new(message, _path, PosAt(index));

    private TomlException Error(TomlPosition position, string message) => new(message, _path, position);

    private static string Describe(char c) => c switch
    {
        '\n' => "end of line",
        '\r' => "carriage return",
        '\t' => "tab",
        _ when c < 0x20 || c == 0x7F || char.IsSurrogate(c) => $"U+{(int)c:X4}",
        _ => $"'{c}'",
    };

    private string DescribeCurrent() => _pos >= _text.Length ? "end of file" : Describe(_text[_pos]);

    // ---------------------------------------------------------------- whitespace, comments, newlines

    private void SkipWhitespace()
    {
        var text = _text;
        var pos = _pos;
        while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t'))
        {
            pos++;
        }

        _pos = pos;
    }

    /// <summary>At '#': consumes the comment up to (not including) the line end.</summary>
    private void SkipComment()
    {
        var text = _text;
        var pos = _pos + 1;
        while (pos < text.Length)
        {
            var c = text[pos];
            if (c == '\n')
            {
                break;
            }

            if (c < 0x20 || c == 0x7F)
            {
                if (c == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n')
                {
                    break;
                }

                if (c != '\t')
                {
                    throw ErrorAt(pos, $"control character {Describe(c)} is not allowed in a comment");
                }
            }
            else if (char.IsSurrogate(c))
            {
                pos = CheckSurrogatePair(pos);
            }

            pos++;
        }

        _pos = pos;
    }

    /// <summary>Validates a surrogate at <paramref name="pos"/>; returns the index of its low half.</summary>
    private int CheckSurrogatePair(int pos)
    {
        var text = _text;
        if (char.IsHighSurrogate(text[pos]) && pos + 1 < text.Length && char.IsLowSurrogate(text[pos + 1]))
        {
            return pos + 1;
        }

        throw ErrorAt(pos, $"unpaired surrogate {Describe(text[pos])} is not valid Unicode");
    }

    /// <summary>At '\n' or '\r': consumes one line ending (a lone CR is an error).</summary>
    private void ConsumeNewline()
    {
        if (_text[_pos] == '\r')
        {
            if (_pos + 1 >= _text.Length || _text[_pos + 1] != '\n')
            {
                throw Error("carriage return must be followed by a newline");
            }

            _pos++;
        }

        _pos++;
        _line++;
        _lineStart = _pos;
    }

    /// <summary>After a statement: optional whitespace and comment, then a line ending or the end of the file.</summary>
    private void ExpectEndOfLine()
    {
        SkipWhitespace();
        if (_pos >= _text.Length)
        {
            return;
        }

        if (_text[_pos] == '#')
        {
            SkipComment();
            if (_pos >= _text.Length)
            {
                return;
            }
        }

        var c = _text[_pos];
        if (c == '\n' || c == '\r')
        {
            ConsumeNewline();
            return;
        }

        throw Error($"unexpected {Describe(c)}; expected a newline or a comment");
    }

    /// <summary>Inside arrays: whitespace, comments and newlines may appear between values.</summary>
    private void SkipWhitespaceCommentsAndNewlines()
    {
        var text = _text;
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c == ' ' || c == '\t')
            {
                _pos++;
            }
            else if (c == '\n' || c == '\r')
            {
                ConsumeNewline();
            }
            else if (c == '#')
            {
                SkipComment();
            }
            else
            {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- keys

    private static bool IsBareKeyChar(char c) =>
        (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c == '_' || c == '-';

    /// <summary>Parses a (dotted) key into <see cref="_keyParts"/> and skips the whitespace after it.</summary>
    private void ParseKey()
    {
        _keyParts.Clear();
        while (true)
        {
            var position = Pos();
            _keyParts.Add(new KeyPart(ParseSimpleKey(), position));
            SkipWhitespace();
            if (_pos < _text.Length && _text[_pos] == '.')
            {
                _pos++;
                SkipWhitespace();
                continue;
            }

            return;
        }
    }

    private string ParseSimpleKey()
    {
        var text = _text;
        if (_pos >= text.Length)
        {
            throw Error("expected a key, found end of file");
        }

        var c = text[_pos];
        if (c == '"')
        {
            if (_pos + 2 < text.Length && text[_pos + 1] == '"' && text[_pos + 2] == '"')
            {
                throw Error("a multi-line string cannot be a key");
            }

            return ParseBasicString();
        }

        if (c == '\'')
        {
            if (_pos + 2 < text.Length && text[_pos + 1] == '\'' && text[_pos + 2] == '\'')
            {
                throw Error("a multi-line string cannot be a key");
            }

            return ParseLiteralString();
        }

        var start = _pos;
        var pos = _pos;
        while (pos < text.Length && IsBareKeyChar(text[pos]))
        {
            pos++;
        }

        if (pos == start)
        {
            throw Error($"expected a key, found {Describe(c)}");
        }

        _pos = pos;
        var span = text.AsSpan(start, pos - start);
        if (_keyLookup.TryGetValue(span, out var cached))
        {
            return cached;
        }

        var key = span.ToString();
        if (_keyCache.Count < KeyCacheLimit)
        {
            _keyCache.Add(key, key);
        }

        return key;
    }

    private static string JoinKey(List<KeyPart> parts, int count)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                sb.Append('.');
            }

            var key = parts[i].Key;
            var bare = key.Length > 0;
            foreach (var ch in key)
            {
                bare &= IsBareKeyChar(ch);
            }

            if (bare)
            {
                sb.Append(key);
            }
            else
            {
                sb.Append('"').Append(key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
            }
        }

        return sb.ToString();
    }

    // ---------------------------------------------------------------- statements

    /// <summary>At '[': a table header or an array-of-tables header.</summary>
    private void ParseHeader()
    {
        var headerPosition = Pos();
        _pos++;
        var arrayOfTables = _pos < _text.Length && _text[_pos] == '[';
        if (arrayOfTables)
        {
            _pos++;
        }

        SkipWhitespace();
        ParseKey();
        if (_pos >= _text.Length || _text[_pos] != ']')
        {
            throw Error($"expected ']' to close the table header, found {DescribeCurrent()}");
        }

        _pos++;
        if (arrayOfTables)
        {
            if (_pos >= _text.Length || _text[_pos] != ']')
            {
                throw Error($"expected ']]' to close the array-of-tables header, found {DescribeCurrent()}");
            }

            _pos++;
        }

        var parts = _keyParts;
        var table = _root;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            table = DescendForHeader(table, parts, i);
        }

        var last = parts[^1];
        if (arrayOfTables)
        {
            TomlArray array;
            if (table.TryGetValue(last.Key, out var existing))
            {
                if (existing is not TomlArray { IsArrayOfTables: true } existingArray)
                {
                    throw Error(last.Position, $"cannot define array of tables [[{JoinKey(parts, parts.Count)}]]: the key is already {Article(Kind(existing))}");
                }

                array = existingArray;
            }
            else
            {
                array = new TomlArray { Position = headerPosition, IsArrayOfTables = true };
                table.Add(last.Key, array, headerPosition);
            }

            var element = new TomlTable { Position = headerPosition, Origin = TomlTableOrigin.Header };
            array.Add(element);
            _current = element;
            return;
        }

        if (table.TryGetValue(last.Key, out var node))
        {
            if (node is TomlTable { Origin: TomlTableOrigin.Implicit } implicitTable)
            {
                implicitTable.Origin = TomlTableOrigin.Header;
                implicitTable.Position = headerPosition;
                table.SetKeyPosition(last.Key, headerPosition);
                _current = implicitTable;
                return;
            }

            var what = node switch
            {
                TomlTable { Origin: TomlTableOrigin.Dotted } => "it was already defined by dotted keys",
                TomlTable { Origin: TomlTableOrigin.Inline } => "it is an inline table",
                TomlTable => "it is already defined",
                TomlArray { IsArrayOfTables: true } => "it is already an array of tables",
                _ => $"the key is already {Article(node.TypeName)}",
            };
            throw Error(last.Position, $"cannot define table [{JoinKey(parts, parts.Count)}]: {what}");
        }

        var created = new TomlTable { Position = headerPosition, Origin = TomlTableOrigin.Header };
        table.Add(last.Key, created, headerPosition);
        _current = created;
    }

    private static string Article(string noun) => (noun[0] is 'a' or 'e' or 'i' or 'o' or 'u' ? "an " : "a ") + noun;

    private static string Kind(TomlNode node) => node switch
    {
        TomlTable { Origin: TomlTableOrigin.Inline } => "inline table",
        TomlArray { IsArrayOfTables: true } => "array of tables",
        _ => node.TypeName,
    };

    private TomlTable DescendForHeader(TomlTable table, List<KeyPart> parts, int index)
    {
        var part = parts[index];
        if (table.TryGetValue(part.Key, out var node))
        {
            switch (node)
            {
                case TomlTable { Origin: TomlTableOrigin.Inline }:
                    throw Error(part.Position, $"cannot extend inline table {JoinKey(parts, index + 1)}");
                case TomlTable child:
                    return child;
                case TomlArray { IsArrayOfTables: true } array:
                    return (TomlTable)array[array.Count - 1];
                default:
                    throw Error(part.Position, $"cannot use {JoinKey(parts, index + 1)} as a table: it is already {Article(node.TypeName)}");
            }
        }

        var created = new TomlTable { Position = part.Position, Origin = TomlTableOrigin.Implicit };
        table.Add(part.Key, created, part.Position);
        return created;
    }

    private void ParseKeyValue(TomlTable table)
    {
        ParseKey();
        var parts = _keyParts;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            var part = parts[i];
            if (table.TryGetValue(part.Key, out var node))
            {
                if (node is TomlTable { Origin: TomlTableOrigin.Dotted } dotted)
                {
                    table = dotted;
                    continue;
                }

                var what = node switch
                {
                    TomlTable { Origin: TomlTableOrigin.Inline } => "it is an inline table, closed once written",
                    TomlTable => "it was defined by a table header",
                    _ => $"it is already {Article(Kind(node))}",
                };
                throw Error(part.Position, $"cannot add to {JoinKey(parts, i + 1)} with a dotted key: {what}");
            }

            var created = new TomlTable { Position = part.Position, Origin = TomlTableOrigin.Dotted };
            table.Add(part.Key, created, part.Position);
            table = created;
        }

        var last = parts[^1];
        if (table.ContainsKey(last.Key))
        {
            throw Error(last.Position, $"duplicate key {JoinKey(parts, parts.Count)}");
        }

        if (_pos >= _text.Length || _text[_pos] != '=')
        {
            throw Error($"expected '=' after key {JoinKey(parts, parts.Count)}, found {DescribeCurrent()}");
        }

        _pos++;
        SkipWhitespace();
        var value = ParseValue();
        table.Add(last.Key, value, last.Position);
    }

    // ---------------------------------------------------------------- values

    private TomlNode ParseValue()
    {
        if (_pos >= _text.Length)
        {
            throw Error("expected a value, found end of file");
        }

        var position = Pos();
        var c = _text[_pos];
        TomlNode node;
        switch (c)
        {
            case '"':
                node = new TomlString(IsTripleQuote('"') ? ParseMultilineString('"') : ParseBasicString());
                break;
            case '\'':
                node = new TomlString(IsTripleQuote('\'') ? ParseMultilineString('\'') : ParseLiteralString());
                break;
            case '[':
                return ParseArray(position);
            case '{':
                return ParseInlineTable(position);
            default:
                node = ParseBareValue(position);
                break;
        }

        node.Position = position;
        return node;
    }

    private bool IsTripleQuote(char quote) =>
        _pos + 2 < _text.Length && _text[_pos + 1] == quote && _text[_pos + 2] == quote;

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            throw Error($"arrays and inline tables are nested more than {MaxDepth} deep");
        }
    }

    private TomlArray ParseArray(TomlPosition position)
    {
        Enter();
        _pos++;
        var array = new TomlArray { Position = position };
        while (true)
        {
            SkipWhitespaceCommentsAndNewlines();
            if (_pos < _text.Length && _text[_pos] == ']')
            {
                _pos++;
                break;
            }

            array.Add(ParseValue());
            SkipWhitespaceCommentsAndNewlines();
            if (_pos >= _text.Length)
            {
                throw Error(position, "unterminated array: expected ']'");
            }

            var c = _text[_pos];
            if (c == ',')
            {
                _pos++;
                continue;
            }

            if (c == ']')
            {
                _pos++;
                break;
            }

            throw Error($"expected ',' or ']' in array, found {Describe(c)}");
        }

        _depth--;
        return array;
    }

    private TomlTable ParseInlineTable(TomlPosition position)
    {
        Enter();
        _pos++;
        var table = new TomlTable { Position = position, Origin = TomlTableOrigin.Inline };
        SkipWhitespace();
        if (_pos < _text.Length && _text[_pos] == '}')
        {
            _pos++;
            _depth--;
            return table;
        }

        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n' || _text[_pos] == '\r')
            {
                throw Error($"expected a key in inline table, found {DescribeCurrent()} (inline tables must be on one line)");
            }

            ParseKeyValue(table);
            SkipWhitespace();
            if (_pos >= _text.Length)
            {
                throw Error(position, "unterminated inline table: expected '}'");
            }

            var c = _text[_pos];
            if (c == ',')
            {
                _pos++;
                SkipWhitespace();
                if (_pos < _text.Length && _text[_pos] == '}')
                {
                    throw Error("trailing comma is not allowed in an inline table");
                }

                continue;
            }

            if (c == '}')
            {
                _pos++;
                break;
            }

            throw Error(c is '\n' or '\r'
                ? "expected '}' before the end of the line (inline tables must be on one line)"
                : $"expected ',' or '}}' in inline table, found {Describe(c)}");
        }

        _depth--;
        return table;
    }

    // ---------------------------------------------------------------- strings

    /// <summary>At '"': a single-line basic string; returns its value.</summary>
    private string ParseBasicString()
    {
        var text = _text;
        var start = ++_pos;
        var pos = start;
        StringBuilder? sb = null;
        var chunkStart = start;
        while (true)
        {
            if (pos >= text.Length)
            {
                throw ErrorAt(start - 1, "unterminated string");
            }

            var c = text[pos];
            if (c == '"')
            {
                _pos = pos + 1;
                if (sb is null)
                {
                    return text.Substring(start, pos - start);
                }

                sb.Append(text, chunkStart, pos - chunkStart);
                return sb.ToString();
            }

            if (c == '\\')
            {
                sb ??= _sb.Clear();
                sb.Append(text, chunkStart, pos - chunkStart);
                pos = AppendEscape(sb, pos);
                chunkStart = pos;
                continue;
            }

            if (c < 0x20 || c == 0x7F)
            {
                if (c == '\n' || c == '\r')
                {
                    throw ErrorAt(pos, "unterminated string: a basic string cannot span lines (use \"\"\" for multi-line)");
                }

                if (c != '\t')
                {
                    throw ErrorAt(pos, $"control character {Describe(c)} must be escaped in a string");
                }
            }
            else if (char.IsSurrogate(c))
            {
                pos = CheckSurrogatePair(pos);
            }

            pos++;
        }
    }

    /// <summary>At '\\' inside a basic string: appends the escaped text and returns the index after the escape.</summary>
    private int AppendEscape(StringBuilder sb, int pos)
    {
        var text = _text;
        if (pos + 1 >= text.Length)
        {
            throw ErrorAt(pos, "unterminated escape sequence");
        }

        var e = text[pos + 1];
        switch (e)
        {
            case 'b': sb.Append('\b'); return pos + 2;
            case 't': sb.Append('\t'); return pos + 2;
            case 'n': sb.Append('\n'); return pos + 2;
            case 'f': sb.Append('\f'); return pos + 2;
            case 'r': sb.Append('\r'); return pos + 2;
            case '"': sb.Append('"'); return pos + 2;
            case '\\': sb.Append('\\'); return pos + 2;
            case 'u':
            case 'U':
                var digits = e == 'u' ? 4 : 8;
                if (pos + 2 + digits > text.Length)
                {
                    throw ErrorAt(pos, $"escape \\{e} needs {digits} hexadecimal digits");
                }

                var code = 0;
                for (var i = 0; i < digits; i++)
                {
                    var h = HexValue(text[pos + 2 + i]);
                    if (h < 0)
                    {
                        throw ErrorAt(pos, $"escape \\{e} needs {digits} hexadecimal digits");
                    }

                    code = (code << 4) | h;
                }

                // Eight hex digits can exceed int range; a negative value is out of range too.
                if (code < 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                {
                    throw ErrorAt(pos, $"escape {text.AsSpan(pos, 2 + digits)} is not a Unicode scalar value");
                }

                if (code < 0x10000)
                {
                    sb.Append((char)code);
                }
                else
                {
                    code -= 0x10000;
                    sb.Append((char)(0xD800 + (code >> 10))).Append((char)(0xDC00 + (code & 0x3FF)));
                }

                return pos + 2 + digits;
            default:
                throw ErrorAt(pos, e < 0x20 || e == 0x7F || char.IsSurrogate(e)
                    ? $"invalid escape sequence: backslash followed by {Describe(e)}"
                    : $"invalid escape sequence \\{e}");
        }
    }

    private static int HexValue(char c)
    {
        if ((uint)(c - '0') <= 9)
        {
            return c - '0';
        }

        var lower = c | 0x20;
        return (uint)(lower - 'a') <= 5 ? lower - 'a' + 10 : -1;
    }

    /// <summary>
    /// At '"""' (basic: escapes and line-ending backslashes) or "'''" (literal: text as written), a
    /// multi-line string. Line endings in the value are normalised to '\n'.
    /// </summary>
    private string ParseMultilineString(char quote)
    {
        var basic = quote == '"';
        var kind = basic ? "multi-line string" : "multi-line literal string";
        var text = _text;
        var open = Pos();
        _pos += 3;
        SkipNewlineAfterOpeningDelimiter();
        var sb = _sb.Clear();
        var pos = _pos;
        var chunkStart = pos;
        while (true)
        {
            if (pos >= text.Length)
            {
                throw Error(open, "unterminated " + kind);
            }

            var c = text[pos];
            if (c == quote)
            {
                var quotes = CountRun(pos, quote);
                if (quotes >= 3)
                {
                    if (quotes > 5)
                    {
                        throw ErrorAt(pos, $"too many quotes at the end of a {kind} (at most two may precede the closing {new string(quote, 3)})");
                    }

                    sb.Append(text, chunkStart, pos + quotes - 3 - chunkStart);
                    _pos = pos + quotes;
                    return sb.ToString();
                }

                pos += quotes;
                continue;
            }

            if (basic && c == '\\')
            {
                sb.Append(text, chunkStart, pos - chunkStart);
                var next = pos + 1;
                while (next < text.Length && (text[next] == ' ' || text[next] == '\t'))
                {
                    next++;
                }

                if (next < text.Length && (text[next] == '\n' || text[next] == '\r'))
                {
                    // Line-ending backslash: drop the line break and all whitespace up to the next content.
                    _pos = next;
                    SkipWhitespaceAndNewlinesInString();
                    pos = chunkStart = _pos;
                    continue;
                }

                pos = chunkStart = AppendEscape(sb, pos);
                continue;
            }

            if (c == '\n' || c == '\r')
            {
                sb.Append(text, chunkStart, pos - chunkStart);
                _pos = pos;
                ConsumeNewline();
                sb.Append('\n');
                pos = chunkStart = _pos;
                continue;
            }

            if ((c < 0x20 && c != '\t') || c == 0x7F)
            {
                throw ErrorAt(pos, basic
                    ? $"control character {Describe(c)} must be escaped in a string"
                    : $"control character {Describe(c)} is not allowed in a literal string");
            }

            if (char.IsSurrogate(c))
            {
                pos = CheckSurrogatePair(pos);
            }

            pos++;
        }
    }

    private void SkipWhitespaceAndNewlinesInString()
    {
        var text = _text;
        while (_pos < text.Length)
        {
            var c = text[_pos];
            if (c == ' ' || c == '\t')
            {
                _pos++;
            }
            else if (c == '\n' || c == '\r')
            {
                ConsumeNewline();
            }
            else
            {
                return;
            }
        }
    }

    private void SkipNewlineAfterOpeningDelimiter()
    {
        if (_pos < _text.Length && (_text[_pos] == '\n' || _text[_pos] == '\r'))
        {
            ConsumeNewline();
        }
    }

    private int CountRun(int pos, char c)
    {
        var end = pos;
        while (end < _text.Length && _text[end] == c)
        {
            end++;
        }

        return end - pos;
    }

    /// <summary>At '\'': a single-line literal string.</summary>
    private string ParseLiteralString()
    {
        var text = _text;
        var start = ++_pos;
        var pos = start;
        while (true)
        {
            if (pos >= text.Length)
            {
                throw ErrorAt(start - 1, "unterminated literal string");
            }

            var c = text[pos];
            if (c == '\'')
            {
                _pos = pos + 1;
                return text.Substring(start, pos - start);
            }

            if (c < 0x20 || c == 0x7F)
            {
                if (c == '\n' || c == '\r')
                {
                    throw ErrorAt(pos, "unterminated literal string: it cannot span lines (use ''' for multi-line)");
                }

                if (c != '\t')
                {
                    throw ErrorAt(pos, $"control character {Describe(c)} is not allowed in a literal string");
                }
            }
            else if (char.IsSurrogate(c))
            {
                pos = CheckSurrogatePair(pos);
            }

            pos++;
        }
    }

    // ---------------------------------------------------------------- numbers, booleans, date-times

    private static bool IsTokenChar(char c) =>
        (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9 || c is '_' or '+' or '-' or '.' or ':';

    private static bool IsDigit(char c) => (uint)(c - '0') <= 9;

    private TomlNode ParseBareValue(TomlPosition position)
    {
        var text = _text;
        var start = _pos;
        var pos = start;
        while (pos < text.Length && IsTokenChar(text[pos]))
        {
            pos++;
        }

        // A date followed by a space and a time is one date-time (RFC 3339 allows the space).
        if (pos - start == 10 && pos + 1 < text.Length && text[pos] == ' ' && IsDigit(text[pos + 1])
            && IsDigit(text[start]) && text[start + 4] == '-')
        {
            pos++;
            while (pos < text.Length && IsTokenChar(text[pos]))
            {
                pos++;
            }
        }

        if (pos == start)
        {
            throw Error($"expected a value, found {DescribeCurrent()}");
        }

        _pos = pos;
        var token = text.AsSpan(start, pos - start);
        switch (token)
        {
            case "true":
                return new TomlBoolean(true);
            case "false":
                return new TomlBoolean(false);
            case "inf":
            case "+inf":
                return new TomlFloat(double.PositiveInfinity);
            case "-inf":
                return new TomlFloat(double.NegativeInfinity);
            case "nan":
            case "+nan":
            case "-nan":
                return new TomlFloat(double.NaN);
        }

        if (token.Length >= 2 && token[0] == '0' && token[1] is 'x' or 'o' or 'b')
        {
            return new TomlInteger(ParseRadixInteger(token, position));
        }

        if (token.Length >= 5 && IsDigit(token[0]) && IsDigit(token[1]) && IsDigit(token[2]) && IsDigit(token[3]) && token[4] == '-')
        {
            return ParseDateTime(token, position);
        }

        if (token.Length >= 3 && IsDigit(token[0]) && IsDigit(token[1]) && token[2] == ':')
        {
            return ParseLocalTime(token, position);
        }

        return ParseDecimal(token, position);
    }

    /// <summary>Scans digits with single underscores between them; returns false on a misplaced underscore or no digits.</summary>
    private static bool ScanDigits(ReadOnlySpan<char> s, ref int i)
    {
        var start = i;
        while (i < s.Length)
        {
            var c = s[i];
            if (IsDigit(c))
            {
                i++;
            }
            else if (c == '_' && i > start && i + 1 < s.Length && IsDigit(s[i + 1]))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        return i > start && s[start] != '_';
    }

    private TomlNode ParseDecimal(ReadOnlySpan<char> s, TomlPosition position)
    {
        var i = 0;
        var negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i = 1;
        }

        var intStart = i;
        if (!ScanDigits(s, ref i))
        {
            throw Error(position, $"invalid value '{s}'");
        }

        if (s[intStart] == '0' && i - intStart > 1)
        {
            throw Error(position, $"leading zeros are not allowed in '{s}'");
        }

        if (i == s.Length)
        {
            return new TomlInteger(ParseDecimalInteger(s, intStart, negative, position));
        }

        var isFloat = false;
        if (s[i] == '.')
        {
            i++;
            if (i >= s.Length || !IsDigit(s[i]) || !ScanDigits(s, ref i))
            {
                throw Error(position, $"invalid float '{s}': a digit must follow the decimal point");
            }

            isFloat = true;
        }

        if (i < s.Length && (s[i] | 0x20) == 'e')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }

            if (i >= s.Length || !IsDigit(s[i]) || !ScanDigits(s, ref i))
            {
                throw Error(position, $"invalid float '{s}': the exponent needs digits");
            }

            isFloat = true;
        }

        if (!isFloat || i != s.Length)
        {
            throw Error(position, $"invalid value '{s}'");
        }

        Span<char> buffer = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        var n = 0;
        foreach (var c in s)
        {
            if (c != '_')
            {
                buffer[n++] = c;
            }
        }

        return new TomlFloat(double.Parse(buffer[..n], NumberStyles.Float, CultureInfo.InvariantCulture));
    }

    private long ParseDecimalInteger(ReadOnlySpan<char> s, int start, bool negative, TomlPosition position)
    {
        ulong value = 0;
        for (var i = start; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '_')
            {
                continue;
            }

            if (value > (ulong.MaxValue - 9) / 10)
            {
                throw Error(position, $"integer '{s}' does not fit in 64 bits");
            }

            value = value * 10 + (ulong)(c - '0');
        }

        if (negative)
        {
            if (value > (ulong)long.MaxValue + 1)
            {
                throw Error(position, $"integer '{s}' does not fit in 64 bits");
            }

            return (long)(0 - value);
        }

        if (value > long.MaxValue)
        {
            throw Error(position, $"integer '{s}' does not fit in 64 bits");
        }

        return (long)value;
    }

    private long ParseRadixInteger(ReadOnlySpan<char> s, TomlPosition position)
    {
        var (radixBits, name) = s[1] switch
        {
            'x' => (4, "hexadecimal"),
            'o' => (3, "octal"),
            _ => (1, "binary"),
        };
        var radix = 1 << radixBits;
        if (s.Length == 2 || s[2] == '_' || s[^1] == '_')
        {
            throw Error(position, $"invalid {name} integer '{s}'");
        }

        ulong value = 0;
        var previousUnderscore = false;
        for (var i = 2; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '_')
            {
                if (previousUnderscore)
                {
                    throw Error(position, $"invalid {name} integer '{s}'");
                }

                previousUnderscore = true;
                continue;
            }

            previousUnderscore = false;
            var digit = HexValue(c);
            if (digit < 0 || digit >= radix)
            {
                throw Error(position, $"invalid {name} integer '{s}'");
            }

            if (value >> (64 - radixBits) != 0)
            {
                throw Error(position, $"integer '{s}' does not fit in 64 bits");
            }

            value = (value << radixBits) | (uint)digit;
        }

        if (value > long.MaxValue)
        {
            throw Error(position, $"integer '{s}' does not fit in 64 bits");
        }

        return (long)value;
    }

    private static int ReadDigits(ReadOnlySpan<char> s, int start, int count)
    {
        if (start + count > s.Length)
        {
            return -1;
        }

        var value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!IsDigit(s[i]))
            {
                return -1;
            }

            value = value * 10 + (s[i] - '0');
        }

        return value;
    }

    private TomlDateTime ParseDateTime(ReadOnlySpan<char> s, TomlPosition position)
    {
        var year = ReadDigits(s, 0, 4);
        var month = ReadDigits(s, 5, 2);
        var day = ReadDigits(s, 8, 2);
        if (year < 0 || month < 0 || day < 0 || s.Length < 10 || s[7] != '-' || (s.Length > 10 && IsDigit(s[10])))
        {
            throw Error(position, $"invalid date '{s}': expected YYYY-MM-DD");
        }

        if (month is < 1 or > 12)
        {
            throw Error(position, $"invalid date '{s}': month must be 01-12");
        }

        if (year == 0)
        {
            throw Error(position, $"date '{s}': year 0000 is not supported");
        }

        if (day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            throw Error(position, $"invalid date '{s}': day out of range for the month");
        }

        var date = new DateOnly(year, month, day);
        var raw = s.ToString();
        if (s.Length == 10)
        {
            return new TomlDateTime(TomlDateTimeKind.LocalDate, raw, date: date);
        }

        if (s[10] is not ('T' or 't' or ' '))
        {
            throw Error(position, $"invalid date-time '{s}': expected 'T' or a space between date and time");
        }

        var i = 11;
        var time = ParseTime(s, ref i, position);
        DateTime local;
        try
        {
            local = date.ToDateTime(time.Time).AddTicks(time.LeapTicks);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Error(position, $"date-time '{s}' is outside the supported range");
        }

        if (i == s.Length)
        {
            return new TomlDateTime(TomlDateTimeKind.LocalDateTime, raw, local: local);
        }

        int offsetMinutes;
        if ((s[i] | 0x20) == 'z' && i + 1 == s.Length)
        {
            offsetMinutes = 0;
        }
        else if (s[i] is '+' or '-' && s.Length == i + 6 && s[i + 3] == ':')
        {
            var hours = ReadDigits(s, i + 1, 2);
            var minutes = ReadDigits(s, i + 4, 2);
            if (hours is < 0 or > 23 || minutes is < 0 or > 59)
            {
                throw Error(position, $"invalid date-time '{s}': offset out of range");
            }

            offsetMinutes = (hours * 60 + minutes) * (s[i] == '-' ? -1 : 1);
        }
        else
        {
            throw Error(position, $"invalid date-time '{s}': expected 'Z' or an offset such as +01:00 after the time");
        }

        try
        {
            var offset = TimeSpan.FromMinutes(offsetMinutes);
            // .NET offsets stop at ±14:00; beyond that keep the instant, expressed in UTC (Raw keeps the text).
            var value = Math.Abs(offsetMinutes) <= 14 * 60
                ? new DateTimeOffset(local, offset)
                : new DateTimeOffset(local - offset, TimeSpan.Zero);
            return new TomlDateTime(TomlDateTimeKind.OffsetDateTime, raw, offset: value);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Error(position, $"date-time '{s}' is outside the supported range");
        }
    }

    private TomlDateTime ParseLocalTime(ReadOnlySpan<char> s, TomlPosition position)
    {
        var i = 0;
        var time = ParseTime(s, ref i, position);
        if (i != s.Length)
        {
            throw Error(position, $"invalid time '{s}': unexpected text after the time");
        }

        return new TomlDateTime(TomlDateTimeKind.LocalTime, s.ToString(), time: time.Time);
    }

    /// <summary>A parsed HH:MM:SS[.frac]. A leap second (:60) is kept as :59 plus <see cref="LeapTicks"/> of one second.</summary>
    private readonly record struct ParsedTime(TimeOnly Time, long LeapTicks);

    private ParsedTime ParseTime(ReadOnlySpan<char> s, ref int i, TomlPosition position)
    {
        var hour = ReadDigits(s, i, 2);
        var minute = ReadDigits(s, i + 3, 2);
        var second = ReadDigits(s, i + 6, 2);
        if (hour < 0 || minute < 0 || second < 0 || s[i + 2] != ':' || s[i + 5] != ':')
        {
            throw Error(position, $"invalid time in '{s}': expected HH:MM:SS");
        }

        if (hour > 23 || minute > 59 || second > 60)
        {
            throw Error(position, $"invalid time in '{s}': hour, minute or second out of range");
        }

        i += 8;
        long fractionTicks = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            var digitsStart = i;
            long scale = TimeSpan.TicksPerSecond;
            while (i < s.Length && IsDigit(s[i]))
            {
                // Ticks are 100 ns: digits past the seventh are dropped.
                if (scale > 1)
                {
                    scale /= 10;
                    fractionTicks += (s[i] - '0') * scale;
                }

                i++;
            }

            if (i == digitsStart)
            {
                throw Error(position, $"invalid time in '{s}': a digit must follow the decimal point");
            }
        }

        var leapTicks = 0L;
        if (second == 60)
        {
            second = 59;
            leapTicks = TimeSpan.TicksPerSecond;
        }

        var time = new TimeOnly(hour, minute, second).Add(TimeSpan.FromTicks(fractionTicks));
        return new ParsedTime(time, leapTicks);
    }
}
