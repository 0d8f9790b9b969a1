using System.Text.RegularExpressions;
using Autopilot.Processes;
using Autopilot.Templates;

namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>The PBS, Torque and LSF HyperShell pilots drain their client from their own timer before the walltime.</summary>
public sealed partial class PbsLsfTemplateTests
{
    [Theory]
    [InlineData("pbs")]
    [InlineData("torque")]
    [InlineData("lsf")]
    public async Task Hypershell_pilot_signals_the_client_a_lead_before_walltime(string kind)
    {
        var dir = Directory.CreateTempSubdirectory("autopilot-tpl-").FullName;
        try
        {
            var log = Path.Combine(dir, "hs.log");
            var hs = Path.Combine(dir, "hs");
            // A fake client: records its argv and the SIGUSR1 it gets, then exits as a drained client would.
            File.WriteAllText(hs, $"#!/bin/bash\necho \"argv $*\" >> '{log}'\ntrap 'echo usr1 >> \"{log}\"; exit 0' USR1\nfor i in $(seq 1 100); do sleep 0.1; done\necho timeout >> '{log}'\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(hs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            var template = Path.Combine(PbsLsfFixtures.Repo, "bin-templates", kind, "hypershell-pilot.sh");
            var script = Path.Combine(dir, "pilot.sh");
            File.WriteAllText(script, TemplateRenderer.Render(template, new Dictionary<string, string>
            {
                ["pool"] = "p", ["idle_timeout"] = "60", ["cpus"] = "2", ["walltime_seconds"] = "3", ["drain_lead_seconds"] = "2", ["hs_command"] = hs,
            }));

            var result = await new ProcessRunner().RunAsync(new ProcessSpec("bash", [script], Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None);

            Assert.Equal(0, result.ExitCode);
            var lines = File.ReadAllLines(log);
            Assert.Equal(["argv client -H localhost -p 50001 -N 2 -T 60 --capture", "usr1"], lines);
            Assert.Contains("drain lead reached", result.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("pbs")]
    [InlineData("torque")]
    [InlineData("lsf")]
    public void Templates_exist_and_use_only_known_placeholders(string kind)
    {
        // Without a default, a name must be a built-in or a documented template_vars key; the real
        // renderer (with the bodies from bin-templates/common) refuses any other.
        string[] known = ["pool", "job_name", "walltime", "walltime_seconds", "cpus", "memory_mb", "queue", "account", "state_dir", "log_dir", "drain_lead_seconds", "idle_timeout", "db_file", "db_url", "db_name", "db_user", "server_dir", "password_file"];
        var values = known.ToDictionary(n => n, n => "v-" + n);
        foreach (var name in new[] { "hypershell-pilot.sh", "hyperqueue-worker.sh", "picas-pilot.sh" })
        {
            var path = Path.Combine(PbsLsfFixtures.Repo, "bin-templates", kind, name);
            var text = File.ReadAllText(path);
            Assert.StartsWith("#!/bin/bash", text, StringComparison.Ordinal);
            var rendered = TemplateRenderer.Render(path, values);
            Assert.DoesNotContain("{{", rendered, StringComparison.Ordinal);
            // Values arrive quoted already: a template writes x={{name}}, never x="{{name}}".
            foreach (var source in IncludedSources(text).Prepend(path))
            {
                Assert.DoesNotMatch("\"\\{\\{", File.ReadAllText(source));
            }
        }
    }

    private static IEnumerable<string> IncludedSources(string text) =>
        Regex.Matches(text, @"^\{\{>\s*(\S+)\s*\}\}$", RegexOptions.Multiline).Select(m => TemplateRenderer.Resolve(m.Groups[1].Value, null));
}
