using System.Diagnostics;
using Autopilot.Configuration;
using Autopilot.Templates;
using Autopilot.Tests.Configuration;
using Autopilot.DemandSources.HyperShell;

namespace Autopilot.Tests.Templates;

public sealed class TemplateRendererTests
{
    private static readonly Dictionary<string, string> Values = new()
    {
        ["pool"] = "main",
        ["queue"] = "it's; rm -rf / $(reboot) `id` \"x\"",
        ["empty"] = "",
    };

    [Fact]
    public void Every_value_is_single_quoted()
    {
        var text = TemplateRenderer.RenderText("p={{pool}} q={{ queue }} e={{empty}}\n", Values, "t.sh");

        Assert.Equal("p='main' q='it'\\''s; rm -rf / $(reboot) `id` \"x\"' e=''\n", text);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("a'b''c'")]
    [InlineData("$(touch /tmp/autopilot-pwned) `id` ${HOME} \\ \"")]
    [InlineData("")]
    public void Quoted_values_reach_the_shell_unchanged(string value)
    {
        var script = TemplateRenderer.RenderText("v={{v}}\nprintf '%s' \"$v\"\n", new Dictionary<string, string> { ["v"] = value }, "t.sh");

        Assert.Equal(value, RunShell(script));
    }

    [Fact]
    public void Unknown_placeholder_names_file_line_and_column()
    {
        var ex = Assert.Throws<TemplateException>(() =>
            TemplateRenderer.RenderText("#!/bin/sh\n# pool {{pool}}\necho  {{queu}}\n", Values, "bin-templates/x.sh"));

        Assert.Equal("bin-templates/x.sh:3:7: unknown placeholder '{{queu}}'; did you mean 'queue'? (define it in the pool's template_vars, or write {{queu:-default}})", ex.Message);
        Assert.Equal(3, ex.Line);
        Assert.Equal(7, ex.Column);
        Assert.Equal("queu", ex.Placeholder);
    }

    [Fact]
    public void Default_is_used_only_when_the_name_has_no_value()
    {
        var text = TemplateRenderer.RenderText("{{server_port:-50001}} {{pool:-other}}", Values, "t.sh");

        Assert.Equal("'50001' 'main'", text);
    }

