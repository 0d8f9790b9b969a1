using Autopilot.DemandSources.PiCaS;

namespace Autopilot.Tests.DemandSources;

/// <summary>Bodies as pouchdb-server 4.2 (tests/infra) and CouchDB answer view queries.</summary>
public sealed class PiCaSViewParserTests
{
    [Fact]
    public void Total_rows_of_a_map_view_with_limit_0()
    {
        Assert.Equal(1200, PiCaSViewParser.ParseTotalRows("{\"total_rows\":1200,\"offset\":0,\"rows\":[]}"));
    }

    [Fact]
    public void A_reduce_view_has_no_total_rows()
    {
        var ex = Assert.Throws<FormatException>(() => PiCaSViewParser.ParseTotalRows("{\"rows\":[]}"));
        Assert.Contains("reduce = true", ex.Message);
    }

    [Fact]
    public void States_of_a_grouped_reduce_view()
    {
        var counts = PiCaSViewParser.ParseStateCounts(
            "{\"rows\":[{\"value\":1,\"key\":\"locked\"},{\"value\":2,\"key\":\"todo\"},{\"key\":\"error\",\"value\":4}]}");

        Assert.Equal(3, counts.Count);
        Assert.Equal(2, counts["todo"]);
        Assert.Equal(1, counts["locked"]);
        Assert.Equal(4, counts["error"]);
    }

    [Theory]
    [InlineData("{\"rows\":[{\"key\":\"todo\",\"value\":\"many\"}]}", "\"many\", not a number")]
    [InlineData("{\"rows\":[{\"key\":\"todo\",\"value\":2.5}]}", "not a whole number")]
    [InlineData("{\"rows\":[{\"key\":\"todo\",\"value\":-2}]}", "negative")]
    [InlineData("{\"rows\":[{\"key\":null,\"value\":3}]}", "not a state name")]
    [InlineData("{\"total_rows\":3}", "rows array")]
    [InlineData("<html>proxy error</html>", "not JSON")]
    public void Non_numbers_are_refused(string body, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => PiCaSViewParser.ParseStateCounts(body));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void A_total_rows_that_is_not_a_number_is_refused()
    {
        var ex = Assert.Throws<FormatException>(() => PiCaSViewParser.ParseTotalRows("{\"total_rows\":\"12\"}"));
        Assert.Contains("not a number", ex.Message);
    }
}
