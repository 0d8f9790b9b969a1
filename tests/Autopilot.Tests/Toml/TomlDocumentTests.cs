using System.Text;
using Autopilot.Configuration;

namespace Autopilot.Tests.Toml;

/// <summary>How autopilot.toml text becomes a tree or errors: positions, encodings, TOML 1.0 only.</summary>
public sealed class TomlDocumentTests
{
    private static ConfigNode Read(string toml)
    {
        var result = TomlDocument.Parse(toml, "t.toml");
        Assert.Empty(result.Errors);
        return result.Root;
    }

    private static List<string> Errors(string toml, string path = "t.toml") =>
        TomlDocument.Parse(toml, path).Errors.Select(e => e.ToString()).ToList();

    [Fact]
    public void Keys_and_tables_have_one_based_positions()
    {
        var root = Read("# comment\n  name = \"gpu\"\nmax_pilots=\t4\n\n  [state]\n  dir = \"/x\"\n[[pool]]\nname = \"a\"\n\n[[pool]]\nname = \"b\"\n[pool.limits]\nmax_pilots = 8\n");

        Assert.Equal("t.toml:2:3", root.Find("name")!.Origin.Description);
        Assert.Equal("t.toml:3:1", root.Find("max_pilots")!.Origin.Description);
        Assert.Equal("t.toml:5:3", root.Find("state")!.Origin.Description);
        Assert.Equal("t.toml:6:3", root.Find("state:dir")!.Origin.Description);
        Assert.Equal("t.toml:7:1", root.Find("pool:0")!.Origin.Description);
        Assert.Equal("t.toml:10:1", root.Find("pool:1")!.Origin.Description);
        Assert.Equal("t.toml:12:1", root.Find("pool:1:limits")!.Origin.Description);
        Assert.Equal("t.toml:13:1", root.Find("pool:1:limits:max_pilots")!.Origin.Description);
        Assert.Equal(["name", "max_pilots", "state", "pool"], root.ChildKeys);
    }

    [Fact]
    public void Implicit_parent_moves_to_its_own_header_when_defined_later()
    {
        var root = Read("[a.b]\nx = 1\n[a]\ny = 2\n");

        Assert.Equal("t.toml:3:1", root.Find("a")!.Origin.Description);
        Assert.Equal("t.toml:1:1", root.Find("a:b")!.Origin.Description);
        Assert.Equal("2", root.Find("a:y")!.Text);
    }

    [Fact]
    public void Array_items_and_inline_tables_have_positions()
    {
        var root = Read("args = [\n  \"--exclusive\",\n  { mem = \"4G\" },\n]\n");

        Assert.Equal("t.toml:2:3", root.Find("args:0")!.Origin.Description);
        Assert.Equal("t.toml:3:3", root.Find("args:1")!.Origin.Description);
        Assert.Equal("t.toml:3:5", root.Find("args:1:mem")!.Origin.Description);
    }

    [Fact]
    public void Values_after_a_multi_line_string_report_the_right_line_and_crlf_counts_once()
    {
        var root = Read("script = \"\"\"\nline one\nline two\n\"\"\"\nafter = 1\r\n# note\r\n[t]\r\nc = 2\r\n");

        Assert.Equal("line one\nline two\n", root.Find("script")!.Text);
        Assert.Equal("t.toml:5:1", root.Find("after")!.Origin.Description);
        Assert.Equal("t.toml:8:1", root.Find("t:c")!.Origin.Description);
    }

    [Fact]
    public void Multi_line_strings_written_with_crlf_read_with_lf()
    {
        // Scripts and queries written on Windows behave the same (the former reader did this too; Tomlyn keeps CRLF).
        var root = Read("b = '''\r\nx\r\ny'''\r\nc = \"\"\"\r\np\r\nq\"\"\"\r\nd = \"r\\r\\n\"\r\n");

        Assert.Equal("x\ny", root.Find("b")!.Text);
        Assert.Equal("p\nq", root.Find("c")!.Text);
        Assert.Equal("r\r\n", root.Find("d")!.Text);
    }

    [Fact]
    public void Byte_order_mark_at_start_is_skipped_and_elsewhere_rejected()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a = 1\n")).ToArray();

        var result = TomlDocument.Parse(bytes, "t.toml");

