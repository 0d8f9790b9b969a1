using Autopilot.Configuration;
using Autopilot.State;
using Autopilot.Templates;

namespace Autopilot.Engine;

/// <summary>Renders a pool's pilot template into the state directory, ready to submit.</summary>
public static class PilotScripts
{
    /// <summary>
    /// Writes &lt;state&gt;/scripts/&lt;pool&gt;.sh (mode 0700, replaced atomically) and returns its path.
    /// The text goes to a temp file of a fresh name created exclusively (O_CREAT|O_EXCL), so an
    /// existing file or link is never written through; rename(2) then replaces the name, never a link's target.
    /// </summary>
    public static string Write(AutopilotOptions options, PoolOptions pool, string stateDir)
    {
        var templateDir = options.TemplateDir is null ? null : PathExpander.Expand(options.TemplateDir);
        var template = TemplateRenderer.Resolve(pool.Template, templateDir);
        var text = TemplateRenderer.Render(template, TemplateValues.For(options, pool), templateDir);
        var dir = StateDirectory.Scripts(stateDir);
        StateDirectory.Ensure(dir);
        var path = Path.Combine(dir, pool.Name + ".sh");
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        try
        {
            using (var writer = new StreamWriter(temp, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), create))
            {
                writer.Write(text);
            }

            StateDirectory.RefuseLink(path);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return path;
    }
}
