using Autopilot.Templates;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Templates;

public sealed class TemplateIncludeTests
{
    private static readonly Dictionary<string, string> Values = new()
    {
        ["pool"] = "main",
        ["queue"] = "it's",
    };

    private readonly string _dir = ConfigTestSupport.TempDir();

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void An_include_line_is_replaced_by_the_rendered_file()
    {
        Write("common/body.sh", "q={{queue}}\nd={{missing:-x}}\n");
        var top = Write("sched/pilot.sh", "#!/bin/sh\nid=1\n{{> common/body.sh}}\necho done {{pool}}\n");

        var text = TemplateRenderer.Render(top, Values, _dir);

        Assert.Equal("#!/bin/sh\nid=1\nq='it'\\''s'\nd='x'\necho done 'main'\n", text);
    }

    [Fact]
    public void Whitespace_around_the_include_is_dropped_and_a_missing_final_newline_is_supplied()
    {
        Write("common/a.sh", "a={{pool}}");
        var top = Write("p.sh", "x\n  {{>   common/a.sh  }}  \ny\n{{> common/a.sh}}");

        var text = TemplateRenderer.Render(top, Values, _dir);

        Assert.Equal("x\na='main'\ny\na='main'", text);
    }

    [Fact]
    public void Includes_nest_and_resolve_against_template_dir_first()
    {
        Write("common/outer.sh", "outer\n{{> common/inner.sh}}\nouter end\n");
        Write("common/inner.sh", "inner {{pool}}\n");
        var top = Write("p.sh", "top\n{{> common/outer.sh}}\n");

        Assert.Equal("top\nouter\ninner 'main'\nouter end\n", TemplateRenderer.Render(top, Values, _dir));
        // RenderText resolves includes the same way.
        Assert.Equal("outer\ninner 'main'\nouter end\n", TemplateRenderer.RenderText("{{> common/outer.sh}}\n", Values, "t.sh", _dir));
    }

