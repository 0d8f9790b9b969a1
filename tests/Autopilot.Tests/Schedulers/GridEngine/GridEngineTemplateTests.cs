using System.Diagnostics;
using Autopilot.Templates;

namespace Autopilot.Tests.Schedulers.GridEngine;

public sealed class GridEngineTemplateTests
{
    private static readonly Dictionary<string, string> Values = new()
    {
        ["pool"] = "cpu", ["job_name"] = "autopilot-cpu", ["walltime"] = "01:00:00", ["walltime_seconds"] = "3600",
        ["cpus"] = "4", ["memory_mb"] = "4096", ["queue"] = "all.q", ["account"] = "", ["state_dir"] = "/var/lib/autopilot",
        ["log_dir"] = "/var/lib/autopilot/pilot-logs/cpu", ["drain_lead_seconds"] = "600", ["idle_timeout"] = "300",
        ["db_url"] = "http://couch:5984", ["db_name"] = "tokens", ["db_user"] = "alice", ["db_file"] = "",
        ["server_dir"] = "/shared/hq server", ["password_file"] = "/home/alice/.couch pass",
    };

    [Theory]
    [InlineData("hypershell-pilot.sh")]
    [InlineData("hyperqueue-worker.sh")]
    [InlineData("picas-pilot.sh")]
    public void Template_renders_with_the_real_renderer_and_is_valid_bash(string name)
    {
        var path = Path.Combine(GridEngineFixtures.Repo, "bin-templates", "sge", name);
        var text = TemplateRenderer.Render(path, Values);
        Assert.DoesNotContain("{{", text);
        // qsub reads lines starting with its directive prefix as options; the command line must be the only source.
        Assert.DoesNotContain(text.Split('\n'), l => l.StartsWith("#$", StringComparison.Ordinal));

        var file = Path.Combine(Path.GetTempPath(), $"sge-template-{Guid.NewGuid():N}.sh");
        File.WriteAllText(file, text);
        try
        {
            using var bash = Process.Start(new ProcessStartInfo("bash", ["-n", file]) { RedirectStandardError = true })!;
            var err = bash.StandardError.ReadToEnd();
            bash.WaitForExit();
            Assert.True(bash.ExitCode == 0, $"bash -n {name}: {err}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_password_file_with_open_permissions_is_refused_by_the_picas_pilot()
    {
        var dir = Directory.CreateTempSubdirectory("sge-picas-").FullName;
        try
        {
            var secret = Path.Combine(dir, "pass");
            File.WriteAllText(secret, "s3cret\n");
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var values = new Dictionary<string, string>(Values) { ["password_file"] = secret };
            var script = Path.Combine(dir, "pilot.sh");
            File.WriteAllText(script, TemplateRenderer.Render(Path.Combine(GridEngineFixtures.Repo, "bin-templates", "sge", "picas-pilot.sh"), values));
            using var bash = Process.Start(new ProcessStartInfo("bash", [script]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var err = bash.StandardError.ReadToEnd();
            bash.WaitForExit();
            Assert.Equal(2, bash.ExitCode);
            Assert.Contains("mode 644", err);
            Assert.DoesNotContain("s3cret", err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