    [Theory]
    [InlineData("a {{pool\n}}", 1, 3)]
    [InlineData("\n\nx {{ }}", 3, 3)]
    [InlineData("{{bad-name}}", 1, 1)]
    public void Malformed_placeholders_are_errors_with_positions(string template, int line, int column)
    {
        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.RenderText(template, Values, "t.sh"));

        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.StartsWith($"t.sh:{line}:{column}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_reads_the_file_and_reports_its_path()
    {
        var dir = ConfigTestSupport.TempDir();
        var path = Path.Combine(dir, "pilot.sh");
        File.WriteAllText(path, "ok={{pool}}\nbad={{nope}}\n");

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(path, Values));

        Assert.StartsWith($"{path}:2:5: unknown placeholder '{{{{nope}}}}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_prefers_absolute_then_template_dir_then_bin_templates()
    {
        var dir = ConfigTestSupport.TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "local"));
        var own = Path.Combine(dir, "local", "hypershell-pilot.sh");
        File.WriteAllText(own, "# own\n");

        Assert.Equal(own, TemplateRenderer.Resolve(own, null));
        Assert.Equal(own, TemplateRenderer.Resolve("local/hypershell-pilot.sh", dir));
        Assert.Equal(
            Path.Combine(ConfigTestSupport.Repo, "bin-templates", "local", "hypershell-pilot.sh"),
            TemplateRenderer.Resolve("local/hypershell-pilot.sh", null));
        var missing = Assert.Throws<TemplateException>(() => TemplateRenderer.Resolve("nope/pilot.sh", dir));
        Assert.Contains("template 'nope/pilot.sh' not found", missing.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(dir, "nope", "pilot.sh"), missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_for_a_pool_cover_the_documented_names()
    {
        var options = new AutopilotOptions { StateDir = "/var/lib/autopilot", JobPrefix = "ap" };
        var pool = new PoolOptions
        {
            Name = "gpu",
            IdleTimeout = TimeSpan.FromMinutes(3),
            TemplateVars = new Dictionary<string, string> { ["server_host"] = "login1" },
            Scheduler = new SchedulerOptions { Kind = "slurm", Queue = "gpu", Walltime = TimeSpan.FromHours(26), Cpus = 8, MemoryMb = 4096, DrainLead = TimeSpan.FromMinutes(10) },
            Demand = new HyperShellOptions { Backend = "postgres", Postgres = new PostgresOptions { Host = "db1", Database = "hs", User = "reader" } },
        };

        var values = TemplateValues.For(options, pool);

        Assert.Equal("gpu", values["pool"]);
        Assert.Equal("ap-gpu", values["job_name"]);
        Assert.Equal("1-02:00:00", values["walltime"]);
        Assert.Equal("93600", values["walltime_seconds"]);
        Assert.Equal("8", values["cpus"]);
        Assert.Equal("4096", values["memory_mb"]);
        Assert.Equal("gpu", values["queue"]);
        Assert.Equal("", values["account"]);
        Assert.Equal("/var/lib/autopilot/pilots/gpu", values["log_dir"]);
        Assert.Equal("600", values["drain_lead_seconds"]);
        Assert.Equal("180", values["idle_timeout"]);
        Assert.Equal("db1", values["db_host"]);
        Assert.Equal("5432", values["db_port"]);
        Assert.Equal("hs", values["db_name"]);
        Assert.Equal("", values["db_file"]);
        Assert.Equal("login1", values["server_host"]);
        Assert.All(TemplateValues.BuiltIn, name => Assert.True(values.ContainsKey(name), name));
    }

    [Theory]
    [InlineData("local/hypershell-pilot.sh", "local", "sh")]
    [InlineData("slurm/hypershell-pilot.sh", "slurm", "bash")]
    public void Shipped_templates_render_to_valid_shell(string template, string kind, string shell)
    {
        var options = new AutopilotOptions { StateDir = "/tmp/st" };
        var pool = new PoolOptions { Name = "main", Scheduler = new SchedulerOptions { Kind = kind } };
        var path = TemplateRenderer.Resolve(template, null);

        var script = TemplateRenderer.Render(path, TemplateValues.For(options, pool));

        Assert.DoesNotContain("{{", script, StringComparison.Ordinal);
        Assert.Contains("-T \"$idle_timeout\"", script, StringComparison.Ordinal);
        Assert.Contains("idle_timeout='300'", script, StringComparison.Ordinal);
        if (kind == "slurm")
        {
            Assert.Contains("#SBATCH --signal=B:USR1@'600'", script, StringComparison.Ordinal);
        }

        var file = Path.Combine(ConfigTestSupport.TempDir(), "pilot.sh");
        File.WriteAllText(file, script);
        var check = Process.Start(new ProcessStartInfo(shell, ["-n", file]) { RedirectStandardError = true })!;
        var stderr = check.StandardError.ReadToEnd();
        check.WaitForExit();
        Assert.True(check.ExitCode == 0, stderr);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Local_pilot_passes_the_idle_timeout_and_forwards_usr1_to_the_client()
    {
        var dir = ConfigTestSupport.TempDir();
        var marker = Path.Combine(dir, "client.log");
        // A stand-in for `hs`: records its arguments, then waits for USR1 like a draining client.
        var fakeHs = Path.Combine(dir, "hs");
        File.WriteAllText(fakeHs, $"""
            #!/bin/sh
            echo "args: $*" > '{marker}'
            trap 'echo drained >> "{marker}"; exit 0' USR1
            i=0
            while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
            echo timeout >> '{marker}'
            exit 3
            """);
        File.SetUnixFileMode(fakeHs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new AutopilotOptions { StateDir = dir };
        var pool = new PoolOptions
        {
            Name = "main",
            IdleTimeout = TimeSpan.FromSeconds(42),
            TemplateVars = new Dictionary<string, string> { ["hs_command"] = fakeHs, ["server_port"] = "6000" },
        };
        var script = Path.Combine(dir, "pilot.sh");
        File.WriteAllText(script, TemplateRenderer.Render(TemplateRenderer.Resolve("local/hypershell-pilot.sh", null), TemplateValues.For(options, pool)));

        using var pilot = Process.Start(new ProcessStartInfo("sh", [script]) { RedirectStandardOutput = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!File.Exists(marker) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Thread.Sleep(200);
        using (var kill = Process.Start("kill", ["-USR1", pilot.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        Assert.True(pilot.WaitForExit(8000), "pilot did not exit after USR1");
        var log = File.ReadAllText(marker);
        Assert.Contains("args: client -H localhost -p 6000 -N 1 -T 42", log, StringComparison.Ordinal);
        Assert.Contains("drained", log, StringComparison.Ordinal);
        Assert.Equal(0, pilot.ExitCode);
    }

    private static string RunShell(string script)
    {
        var file = Path.Combine(ConfigTestSupport.TempDir(), "t.sh");
        File.WriteAllText(file, script);
        using var p = Process.Start(new ProcessStartInfo("sh", [file]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
