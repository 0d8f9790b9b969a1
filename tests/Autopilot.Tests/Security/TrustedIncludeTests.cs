using Autopilot.Engine;
using Autopilot.Configuration;
using Autopilot.Templates;
using Autopilot.Tests.Operations;
using static Autopilot.Tests.Security.SecurityTestSupport;

namespace Autopilot.Tests.Security;

/// <summary>A template's includes are held to the rule for the pool's own template: no other non-root user may change them.</summary>
public sealed class TrustedIncludeTests : IDisposable
{
    private static readonly Dictionary<string, string> Values = new() { ["pool"] = "main" };

    private readonly string _dir = TempDir();

    public void Dispose() => DeleteDir(_dir);

    private string Top => Path.Combine(_dir, "pilot.sh");

    private string Include => Path.Combine(_dir, "common", "site.sh");

    /// <summary>pilot.sh includes common/site.sh on its line 3; both mode 0644 in 0755 folders.</summary>
    private void WriteTemplates()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "common"));
        File.WriteAllText(Top, "#!/bin/sh\n\n{{> common/site.sh}}\nsleep 1\n");
        File.WriteAllText(Include, "echo {{pool}}\n");
        File.SetUnixFileMode(Top, Mode("644"));
        File.SetUnixFileMode(Include, Mode("644"));
        File.SetUnixFileMode(Path.Combine(_dir, "common"), Mode("755"));
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    [Fact]
    public void A_clean_include_renders()
    {
        WriteTemplates();

        Assert.Equal("#!/bin/sh\n\necho 'main'\nsleep 1\n", TemplateRenderer.Render(Top, Values, _dir));
    }

    [Fact]
    public void A_group_writable_include_is_refused_naming_it_and_the_including_line()
    {
        WriteTemplates();
        File.SetUnixFileMode(Include, Mode("664"));

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(Top, Values, _dir));

        Assert.Equal(
            $"{Top}:3:1: included template {Include} has mode 0664: group or others can change what autopilot runs; refusing it (chmod go-w {Include})",
            ex.Message);
    }

    [Fact]
    public void A_world_writable_include_folder_is_refused()
    {
        WriteTemplates();
        var common = Path.Combine(_dir, "common");
        File.SetUnixFileMode(common, Mode("777"));

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(Top, Values, _dir));

        Assert.StartsWith($"{Top}:3:1: included template folder {common} has mode 0777", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nested_include_owned_by_another_user_is_refused_with_the_include_chain()
    {
        Assert.True(IsRoot, "this test changes a file's owner: run it as root, as CI does");
        WriteTemplates();
        var inner = Path.Combine(_dir, "common", "inner.sh");
        File.WriteAllText(Include, "echo {{pool}}\n{{> common/inner.sh}}\n");
        File.WriteAllText(inner, "echo inner\n");
        File.SetUnixFileMode(inner, Mode("644"));
        Chown(inner, Nobody);

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(Top, Values, _dir));

        Assert.Equal(
            $"{Include}:2:1: included template {inner} is owned by nobody (uid {Nobody}), who could change what autopilot runs; refusing it (chown it to root or to the account that runs autopilot) (included from {Top}:3)",
            ex.Message);
    }

    [Fact]
    public async Task Check_reports_a_writable_include_and_exits_2()
    {
        var config = WriteLocalSite(_dir);
        WriteTemplates();
        File.SetUnixFileMode(Include, Mode("666"));

        var (exit, output, _) = await OpsTestSupport.Run("check", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains($"{Top}:3:1: pool:0:template: included template {Include} has mode 0666", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_does_not_write_a_pilot_script_with_a_writable_include()
    {
        WriteTemplates();
        File.SetUnixFileMode(Include, Mode("664"));
        var state = Path.Combine(_dir, "state");
        var options = new AutopilotOptions { StateDir = state, TemplateDir = _dir };
        var pool = new PoolOptions { Name = "main", Template = "pilot.sh" };

        var ex = Assert.Throws<TemplateException>(() => PilotScripts.Write(options, pool, state));

        Assert.Contains($"included template {Include} has mode 0664", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tick_fails_the_pools_submission_naming_the_include()
    {
        var config = WriteLocalSite(_dir, demand: 1);
        WriteTemplates();
        File.SetUnixFileMode(Include, Mode("664"));

        var (exit, output, error) = RunProcess(null, null, "tick", "--config", config);

        Assert.True(exit != 0, output + error);
        Assert.Contains($"{Top}:3:1: included template {Include} has mode 0664", output + error, StringComparison.Ordinal);
    }
}
