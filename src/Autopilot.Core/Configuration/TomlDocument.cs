using System.Text;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Autopilot.Configuration;

/// <summary>
/// autopilot.toml as Tomlyn reads it: strict UTF-8, TOML 1.0 (Tomlyn reads TOML 1.1; the few
/// 1.1-only forms are refused, docs/configuration.md), every problem at once as
/// <c>file:line:col: message</c>, and the syntax tree indexed into <see cref="ConfigNode"/>s by key.
/// </summary>
public static partial class TomlDocument
{
    /// <summary>The result: the tree (empty when the text has errors) and every error found.</summary>
    public sealed record Result(ConfigNode Root, IReadOnlyList<ConfigError> Errors);

    /// <summary>Reads UTF-8 bytes (a leading byte-order mark is skipped, as Tomlyn does).</summary>
    public static Result Parse(ReadOnlySpan<byte> bytes, string? path = null)
    {
        var file = path ?? "<toml>";
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            var (line, column) = ByteLocation(bytes, ex.Index);
            var bad = ex.BytesUnknown is { Length: > 0 } unknown ? $" (byte 0x{unknown[0]:X2})" : "";
            return Failed(new ConfigError($"{file}:{line}:{column}", "", $"invalid UTF-8{bad}: the configuration must be UTF-8 text"));
        }

