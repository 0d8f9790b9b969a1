using System.Text;
using Autopilot.Toml;

namespace Autopilot.Tests.Toml;

public sealed class TomlReaderTests
{
    private static TomlException Reject(string toml, string? path = null) =>
        Assert.Throws<TomlException>(() => TomlReader.Parse(toml, path));

    [Fact]
    public void Key_and_value_positions_are_one_based_line_and_column()
    {
        var doc = TomlReader.Parse("# comment\n  name = \"gpu\"\nmax_pilots=\t4\n");

        Assert.Equal(new TomlPosition(2, 3), doc.KeyPosition("name"));
        Assert.Equal(new TomlPosition(2, 10), doc["name"].Position);
        Assert.Equal(new TomlPosition(3, 1), doc.KeyPosition("max_pilots"));
        Assert.Equal(new TomlPosition(3, 13), doc["max_pilots"].Position);
    }

    [Fact]
    public void Dotted_keys_record_each_segment_position()
    {
        var doc = TomlReader.Parse("a.b . c = 1\n");

        var a = Assert.IsType<TomlTable>(doc["a"]);
        var b = Assert.IsType<TomlTable>(a["b"]);
        Assert.Equal(new TomlPosition(1, 1), doc.KeyPosition("a"));
        Assert.Equal(new TomlPosition(1, 3), a.KeyPosition("b"));
        Assert.Equal(new TomlPosition(1, 7), b.KeyPosition("c"));
        Assert.Equal(new TomlPosition(1, 11), b["c"].Position);
    }

    [Fact]
    public void Table_header_position_is_the_opening_bracket()
    {
        var doc = TomlReader.Parse("x = 1\n\n  [state]\n  dir = \"/var/lib/autopilot\"\n");

        var state = Assert.IsType<TomlTable>(doc["state"]);
        Assert.Equal(new TomlPosition(3, 3), state.Position);
        Assert.Equal(new TomlPosition(3, 3), doc.KeyPosition("state"));
        Assert.Equal(new TomlPosition(4, 3), state.KeyPosition("dir"));
    }

    [Fact]
    public void Implicit_parent_moves_to_its_own_header_when_defined_later()
    {
        var doc = TomlReader.Parse("[a.b]\nx = 1\n[a]\ny = 2\n");

        var a = Assert.IsType<TomlTable>(doc["a"]);
        Assert.Equal(new TomlPosition(3, 1), a.Position);
        Assert.Equal(new TomlPosition(3, 1), doc.KeyPosition("a"));
        Assert.Equal(new TomlPosition(1, 1), a.KeyPosition("b"));
        Assert.Equal(2L, Assert.IsType<TomlInteger>(a["y"]).Value);
    }

    [Fact]
    public void Array_of_tables_elements_carry_their_own_header_positions()
    {
        const string toml = """
            [[pool]]
            name = "cpu"

            [[pool]]
            name = "gpu"
            [pool.limits]
            max_pilots = 8
            """;
        var doc = TomlReader.Parse(toml);

        var pools = Assert.IsType<TomlArray>(doc["pool"]);
        Assert.Equal(2, pools.Count);
        Assert.Equal(new TomlPosition(1, 1), pools.Position);
        Assert.Equal(new TomlPosition(1, 1), pools[0].Position);
        Assert.Equal(new TomlPosition(4, 1), pools[1].Position);
        var second = Assert.IsType<TomlTable>(pools[1]);
        Assert.Equal("gpu", second["name"].ToString());
        Assert.Equal(new TomlPosition(5, 1), second.KeyPosition("name"));
        var limits = Assert.IsType<TomlTable>(second["limits"]);
        Assert.Equal(new TomlPosition(6, 1), limits.Position);
        Assert.Equal(new TomlPosition(7, 1), limits.KeyPosition("max_pilots"));
    }

    [Fact]
    public void Array_and_inline_table_values_have_positions()
    {
        var doc = TomlReader.Parse("args = [\n  \"--exclusive\",\n  { mem = \"4G\" },\n]\n");

        var args = Assert.IsType<TomlArray>(doc["args"]);
        Assert.Equal(new TomlPosition(1, 8), args.Position);
        Assert.Equal(new TomlPosition(2, 3), args[0].Position);
        var inline = Assert.IsType<TomlTable>(args[1]);
        Assert.Equal(new TomlPosition(3, 3), inline.Position);
        Assert.Equal(new TomlPosition(3, 5), inline.KeyPosition("mem"));
        Assert.Equal(new TomlPosition(3, 11), inline["mem"].Position);
    }

    [Fact]
    public void Keys_keep_file_order()
    {
        var doc = TomlReader.Parse("zeta = 1\nalpha = 2\nmid = 3\n");

        Assert.Equal(["zeta", "alpha", "mid"], doc.Keys);
    }