    [Fact]
    public void An_include_is_found_in_the_including_templates_own_tree_when_no_template_dir_names_it()
    {
        // A template tree away from the executable and from template_dir: slurm/pilot.sh includes
        // common/body.sh of the same tree (the published binary in /tmp could not find it).
        var tree = Path.Combine(_dir, "site-tree");
        Write("site-tree/common/body.sh", "body {{pool}}\n{{> common/inner.sh}}\n");
        Write("site-tree/common/inner.sh", "inner\n");
        var top = Write("site-tree/slurm/pilot.sh", "top\n{{> common/body.sh}}\n");
        var elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "empty-template-dir")).FullName;

        Assert.Equal("top\nbody 'main'\ninner\n", TemplateRenderer.Render(top, Values, elsewhere));
        Assert.StartsWith(Path.Combine(tree, "common", "body.sh"), TemplateRenderer.Resolve("common/body.sh", elsewhere, Path.Combine(tree, "slurm")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_site_copy_in_template_dir_overrides_the_shipped_common_file()
    {
        Write("common/hypershell-client.sh", "echo site client {{pool}}\n");
        var shipped = TemplateRenderer.Resolve("local/hypershell-pilot.sh", null);

        var own = TemplateRenderer.Render(shipped, Values, _dir);
        var values = new Dictionary<string, string>(Values) { ["idle_timeout"] = "1", ["cpus"] = "1", ["walltime_seconds"] = "60", ["drain_lead_seconds"] = "0" };
        var stock = TemplateRenderer.Render(shipped, values, null);

        Assert.EndsWith("drain_timer=no\necho site client 'main'\n", own, StringComparison.Ordinal);
        Assert.Contains("set -- client -H \"$server_host\"", stock, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_is_an_error_naming_the_include_line()
    {
        var a = Write("common/a.sh", "a\n{{> common/b.sh}}\n");
        var b = Write("common/b.sh", "b\n\n{{> common/a.sh}}\n");
        var top = Write("p.sh", "{{> common/a.sh}}\n");

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(top, Values, _dir));

        Assert.Equal(b, ex.Path);
        Assert.Equal(3, ex.Line);
        Assert.StartsWith($"{b}:3:1: include cycle: {top} -> {a} -> {b} -> {a}", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith($"(included from {a}:2, from {top}:1)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_including_itself_is_a_cycle()
    {
        var top = Write("p.sh", "x\n{{> p.sh}}\n");

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(top, Values, _dir));

        Assert.Equal((top, 2, 1), (ex.Path, ex.Line, ex.Column));
        Assert.Contains("include cycle", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_an_error()
    {
        // A chain of distinct files one longer than allowed: no cycle, just too deep.
        for (var k = 0; k <= TemplateRenderer.MaxIncludeDepth; k++)
        {
            Write($"d/{k}.sh", $"level {k}\n{{{{> d/{k + 1}.sh}}}}\n");
        }

        Write($"d/{TemplateRenderer.MaxIncludeDepth + 1}.sh", "bottom\n");
        var ok = Write("ok.sh", $"{{{{> d/2.sh}}}}\n");
        var deep = Write("deep.sh", $"{{{{> d/0.sh}}}}\n");

        // Eight levels below the top file render; nine do not.
        Assert.EndsWith("bottom\n", TemplateRenderer.Render(ok, Values, _dir), StringComparison.Ordinal);
        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(deep, Values, _dir));

        var last = Path.Combine(_dir, "d", $"{TemplateRenderer.MaxIncludeDepth - 1}.sh");
        Assert.Equal((last, 2), (ex.Path, ex.Line));
        Assert.Contains($"includes nest deeper than {TemplateRenderer.MaxIncludeDepth}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_include_names_the_line_and_where_it_looked()
    {
        var top = Write("p.sh", "#!/bin/sh\necho hi\n{{> common/nope.sh}}\n");

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(top, Values, _dir));

        Assert.Equal((top, 3, 1), (ex.Path, ex.Line, ex.Column));
        Assert.StartsWith($"{top}:3:1: cannot include: template 'common/nope.sh' not found (looked at: {Path.Combine(_dir, "common", "nope.sh")}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_inside_an_included_file_names_that_file_and_its_line()
    {
        var body = Write("common/body.sh", "ok={{pool}}\n# fine\nbad=  {{queu}}\n");
        var top = Write("p.sh", "#!/bin/sh\n{{> common/body.sh}}\n");

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.Render(top, Values, _dir));

        Assert.Equal((body, 3, 7, "queu"), (ex.Path, ex.Line, ex.Column, ex.Placeholder));
        Assert.Equal(
            $"{body}:3:7: unknown placeholder '{{{{queu}}}}'; did you mean 'queue'? (define it in the pool's template_vars, or write {{{{queu:-default}}}}) (included from {top}:2)",
            ex.Message);
    }

    [Theory]
    [InlineData("echo {{> common/a.sh}}\n", 1, 6)]
    [InlineData("{{> common/a.sh}} # trailing\n", 1, 1)]
    [InlineData("x\n{{>}}\n", 2, 1)]
    [InlineData("x\n{{>  }}\n", 2, 1)]
    public void A_malformed_include_is_an_error_with_its_position(string template, int line, int column)
    {
        Write("common/a.sh", "a\n");

        var ex = Assert.Throws<TemplateException>(() => TemplateRenderer.RenderText(template, Values, "t.sh", _dir));

        Assert.Equal((line, column), (ex.Line, ex.Column));
        Assert.StartsWith($"t.sh:{line}:{column}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Placeholders_outside_includes_keep_their_meaning()
    {
        // `{{>` only starts an include; every other placeholder renders as before.
        var text = TemplateRenderer.RenderText("a={{pool}} b={{ queue }} c={{none:-d e}}\n", Values, "t.sh");

        Assert.Equal("a='main' b='it'\\''s' c='d e'\n", text);
    }
}
