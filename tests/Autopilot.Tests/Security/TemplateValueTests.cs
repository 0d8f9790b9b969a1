using Autopilot.Templates;

namespace Autopilot.Tests.Security;

/// <summary>Issue 14 problem 9: a rendered value cannot start a new line (a live #SBATCH line or a command).</summary>
public sealed class TemplateValueTests
{
    [Theory]
    [InlineData("x\n#SBATCH --partition=evil")]
    [InlineData("x\r\ntouch /tmp/pwned")]
    [InlineData("x\rtouch /tmp/pwned")]
    [InlineData("x\u2028y")]
    [InlineData("x\0y")]
    [InlineData("x\vy")]
    public void A_line_break_in_a_value_is_refused_naming_the_placeholder(string value)
    {
        var values = new Dictionary<string, string> { ["pool"] = "main", ["note"] = value };

        var ex = Assert.Throws<TemplateException>(() =>
            TemplateRenderer.RenderText("#!/bin/bash\n#SBATCH --comment=ok\n# note: {{note}}\necho {{pool}}\n", values, "pilot.sh"));

        Assert.StartsWith("pilot.sh:3:9: the value of placeholder '{{note}}' contains a line break", ex.Message, StringComparison.Ordinal);
        Assert.Equal("note", ex.Placeholder);
    }

    [Fact]
    public void A_default_with_a_line_break_is_refused_too()
    {
        // A default is TOML-free text in the template itself, but a \u2028 pasted from a document is still a line break for some readers.
        var ex = Assert.Throws<TemplateException>(() =>
            TemplateRenderer.RenderText("# {{missing:-a\u2028b}}\n", new Dictionary<string, string>(), "pilot.sh"));
        Assert.Contains("'{{missing}}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Single_line_values_render_as_before()
    {
        var text = TemplateRenderer.RenderText("# {{note}}\n", new Dictionary<string, string> { ["note"] = "a; b $(c) 'd'\t" }, "pilot.sh");
        Assert.Equal("# 'a; b $(c) '\\''d'\\''\t'\n", text);
    }
}
