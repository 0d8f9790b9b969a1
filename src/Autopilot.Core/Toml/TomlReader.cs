using System.Buffers;
using System.Text;

namespace Autopilot.Toml;

/// <summary>TOML 1.0 reader (no TOML package restores here).</summary>
public static class TomlReader
{
    /// <summary>Parses a whole document; throws <see cref="TomlException"/> with line and column on invalid input.</summary>
    public static TomlTable Parse(string text, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new TomlParser(text, path).ParseDocument();
    }

    /// <summary>
    /// Parses a document given as UTF-8 bytes. TOML files must be valid UTF-8: a bad byte sequence is a
    /// <see cref="TomlException"/> at its line and column, not a silent replacement character.
    /// </summary>
    public static TomlTable Parse(ReadOnlySpan<byte> utf8, string? path = null) =>
        Parse(DecodeUtf8(utf8, path), path);

    /// <summary>Reads and parses a file as strict UTF-8.</summary>
    public static TomlTable ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllBytes(path), path);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string DecodeUtf8(ReadOnlySpan<byte> utf8, string? path)
    {
        // The BOM stays in the text: Parse(string) skips exactly one, so a second one is an error.
        if (System.Text.Unicode.Utf8.IsValid(utf8))
        {
            return StrictUtf8.GetString(utf8);
        }

        // Find the first bad byte so the message can point at it.
        var buffer = ArrayPool<char>.Shared.Rent(utf8.Length);
        try
        {
            System.Text.Unicode.Utf8.ToUtf16(utf8, buffer, out var bytesRead, out _, replaceInvalidSequences: false);
            var before = utf8[..bytesRead];
            var line = before.Count((byte)'\n') + 1;
            var lineStart = before.LastIndexOf((byte)'\n') + 1;
            var column = Encoding.UTF8.GetCharCount(before[lineStart..]) + 1;
            if (lineStart == 0 && before.StartsWith("\uFEFF"u8))
            {
                column--;
            }

            throw new TomlException($"invalid UTF-8 byte 0x{utf8[bytesRead]:X2}", path, new TomlPosition(line, column));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
