using Autopilot.Configuration;
using Autopilot.State;
using Autopilot.Templates;

namespace Autopilot.Engine;

/// <summary>Renders a pool's pilot template into the state directory, ready to submit.</summary>
public static class PilotScripts
{
    /// <summary>Writes &lt;state&gt;/scripts/&lt;pool&gt;.sh (mode 0700, replaced atomically) and returns its path.</summary>
    public static string Write(AutopilotOptions options, PoolOptions pool, string stateDir)
    {
        var templateDir = options.TemplateDir is null ? null : PathExpander.Expand(options.TemplateDir);
        var template = TemplateRenderer.Resolve(pool.Template, templateDir);
        var text = TemplateRenderer.Render(template, TemplateValues.For(options, pool), templateDir);
        var dir = StateDirectory.Scripts(stateDir);
        StateDirectory.Ensure(dir);
        var path = Path.Combine(dir, pool.Name + ".sh");
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        File.Move(temp, path, overwrite: true);
        return path;
    }
}
