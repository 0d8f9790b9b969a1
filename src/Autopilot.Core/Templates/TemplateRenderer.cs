using System.Text;

namespace Autopilot.Templates;

/// <summary>
/// Renders pilot templates. A placeholder is <c>{{name}}</c> or <c>{{name:-default}}</c> (the
/// default is used when the name has no value); whitespace inside the braces is ignored. Every
/// substituted value is shell-quoted, so a template writes <c>queue={{queue}}</c>, never
/// <c>queue="{{queue}}"</c>. An unknown name without a default is an error naming file, line and name.
/// </summary>
public static class TemplateRenderer
{
    /// <summary>Reads and renders a template file.</summary>
    /// <exception cref="TemplateException">The file cannot be read or names an unknown placeholder.</exception>
    public static string Render(string path, IReadOnlyDictionary<string, string> values)
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

        return RenderText(text, values, path);
    }

    /// <summary>Renders template text; <paramref name="source"/> names it in errors.</summary>
    public static string RenderText(string text, IReadOnlyDictionary<string, string> values, string source)
    {
        var output = new StringBuilder(text.Length + 256);
        var line = 1;
        var lineStart = 0;
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
                    throw new TemplateException($"{source}:{line}:{column}: unterminated placeholder (missing '}}}}')", source, line, column);
                }

                var inner = text[(i + 2)..close].Trim();
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
                    throw new TemplateException($"{source}:{line}:{column}: bad placeholder '{{{{{inner}}}}}' (names are letters, digits and '_')", source, line, column);
                }

                if (values.TryGetValue(name, out var value))
                {
                    output.Append(ShellQuote(value));
                }
                else if (fallback is not null)
                {
                    output.Append(ShellQuote(fallback));
                }
                else
                {
                    var hint = Configuration.Suggest.Closest(name, values.Keys);
                    throw new TemplateException(
                        $"{source}:{line}:{column}: unknown placeholder '{{{{{name}}}}}'{(hint is null ? "" : $"; did you mean '{hint}'?")} (define it in the pool's template_vars, or write {{{{{name}:-default}}}})",
                        source, line, column, name);
                }

                i = close + 2;
                continue;
            }

            if (c == '\n')
            {
                line++;
                lineStart = i + 1;
            }

            output.Append(c);
            i++;
        }

        return output.ToString();
    }

    /// <summary>Single-quotes a value for POSIX sh: <c>it's</c> becomes <c>'it'\''s'</c>.</summary>
    public static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Finds a template: an absolute path as is; else relative to <paramref name="templateDir"/>;
    /// else in a <c>bin-templates</c> folder next to the executable, or in the current directory
    /// or AppContext.BaseDirectory or any of their parents.
    /// </summary>
    /// <exception cref="TemplateException">Not found; the message lists where it looked.</exception>
    public static string Resolve(string template, string? templateDir)
    {
        var candidates = Candidates(template, templateDir).ToList();
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

    private static IEnumerable<string> Candidates(string template, string? templateDir)
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