    [Fact]
    public void Large_tables_keep_lookup_order_positions_and_duplicate_checks()
    {
        var lines = Enumerable.Range(0, 40).Select(i => $"k{i} = {i}").ToList();
        var doc = TomlReader.Parse(string.Join("\n", lines) + "\n");

        Assert.Equal(40, doc.Count);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"k{i}"), doc.Keys);
        Assert.Equal(39L, ((TomlInteger)doc["k39"]).Value);
        Assert.Equal(new TomlPosition(40, 1), doc.KeyPosition("k39"));
        Assert.False(doc.ContainsKey("k40"));
        Assert.Throws<KeyNotFoundException>(() => doc["k40"]);

        var ex = Reject(string.Join("\n", lines) + "\nk17 = 0\n");
        Assert.Equal(new TomlPosition(41, 1), ex.Position);
        Assert.Equal("duplicate key k17", ex.Reason);
    }

    [Fact]
    public void Values_after_a_multi_line_string_report_the_right_line()
    {
        var doc = TomlReader.Parse("script = \"\"\"\nline one\nline two\n\"\"\"\nafter = 1\n");

        Assert.Equal("line one\nline two\n", doc["script"].ToString());
        Assert.Equal(new TomlPosition(5, 1), doc.KeyPosition("after"));
    }

    [Fact]
    public void Crlf_line_endings_are_accepted_and_count_as_one_line()
    {
        var doc = TomlReader.Parse("a = 1\r\n# note\r\n[t]\r\nb = '''\r\nx\r\ny'''\r\nc = 2\r\n");

        var t = Assert.IsType<TomlTable>(doc["t"]);
        Assert.Equal(new TomlPosition(3, 1), t.Position);
        Assert.Equal(new TomlPosition(7, 1), t.KeyPosition("c"));
        // Multi-line strings are normalised to '\n' so scripts written on Windows behave the same.
        Assert.Equal("x\ny", t["b"].ToString());
    }

    [Fact]
    public void Lone_carriage_return_is_rejected()
    {
        var ex = Reject("a = 1\rb = 2\n");

        Assert.Equal(new TomlPosition(1, 6), ex.Position);
        Assert.Contains("carriage return", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Byte_order_mark_at_start_is_skipped_and_columns_ignore_it()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("a = 1\n")).ToArray();

        var fromBytes = TomlReader.Parse(bytes);
        var fromString = TomlReader.Parse("\uFEFFa = 1\n");

        Assert.Equal(1L, Assert.IsType<TomlInteger>(fromBytes["a"]).Value);
        Assert.Equal(new TomlPosition(1, 1), fromBytes.KeyPosition("a"));
        Assert.Equal(new TomlPosition(1, 1), fromString.KeyPosition("a"));
    }

    [Fact]
    public void Byte_order_mark_elsewhere_is_rejected()
    {
        var ex = Reject("a = 1\n\uFEFFb = 2\n");

        Assert.Equal(new TomlPosition(2, 1), ex.Position);
    }

    [Fact]
    public void Invalid_utf8_is_rejected_at_its_position()
    {
        var bytes = Encoding.UTF8.GetBytes("a = 1\nb = \"xy").Concat(new byte[] { 0xC3, 0x28, (byte)'"', (byte)'\n' }).ToArray();

        var ex = Assert.Throws<TomlException>(() => TomlReader.Parse(bytes, "pools.toml"));

        Assert.Equal(new TomlPosition(2, 8), ex.Position);
        Assert.StartsWith("pools.toml:2:8: invalid UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unpaired_surrogate_in_a_string_is_rejected()
    {
        var ex = Reject("a = \"x\uD800y\"\n");

        Assert.Equal(new TomlPosition(1, 7), ex.Position);
    }

    [Fact]
    public void Error_message_names_file_line_column_and_reason()
    {
        var ex = Reject("[pool]\nname = \"cpu\"\nmax_pilots = 4 4\n", "/etc/autopilot/autopilot.toml");

        Assert.Equal(new TomlPosition(3, 16), ex.Position);
        Assert.Equal("/etc/autopilot/autopilot.toml", ex.Path);
        Assert.Equal("/etc/autopilot/autopilot.toml:3:16: unexpected '4'; expected a newline or a comment", ex.Message);
    }

    [Fact]
    public void Error_without_a_path_uses_a_placeholder()
    {
        var ex = Reject("x = \n");

        Assert.Equal("<toml>:1:5: expected a value, found end of line", ex.Message);
    }

    [Theory]
    [InlineData("a = 1\na = 2\n", 2, 1, "duplicate key a")]
    [InlineData("[t]\n[t]\n", 2, 2, "cannot define table [t]: it is already defined")]
    [InlineData("t = {x = 1}\n[t.y]\n", 2, 2, "cannot extend inline table t")]
    [InlineData("[a]\nb.c = 1\n[a.b]\n", 3, 4, "cannot define table [a.b]: it was already defined by dotted keys")]
    [InlineData("p = [1]\n[[p]]\n", 2, 3, "cannot define array of tables [[p]]: the key is already an array")]
    [InlineData("n = 9223372036854775808\n", 1, 5, "integer '9223372036854775808' does not fit in 64 bits")]
    [InlineData("d = 2023-02-29\n", 1, 5, "invalid date '2023-02-29': day out of range for the month")]
    [InlineData("s = \"a\\qb\"\n", 1, 7, "invalid escape sequence \\q")]
    [InlineData("t = {a = 1,}\n", 1, 12, "trailing comma is not allowed in an inline table")]
    [InlineData("\"x y\".z = 1\n\"x y\" = 2\n", 2, 1, "duplicate key \"x y\"")]
    public void Errors_point_at_the_offending_place(string toml, int line, int column, string reason)
    {
        var ex = Reject(toml);

        Assert.Equal(reason, ex.Reason);
        Assert.Equal(new TomlPosition(line, column), ex.Position);
    }

    [Theory]
    [InlineData('[', ']')]
    [InlineData('{', '}')]
    public void Deep_nesting_is_a_toml_error_not_a_stack_overflow(char open, char close)
    {
        const int depth = 100_000;
        var sb = new StringBuilder("x = ");
        for (var i = 0; i < depth; i++)
        {
            sb.Append(open == '{' ? "{a=" : "[");
        }

        sb.Append('1');
        sb.Append(close, depth).Append('\n');

        var ex = Reject(sb.ToString());

        Assert.Contains("nested more than", ex.Reason, StringComparison.Ordinal);
        Assert.Equal(1, ex.Position.Line);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted()
    {
        var depth = 100;
        var doc = TomlReader.Parse("x = " + new string('[', depth) + new string(']', depth) + "\n");

        TomlNode node = doc["x"];
        for (var i = 1; i < depth; i++)
        {
            node = Assert.Single(Assert.IsType<TomlArray>(node));
        }

        Assert.Empty(Assert.IsType<TomlArray>(node));
    }

    [Fact]
    public void Scalar_types_are_decoded()
    {
        const string toml = """
            s = 'C:\path'
            i = -16
            h = 0xDEAD_beef
            o = 0o17
            b = 0b101
            f = 6.626e-34
            inf = -inf
            nan = nan
            t = true
            odt = 1979-05-27 07:32:00.1234567899+14:00
            ldt = 1979-05-27T07:32:00
            ld = 1979-05-27
            lt = 07:32:00.5
            big = 9_223_372_036_854_775_807
            small = -9223372036854775808
            """;
        var doc = TomlReader.Parse(toml);

        Assert.Equal(@"C:\path", doc["s"].ToString());
        Assert.Equal(-16L, ((TomlInteger)doc["i"]).Value);
        Assert.Equal(0xDEADBEEFL, ((TomlInteger)doc["h"]).Value);
        Assert.Equal(15L, ((TomlInteger)doc["o"]).Value);
        Assert.Equal(5L, ((TomlInteger)doc["b"]).Value);
        Assert.Equal(6.626e-34, ((TomlFloat)doc["f"]).Value);
        Assert.True(double.IsNegativeInfinity(((TomlFloat)doc["inf"]).Value));
        Assert.True(double.IsNaN(((TomlFloat)doc["nan"]).Value));
        Assert.True(((TomlBoolean)doc["t"]).Value);

        var odt = (TomlDateTime)doc["odt"];
        Assert.Equal(TomlDateTimeKind.OffsetDateTime, odt.Kind);
        Assert.Equal(new DateTimeOffset(1979, 5, 27, 7, 32, 0, TimeSpan.FromHours(14)).AddTicks(1_234_567), odt.Offset);
        Assert.Equal("1979-05-27 07:32:00.1234567899+14:00", odt.Raw);

        var ldt = (TomlDateTime)doc["ldt"];
        Assert.Equal(TomlDateTimeKind.LocalDateTime, ldt.Kind);
        Assert.Equal(new DateTime(1979, 5, 27, 7, 32, 0), ldt.Local);
        Assert.Equal(TomlDateTimeKind.LocalDate, ((TomlDateTime)doc["ld"]).Kind);
        Assert.Equal(new DateOnly(1979, 5, 27), ((TomlDateTime)doc["ld"]).Date);
        Assert.Equal(new TimeOnly(7, 32, 0, 500), ((TomlDateTime)doc["lt"]).Time);
        Assert.Equal(long.MaxValue, ((TomlInteger)doc["big"]).Value);
        Assert.Equal(long.MinValue, ((TomlInteger)doc["small"]).Value);
    }

    [Fact]
    public void Offsets_beyond_dotnet_range_keep_the_instant()
    {
        var doc = TomlReader.Parse("t = 2000-01-01T00:00:00+20:00\n");

        var t = (TomlDateTime)doc["t"];
        Assert.Equal(new DateTimeOffset(1999, 12, 31, 4, 0, 0, TimeSpan.Zero), t.Offset);
        Assert.Equal("2000-01-01T00:00:00+20:00", t.Raw);
    }

    [Fact]
    public void Parse_file_reads_strict_utf8_and_names_the_file_in_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"autopilot-toml-{Guid.NewGuid():N}.toml");
        try
        {
            File.WriteAllText(path, "name = \"é\"\nbroken =\n", new UTF8Encoding(false));

            var ex = Assert.Throws<TomlException>(() => TomlReader.ParseFile(path));

            Assert.Equal(path, ex.Path);
            Assert.StartsWith($"{path}:2:9: ", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
