using System.Text.RegularExpressions;
using Autopilot.Processes;

namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>The PBS, Torque and LSF HyperShell pilots drain their client from their own timer before the walltime.</summary>
public sealed partial class PbsLsfTemplateTests
{
    [GeneratedRegex(@"\{\{([a-z_]+)(?::-([^}]*))?\}\}")]
    private static partial Regex Placeholder();

    private static string Render(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m =>
        {
            var value = values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Groups[2].Success ? m.Groups[2].Value : throw new KeyNotFoundException(m.Groups[1].Value);
            return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        });

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
            var template = File.ReadAllText(Path.Combine(PbsLsfFixtures.Repo, "bin-templates", kind, "hypershell-pilot.sh"));
            var script = Path.Combine(dir, "pilot.sh");
            File.WriteAllText(script, Render(template, new Dictionary<string, string>
            {
                ["pool"] = "p", ["idle_timeout"] = "60", ["cpus"] = "2", ["walltime_seconds"] = "3", ["drain_lead_seconds"] = "2", ["hs_command"] = hs,
            }));

            var result = await new ProcessRunner().RunAsync(new ProcessSpec("bash", [script], Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None);

            Assert.Equal(0, result.ExitCode);
            var lines = File.ReadAllLines(log);
            Assert.Equal(["argv client -H localhost -p 50001 -N 2 -T 60", "usr1"], lines);
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
        string[] builtIn = ["pool", "job_name", "walltime", "walltime_seconds", "cpus", "memory_mb", "queue", "account", "state_dir", "log_dir", "drain_lead_seconds", "idle_timeout", "db_file", "server_dir"];
        foreach (var name in new[] { "hypershell-pilot.sh", "hyperqueue-worker.sh", "picas-pilot.sh" })
        {
            var text = File.ReadAllText(Path.Combine(PbsLsfFixtures.Repo, "bin-templates", kind, name));
            Assert.StartsWith("#!/bin/bash", text, StringComparison.Ordinal);
            foreach (Match m in Placeholder().Matches(text))
            {
                // Without a default, a name must be a built-in or a documented template_vars key.
                Assert.True(m.Groups[2].Success || builtIn.Contains(m.Groups[1].Value) || m.Groups[1].Value is "couchdb_url" or "couchdb_db" or "couchdb_user" or "password_file",
                    $"{kind}/{name}: {m.Value}");
            }

            Assert.DoesNotMatch("\"\\{\\{", text);
        }
    }
}
