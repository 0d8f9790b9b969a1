using System.CommandLine;
using Autopilot.Cli;
using Autopilot.Configuration;
using Autopilot.Engine;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Templates;

/// <summary>`autopilot check` and the engine resolve includes against the configured template_dir.</summary>
public sealed class TemplateIncludeCallerTests
{
    private readonly string _dir = ConfigTestSupport.TempDir();

    private static async Task<(int Exit, string Output)> Check(string config)
    {
        var output = new StringWriter();
        var exit = await CommandCatalog.BuildRoot().Parse(["check", "--config", config, "-q"]).InvokeAsync(new InvocationConfiguration { Output = output, Error = new StringWriter() });
        return (exit, output.ToString());
    }

    private string Config() => ConfigTestSupport.WriteConfig($"""
        template_dir = "{_dir}"
        [[pool]]
        name = "main"
        template = "pilot.sh"
        """, _dir);

    private void WriteSiteTemplates(string siteBody)
    {
        File.WriteAllText(Path.Combine(_dir, "pilot.sh"), "#!/bin/sh\n{{> common/site.sh}}\n");
        Directory.CreateDirectory(Path.Combine(_dir, "common"));
        File.WriteAllText(Path.Combine(_dir, "common", "site.sh"), siteBody);
    }

    [Fact]
    public async Task Check_reports_an_error_inside_an_include_at_the_included_files_line()
    {
        WriteSiteTemplates("echo {{pool}}\n\necho {{no_such_value}}\n");

        var (exit, output) = await Check(Config());

        Assert.Equal(2, exit);
        Assert.Contains(
            $"{Path.Combine(_dir, "common", "site.sh")}:3:6: pool:0:template: unknown placeholder '{{{{no_such_value}}}}' (define it in the pool's template_vars, or write {{{{no_such_value:-default}}}}) (included from {Path.Combine(_dir, "pilot.sh")}:2)",
            output.Split('\n'));
    }

    [Fact]
    public async Task Check_passes_when_the_include_is_found_in_template_dir()
    {
        WriteSiteTemplates("echo {{pool}}\n");

        var (exit, output) = await Check(Config());

        Assert.True(exit == 0, output);
        Assert.Contains("valid, 1 pool", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_reports_a_missing_include()
    {
        File.WriteAllText(Path.Combine(_dir, "pilot.sh"), "#!/bin/sh\n\n{{> common/absent.sh}}\n");

        var (exit, output) = await Check(Config());

        Assert.Equal(2, exit);
        Assert.Contains($"{Path.Combine(_dir, "pilot.sh")}:3:1: pool:0:template: cannot include: template 'common/absent.sh' not found", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_writes_the_pilot_script_with_its_includes_from_template_dir()
    {
        WriteSiteTemplates("echo {{pool}} {{idle_timeout}}\n");
        var state = Path.Combine(_dir, "state");
        var options = new AutopilotOptions { StateDir = state, TemplateDir = _dir };
        var pool = new PoolOptions { Name = "main", Template = "pilot.sh", IdleTimeout = TimeSpan.FromSeconds(9) };

        var script = PilotScripts.Write(options, pool, state);

        Assert.Equal("#!/bin/sh\necho 'main' '9'\n", File.ReadAllText(script));
    }

    [Fact]
    public void The_engine_writes_a_shipped_template_with_its_common_body()
    {
        var state = Path.Combine(_dir, "state");
        var options = new AutopilotOptions { StateDir = state };
        var pool = new PoolOptions
        {
            Name = "main",
            Template = "sge/hyperqueue-worker.sh",
            TemplateVars = new Dictionary<string, string> { ["server_dir"] = "/shared/hq" },
            Scheduler = new SchedulerOptions { Kind = "sge" },
        };

        var text = File.ReadAllText(PilotScripts.Write(options, pool, state));

        Assert.Contains("hq_manager=none\n", text, StringComparison.Ordinal);
        Assert.Contains("server_dir='/shared/hq'\n", text, StringComparison.Ordinal);
        Assert.Contains("--manager \"$hq_manager\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
    }
}
