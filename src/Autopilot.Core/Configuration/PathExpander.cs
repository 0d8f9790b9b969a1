using System.Text.RegularExpressions;

namespace Autopilot.Configuration;

/// <summary>Expands a leading ~ and $VAR / ${VAR} in configured paths.</summary>
public static partial class PathExpander
{
    public static string Expand(string path)
    {
        ArgumentNullException.ThrowIfNull(path);

        // Most paths name no variable; Regex.Replace with an evaluator is generic code that
        // ReadyToRun leaves to the JIT at every process start.
        var expanded = !path.Contains('$', StringComparison.Ordinal) ? path : EnvVar().Replace(path, m =>
        {
            var name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
            return Environment.GetEnvironmentVariable(name) ?? "";
        });
        if (expanded == "~" || expanded.StartsWith("~/", StringComparison.Ordinal))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home))
            {
                home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            }

            expanded = home + expanded[1..];
        }

        return expanded;
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex EnvVar();
}
