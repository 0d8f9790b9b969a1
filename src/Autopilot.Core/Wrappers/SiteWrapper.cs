using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Templates;

namespace Autopilot.Wrappers;

/// <summary>
/// The site wrapper for the HyperShell CLI (<c>bin-templates/wrappers/hs-site.sh</c>): a pool's
/// database settings rendered into a script, so an operator's <c>hs</c> always talks to that
/// pool's pipeline. Rendered by <c>autopilot wrapper</c>, validated by <c>autopilot check</c>.
/// </summary>
public static class SiteWrapper
{
    public const string DefaultTemplate = "wrappers/hs-site.sh";

    /// <summary>
    /// The pilot template values plus what the wrapper needs: <c>db_provider</c>, <c>db_file</c> as
    /// HyperShell would resolve it (the wrapper must not fall back to whatever the operator's
    /// environment says), and where the password is read at run time (never its value).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Values(AutopilotOptions options, PoolOptions pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var values = new Dictionary<string, string>(TemplateValues.For(options, pool), StringComparer.Ordinal);
        var database = pool.Demand as DatabaseDemandOptions;
        var postgres = database?.IsPostgres == true;
        values["db_provider"] = postgres ? "postgres" : "sqlite";
        values["db_file"] = postgres ? "" : HyperShellPaths.ResolveDatabaseFile(database?.Path);
        values["db_password_file"] = postgres ? PathExpander.Expand(database!.Postgres.PasswordFile ?? "") : "";
        values["db_password_env"] = postgres ? database!.Postgres.PasswordEnv ?? "" : "";
        return values;
    }

    /// <summary>The wrapper template's path for the pool (its <c>wrapper</c> key, else the shipped one).</summary>
    /// <exception cref="TemplateException">Not found.</exception>
    public static string Resolve(AutopilotOptions options, PoolOptions pool) =>
        TemplateRenderer.Resolve(pool.Wrapper ?? DefaultTemplate, options.TemplateDir);

    /// <summary>Renders the pool's wrapper.</summary>
    /// <exception cref="TemplateException">Not found, unreadable, or an unknown placeholder.</exception>
    public static string Render(AutopilotOptions options, PoolOptions pool) =>
        TemplateRenderer.Render(Resolve(options, pool), Values(options, pool), options.TemplateDir);

    /// <summary>Writes the rendered wrapper to <paramref name="path"/> with mode 0755 (through a temporary file, so a running copy is never half-written).</summary>
    public static void Write(string path, string text)
    {
        var full = Path.GetFullPath(path);
        var temp = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        File.Move(temp, full, overwrite: true);
    }
}