        Assert.Empty(result.Errors);
        Assert.Equal("t.toml:1:1", result.Root.Find("a")!.Origin.Description);
        Assert.StartsWith("t.toml:2:1: ", Assert.Single(Errors("a = 1\n\uFEFFb = 2\n")), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_at_its_position_not_replaced()
    {
        // Hardening problem 12: "caf\xe9" used to pass as caf\uFFFD.
        var bytes = Encoding.UTF8.GetBytes("a = 1\nb = \"caf").Concat(new byte[] { 0xE9, (byte)'"', (byte)'\n' }).ToArray();

        var result = TomlDocument.Parse(bytes, "pools.toml");

        var error = Assert.Single(result.Errors);
        Assert.Equal("pools.toml:2:9", error.Location);
        Assert.Equal("pools.toml:2:9: invalid UTF-8 (byte 0xE9): the configuration must be UTF-8 text", error.ToString());
    }

    [Fact]
    public void A_literal_replacement_character_is_refused_and_its_escape_accepted()
    {
        // Tomlyn refuses U+FFFD written as such (with a message about surrogates); we keep the refusal
        // (it is what a lossy conversion leaves behind) and say so. The escape reads as the character.
        var error = Assert.Single(Errors("a = 'caf\uFFFD'\n"));

        Assert.StartsWith("t.toml:1:9: U+FFFD (the replacement character) is not accepted", error, StringComparison.Ordinal);
        Assert.Equal("\uFFFD", Read("a = \"\\uFFFD\"\n").Find("a")!.Text);
    }

    [Fact]
    public void Every_syntax_error_is_listed_with_file_line_and_column()
    {
        var errors = Errors("[pool]\nname = \"cpu\"\nmax_pilots = 4 4\nx = \ny = = 3\n", "/etc/autopilot/autopilot.toml");

        Assert.True(errors.Count >= 3, string.Join("\n", errors));
        Assert.StartsWith("/etc/autopilot/autopilot.toml:3:16: ", errors[0], StringComparison.Ordinal);
        Assert.Contains(errors, e => e.StartsWith("/etc/autopilot/autopilot.toml:4:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("/etc/autopilot/autopilot.toml:5:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a = 1\na = 2\n", 2, 1)]
    [InlineData("[t]\n[t]\n", 2, 1)]
    [InlineData("[a]\nb.c = 1\n[a.b]\n", 3, 1)]
    [InlineData("n = 9223372036854775808\n", 1, 5)]
    [InlineData("s = \"a\\qb\"\n", 1, 8)]
    [InlineData("a = \"x\uD800y\"\n", 1, 7)]
    [InlineData("a = 1\nb = \"\\u0", 2, 9)]
    public void Semantic_and_value_errors_point_at_the_offending_line(string toml, int line, int column)
    {
        Assert.StartsWith($"t.toml:{line}:{column}: ", Errors(toml)[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData('[', ']')]
    [InlineData('{', '}')]
    public void Deep_nesting_is_an_error_with_a_line_not_a_stack_overflow(char open, char close)
    {
        const int depth = 100_000;
        var sb = new StringBuilder("x = ");
        for (var i = 0; i < depth; i++)
        {
            sb.Append(open == '{' ? "{a=" : "[");
        }

        sb.Append('1').Append(close, depth).Append('\n');

        var error = Assert.Single(TomlDocument.Parse(sb.ToString(), "t.toml").Errors);

        Assert.Matches(@"^t\.toml:[1-9][0-9]*:[1-9][0-9]*$", error.Location);
        Assert.Contains("depth", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("t = {a = 1,}\n", "1:11", "trailing comma")]
    [InlineData("t = {a = 1,\n b = 2}\n", "1:12", "line break or comment inside an inline table")]
    [InlineData("s = \"\\x41\"\n", "1:6", "escape \\x is TOML 1.1")]
    [InlineData("s = \"\\e\"\n", "1:6", "escape \\e is TOML 1.1")]
    [InlineData("s = \"\"\"\nab\\e\"\"\"\n", "2:3", "escape \\e is TOML 1.1")]
    [InlineData("t = 07:32\n", "1:5", "has no seconds")]
    [InlineData("t = 1979-05-27T07:32Z\n", "1:5", "has no seconds")]
    public void Toml_1_1_forms_are_refused_at_their_place(string toml, string at, string fragment)
    {
        var error = Assert.Single(TomlDocument.Parse(toml, "t.toml").Errors);

        Assert.Equal("t.toml:" + at, error.Location);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("t = {a = [1,\n 2], b = \"\"\"x\ny\"\"\"}\n")]
    [InlineData("t = {a = 1} # comment\n")]
    [InlineData("s = \"\\\\x and \\\\e\"\nl = 'no \\x escapes in literals'\n")]
    [InlineData("t = 07:32:00\nu = 1979-05-27T07:32:00+07:00\n")]
    public void Toml_1_0_forms_next_to_them_are_accepted(string toml)
    {
        Assert.Empty(Errors(toml));
    }
}
