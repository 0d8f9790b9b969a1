using System.Text;

namespace Autopilot.Templates;

/// <summary>
/// Renders pilot templates. A placeholder is <c>{{name}}</c> or <c>{{name:-default}}</c> (the
/// default is used when the name has no value); whitespace inside the braces is ignored. Every
/// substituted value is shell-quoted, so a template writes <c>queue={{queue}}</c>, never
/// <c>queue="{{queue}}"</c>. An unknown name without a default is an error naming file, line and name.
/// A line that holds only <c>{{&gt; common/picas-loop.sh}}</c> is replaced by that template, found
/// like any template (<see cref="Resolve"/> with the same template_dir) and rendered with the same
/// values; includes may nest up to <see cref="MaxIncludeDepth"/> deep, and a cycle is an error. An
/// include that another non-root user could change is refused like the pool's own template.
/// </summary>
public static class TemplateRenderer
{
    /// <summary>What may not be in a substituted value: anything that ends a line for a shell, sbatch or a reader, and NUL.</summary>
    private static readonly System.Buffers.SearchValues<char> LineBreaks = System.Buffers.SearchValues.Create("\n\r\0\v\f\u0085\u2028\u2029");

    /// <summary>How deep includes may nest: deeper is taken as a runaway, not a design.</summary>
    public const int MaxIncludeDepth = 8;

    /// <summary>Reads and renders a template file; includes are resolved against <paramref name="templateDir"/>, then the bin-templates folder.</summary>
    /// <exception cref="TemplateException">The file or an include cannot be read, or names an unknown placeholder.</exception>
    public static string Render(string path, IReadOnlyDictionary<string, string> values, string? templateDir = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TemplateException($"{path}: cannot read template: {ex.Message}", path, 0, 0);
        }