        return Parse(text, path);
    }

    /// <summary>Reads text already decoded.</summary>
    public static Result Parse(string text, string? path = null)
    {
        var file = path ?? "<toml>";
        DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, file, validate: true);
        }
        catch (TomlException ex)
        {
            // Tomlyn stops at its depth limit (64) with an exception rather than a diagnostic.
            return Failed(new ConfigError($"{file}:{ex.Line ?? 1}:{ex.Column ?? 1}", "", ex.Message));
        }
        catch (ArgumentOutOfRangeException)
        {
            // Tomlyn 2.11.1 fails this way on a backslash escape cut off by the end of the file ("\u0<EOF>").
            var line = text.AsSpan().Count('\n');
            var column = text.Length - text.LastIndexOf('\n') - 1;
            return Failed(new ConfigError(Location(file, new TextPosition(text.Length, line, column)), "", "the file ends inside a string's escape sequence"));
        }

        // Every line's first problem: what follows on the same line is mostly the parser recovering.
        var errors = new List<ConfigError>();
        var lastLine = -1;
        foreach (var diagnostic in document.Diagnostics)
        {
            if (diagnostic.Kind == DiagnosticMessageKind.Error && diagnostic.Span.Start.Line != lastLine)
            {
                lastLine = diagnostic.Span.Start.Line;
                var offset = diagnostic.Span.Start.Offset;
                var message = offset >= 0 && offset < text.Length && text[offset] == '\uFFFD'
                    ? "U+FFFD (the replacement character) is not accepted: it is what a lossy conversion leaves of bytes that were not UTF-8; if meant, write \\uFFFD in a \"string\""
                    : diagnostic.Message;
                errors.Add(new ConfigError(Location(file, diagnostic.Span.Start), "", message));
            }
        }

        if (errors.Count > 0)
        {
            return new Result(ConfigNode.Table(new ConfigOrigin(ConfigOriginKind.File, file)), errors);
        }

        var root = new Indexer(file, errors).Index(document);
        return errors.Count > 0 ? new Result(ConfigNode.Table(new ConfigOrigin(ConfigOriginKind.File, file)), errors) : new Result(root, errors);
    }

    internal static string Location(string file, TextPosition position) => $"{file}:{position.Line + 1}:{position.Column + 1}";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static Result Failed(ConfigError error) => new(ConfigNode.Table(ConfigOrigin.Default), [error]);

    // Line and column (in characters) of a byte offset in UTF-8 text known to be valid before it.
    private static (int Line, int Column) ByteLocation(ReadOnlySpan<byte> bytes, int index)
    {
        var before = bytes[..Math.Clamp(index, 0, bytes.Length)];
        var line = before.Count((byte)'\n') + 1;
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        return (line, Encoding.UTF8.GetCharCount(before[lineStart..]) + 1);
    }

    // ------------------------------------------------------------ the syntax tree, indexed by key

    // One walk over the syntax tree: every key into the tree, every value checked for TOML 1.1-only forms.
    private sealed class Indexer(string file, List<ConfigError> errors)
    {
        public ConfigNode Index(DocumentSyntax document)
        {
            var root = ConfigNode.Table(new ConfigOrigin(ConfigOriginKind.File, file));
            foreach (var kv in document.KeyValues)
            {
                AddKeyValue(root, kv);
            }

            foreach (var table in document.Tables)
            {
                var origin = Origin(table.Span.Start);
                var segments = Segments(table.Name);
                var parent = root;
                for (var i = 0; i < segments.Count - 1; i++)
                {
                    parent = TableAt(parent, segments[i], origin);
                }

                ConfigNode node;
                if (table is TableArraySyntax)
                {
                    var array = parent.Child(segments[^1]);
                    if (array is null || !array.IsArray)
                    {
                        array = ConfigNode.Array(origin);
                        parent.Set(segments[^1], array);
                    }

                    node = ConfigNode.Table(origin);
                    array.Append(node);
                }
                else
                {
                    // A table made on the way to [a.b] is where its own [a] header is, once there is one.
                    node = TableAt(parent, segments[^1], origin);
                    node.MoveTo(origin);
                }

                foreach (var kv in table.Items)
                {
                    AddKeyValue(node, kv);
                }
            }

            return root;
        }

        private void AddKeyValue(ConfigNode table, KeyValueSyntax kv)
        {
            var origin = Origin(kv.Span.Start);
            var segments = Segments(kv.Key);
            for (var i = 0; i < segments.Count - 1; i++)
            {
                table = TableAt(table, segments[i], origin);
            }

            table.Set(segments[^1], Value(kv.Value!, origin));
        }

        private ConfigNode Value(ValueSyntax value, FilePlace origin)
        {
            switch (value)
            {
                case ArraySyntax array:
                    var list = ConfigNode.Array(origin);
                    foreach (var item in array.Items)
                    {
                        list.Append(Value(item.Value!, Origin(item.Value!.Span.Start)));
                    }

                    return list;
                case InlineTableSyntax inline:
                    CheckInlineTable(inline);
                    var table = ConfigNode.Table(origin);
                    foreach (var item in inline.Items)
                    {
                        AddKeyValue(table, item.KeyValue!);
                    }

                    return table;
                case StringValueSyntax { Token: { } token } when token.TokenKind is TokenKind.String or TokenKind.StringMulti:
                    CheckEscapes(token);
                    return ConfigNode.FileValue(value, origin);
                case DateTimeValueSyntax { Token: { } token } when TimeWithoutSeconds().Match(token.Text ?? "") is { Success: true } m:
                    errors.Add(new ConfigError(Location(file, token.Span.Start), "", $"time '{token.Text}' has no seconds: write {m.Value}:00 (TOML 1.0)"));
                    return ConfigNode.FileValue(value, origin);
                default:
                    return ConfigNode.FileValue(value, origin);
            }
        }

        // The table at name below parent, made when missing; through an array of tables, its last element.
        private static ConfigNode TableAt(ConfigNode parent, string name, FilePlace origin)
        {
            var node = parent.Child(name);
            if (node is null)
            {
                node = ConfigNode.Table(origin);
                parent.Set(name, node);
            }

            if (node.IsArray && node.Count > 0)
            {
                node = node.Child(node.ChildKeys[^1])!;
            }

            return node;
        }

        private List<string> Segments(KeySyntax? key)
        {
            var segments = new List<string>();
            if (key is null)
            {
                return segments;
            }

            segments.Add(KeyText(key.Key));
            foreach (var dotted in key.DotKeys)
            {
                segments.Add(KeyText(dotted.Key));
            }

            return segments;
        }

        private string KeyText(BareKeyOrStringValueSyntax? key)
        {
            switch (key)
            {
                case BareKeySyntax bare:
                    return bare.Key?.Text ?? "";
                case StringValueSyntax quoted:
                    if (quoted.Token is { TokenKind: TokenKind.String } token)
                    {
                        CheckEscapes(token);
                    }

                    return quoted.Value ?? "";
                default:
                    return "";
            }
        }

        private FilePlace Origin(TextPosition position) => new(file, position);

        // ------------------------------------------------------------ TOML 1.0 only

        // TOML 1.1 (what Tomlyn reads) adds: newlines, comments and a trailing comma in inline tables,
        // \xHH and \e escapes, and times without seconds. A file using them would be read differently by
        // TOML 1.0 tools (and by earlier Autopilot versions): each is refused at its place.
        private void CheckInlineTable(InlineTableSyntax inline)
        {
            if (inline.Items.ChildrenCount > 0 && inline.Items.GetChild(inline.Items.ChildrenCount - 1) is { Comma: { } comma })
            {
                errors.Add(new ConfigError(Location(file, comma.Span.Start), "", "trailing comma in an inline table (TOML 1.0 has none)"));
            }

            var breaks = new List<SyntaxTrivia>();
            for (var i = 0; i < inline.ChildrenCount; i++)
            {
                if (inline.GetChild(i) is { } child)
                {
                    CollectLineBreaks(child, child == inline.OpenBrace, child == inline.CloseBrace, breaks);
                }
            }

            if (breaks.Count > 0)
            {
                errors.Add(new ConfigError(Location(file, breaks[0].Span.Start), "",
                    "line break or comment inside an inline table: write it on one line, or use a [table] (TOML 1.0)"));
            }
        }

        // Newlines and comments in the trivia of an inline table's own tokens; arrays inside it may span lines.
        private static void CollectLineBreaks(SyntaxNode node, bool skipLeading, bool skipTrailing, List<SyntaxTrivia> found)
        {
            if (node is ArraySyntax)
            {
                return;
            }

            if (!skipLeading)
            {
                AddBreaks(node.LeadingTrivia, found);
            }

            if (!skipTrailing)
            {
                AddBreaks(node.TrailingTrivia, found);
            }

            for (var i = 0; i < node.ChildrenCount; i++)
            {
                if (node.GetChild(i) is { } child and not InlineTableSyntax)
                {
                    CollectLineBreaks(child, false, false, found);
                }
            }
        }

        private static void AddBreaks(List<SyntaxTrivia>? trivia, List<SyntaxTrivia> found)
        {
            if (trivia is null)
            {
                return;
            }

            foreach (var t in trivia)
            {
                if (t.Kind is TokenKind.NewLine or TokenKind.Comment)
                {
                    found.Add(t);
                }
            }
        }

        private void CheckEscapes(SyntaxToken token)
        {
            var text = token.Text ?? "";
            for (var i = 0; i < text.Length - 1; i++)
            {
                if (text[i] != '\\')
                {
                    continue;
                }

                var next = text[i + 1];
                if (next is 'x' or 'e')
                {
                    var start = token.Span.Start;
                    var line = start.Line + text.AsSpan(0, i).Count('\n');
                    var lineStart = text.LastIndexOf('\n', i);
                    var column = lineStart < 0 ? start.Column + i : i - lineStart - 1;
                    errors.Add(new ConfigError(Location(file, new TextPosition(start.Offset + i, line, column)), "",
                        $"escape \\{next} is TOML 1.1: write \\u00{(next == 'e' ? "1B" : "XX")} instead (TOML 1.0)"));
                }

                i++;
            }
        }
    }

    [GeneratedRegex(@"(?<![\d:+-])\d{2}:\d{2}(?![\d:])")]
    private static partial Regex TimeWithoutSeconds();
}