        var includes = new IncludeChain(templateDir);
        includes.Files.Add(Path.GetFullPath(path));
        var output = new StringBuilder(text.Length + 256);
        RenderInto(output, text, values, path, includes);
        return output.ToString();
    }

    /// <summary>Renders template text; <paramref name="source"/> names it in errors.</summary>
    public static string RenderText(string text, IReadOnlyDictionary<string, string> values, string source, string? templateDir = null)
    {
        var output = new StringBuilder(text.Length + 256);
        RenderInto(output, text, values, source, new IncludeChain(templateDir));
        return output.ToString();
    }

    private static void RenderInto(StringBuilder output, string text, IReadOnlyDictionary<string, string> values, string source, IncludeChain includes)
    {
        var line = 1;
        var lineStart = 0;
        var lineOutputStart = output.Length;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{')
            {
                var column = i - lineStart + 1;
                var close = text.IndexOf("}}", i + 2, StringComparison.Ordinal);
                var newline = text.IndexOf('\n', i + 2);
                if (close < 0 || (newline >= 0 && newline < close))
                {
                    throw Error(includes, source, line, column, "unterminated placeholder (missing '}}')");
                }

                var inner = text[(i + 2)..close].Trim();
                if (inner.StartsWith('>'))
                {
                    var lineEnd = newline < 0 ? text.Length : newline;
                    if (!IsBlank(text, lineStart, i) || !IsBlank(text, close + 2, lineEnd))
                    {
                        throw Error(includes, source, line, column, $"an include '{{{{{inner}}}}}' must stand alone on its line");
                    }

                    // The indentation before the include was already copied; the included text brings its own.
                    output.Length = lineOutputStart;
                    Include(output, inner[1..].Trim(), values, source, line, column, includes);
                    if (lineEnd == text.Length)
                    {
                        break;
                    }

                    if (output.Length > lineOutputStart && output[^1] != '\n')
                    {
                        output.Append('\n');
                    }

                    i = lineEnd + 1;
                    line++;
                    lineStart = i;
                    lineOutputStart = output.Length;
                    continue;
                }

                AppendValue(output, inner, values, source, line, column, includes);
                i = close + 2;
                continue;
            }

            output.Append(c);
            i++;
            if (c == '\n')
            {
                line++;
                lineStart = i;
                lineOutputStart = output.Length;
            }
        }
    }

    /// <summary>A <c>{{name}}</c> or <c>{{name:-default}}</c> placeholder: its value, shell-quoted and single-line.</summary>
    private static void AppendValue(StringBuilder output, string inner, IReadOnlyDictionary<string, string> values, string source, int line, int column, IncludeChain includes)
    {
        string name;
        string? fallback = null;
        var sep = inner.IndexOf(":-", StringComparison.Ordinal);
        if (sep >= 0)
        {
            name = inner[..sep].Trim();
            fallback = inner[(sep + 2)..];
        }
        else
        {
            name = inner;
        }

        if (!IsName(name))
        {
            throw Error(includes, source, line, column, $"bad placeholder '{{{{{inner}}}}}' (names are letters, digits and '_')");
        }

        if (values.TryGetValue(name, out var value) || fallback is not null)
        {
            value ??= fallback!;
            if (value.AsSpan().IndexOfAny(LineBreaks) is var at and >= 0)
            {
                // Quoting does not help inside a comment: a line break there would start a live
                // `#SBATCH` directive or command.
                throw Error(includes, source, line, column,
                    $"the value of placeholder '{{{{{name}}}}}' contains a line break or NUL (U+{(int)value[at]:X4}) at position {at + 1}; rendered values must be single-line",
                    name);
            }

            output.Append(ShellQuote(value));
        }
        else
        {
            var hint = Configuration.Suggest.Closest(name, values.Keys);
            throw Error(includes, source, line, column,
                $"unknown placeholder '{{{{{name}}}}}'{(hint is null ? "" : $"; did you mean '{hint}'?")} (define it in the pool's template_vars, or write {{{{{name}:-default}}}})",
                name);
        }
    }

    private static void Include(StringBuilder output, string name, IReadOnlyDictionary<string, string> values, string source, int line, int column, IncludeChain includes)
    {
        if (name.Length == 0)
        {
            throw Error(includes, source, line, column, "an include names no template ('{{> common/file.sh}}')");
        }

        string path;
        try
        {
            path = Path.GetFullPath(Resolve(name, includes.TemplateDir, includes.Files.Count > 0 ? Path.GetDirectoryName(includes.Files[^1]) : null));
        }
        catch (TemplateException ex)
        {
            throw Error(includes, source, line, column, "cannot include: " + ex.Message);
        }

        if (includes.Files.Contains(path))
        {
            throw Error(includes, source, line, column, $"include cycle: {string.Join(" -> ", includes.Files)} -> {path}");
        }

        if (includes.Lines.Count >= MaxIncludeDepth)
        {
            throw Error(includes, source, line, column, $"includes nest deeper than {MaxIncludeDepth} (at '{name}')");
        }

        // Like the pool's own template (TrustedFiles.Check): another user who can change it runs code as us.
        if (Security.TrustedFiles.IncludeProblem(path) is { } untrusted)
        {
            throw Error(includes, source, line, column, untrusted);
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Error(includes, source, line, column, $"cannot read included template {path}: {ex.Message}");
        }

        includes.Lines.Add($"{source}:{line}");
        includes.Files.Add(path);
        RenderInto(output, text, values, path, includes);
        includes.Files.RemoveAt(includes.Files.Count - 1);
        includes.Lines.RemoveAt(includes.Lines.Count - 1);
    }

    private static TemplateException Error(IncludeChain includes, string source, int line, int column, string message, string? placeholder = null)
    {
        // The innermost file leads the message; the include lines that led to it follow, nearest first.
        var from = includes.Lines.Count == 0 ? "" : $" (included from {string.Join(", from ", Enumerable.Reverse(includes.Lines))})";
        return new TemplateException($"{source}:{line}:{column}: {message}{from}", source, line, column, placeholder);
    }

    private static bool IsBlank(string text, int from, int to)
    {
        for (var k = from; k < to; k++)
        {
            if (text[k] is not (' ' or '\t' or '\r'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The include lines being rendered (outermost first) and the files they opened, for cycles and depth.</summary>
    private sealed class IncludeChain(string? templateDir)
    {
        public string? TemplateDir { get; } = templateDir;

        public List<string> Lines { get; } = [];

        public List<string> Files { get; } = [];
    }

    /// <summary>Single-quotes a value for POSIX sh: <c>it's</c> becomes <c>'it'\''s'</c>.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Finds a template: an absolute path as is; else relative to <paramref name="templateDir"/>;
    /// else, for an include, next to the including file or one folder up (a template tree's
    /// <c>slurm/pilot.sh</c> includes <c>common/x.sh</c> from that tree, wherever the tree and the
    /// executable are); else in a <c>bin-templates</c> folder next to the executable, or in the
    /// current directory or AppContext.BaseDirectory or any of their parents.
    /// </summary>
    /// <param name="including">The folder of the template that includes this one; null for a pool's own template.</param>
    /// <exception cref="TemplateException">Not found; the message lists where it looked.</exception>
    public static string Resolve(string template, string? templateDir, string? including = null)
    {
        var candidates = Candidates(template, templateDir, including).ToList();
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new TemplateException(
            $"template '{template}' not found (looked at: {string.Join(", ", candidates.Distinct())})", template, 0, 0);
    }

    private static IEnumerable<string> Candidates(string template, string? templateDir, string? including)
    {
        var expanded = Configuration.PathExpander.Expand(template);
        if (Path.IsPathRooted(expanded))
        {
            yield return expanded;
            yield break;
        }

        if (!string.IsNullOrEmpty(templateDir))
        {
            yield return Path.GetFullPath(Path.Combine(Configuration.PathExpander.Expand(templateDir), expanded));
        }

        if (!string.IsNullOrEmpty(including))
        {
            yield return Path.GetFullPath(Path.Combine(including, expanded));
            if (Path.GetDirectoryName(including) is { Length: > 0 } up)
            {
                yield return Path.GetFullPath(Path.Combine(up, expanded));
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "bin-templates", expanded);
                if (seen.Add(candidate))
                {
                    yield return candidate;
                }
            }
        }
    }

    private static bool IsName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_');
}
