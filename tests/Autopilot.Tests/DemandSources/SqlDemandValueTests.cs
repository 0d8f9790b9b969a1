using Autopilot.DemandSources.Sql;

namespace Autopilot.Tests.DemandSources;

public sealed class SqlDemandValueTests
{
    [Theory]
    [InlineData(7L, 7L)]
    [InlineData(7, 7L)]
    [InlineData((short)7, 7L)]
    [InlineData(0L, 0L)]
    [InlineData(2.1, 3L)]
    [InlineData(2.0, 2L)]
    [InlineData(2.5f, 3L)]
    public void Numbers_become_task_counts(object value, long expected)
    {
        Assert.Equal(expected, SqlDemandValue.ToTasks(value));
    }

    [Fact]
    public void Decimal_fractions_round_up()
    {
        Assert.Equal(5, SqlDemandValue.ToTasks(4.01m));
    }

    [Theory]
    [InlineData(null, "returned NULL")]
    [InlineData(-1L, "negative number (-1)")]
    [InlineData(-0.5, "negative number (-0.5)")]
    [InlineData("12", "returned text '12'")]
    [InlineData(true, "boolean")]
    [InlineData(double.NaN, "expected a finite number")]
    public void Everything_else_is_refused(object? value, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => SqlDemandValue.ToTasks(value));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void DBNull_is_null()
    {
        Assert.Contains("NULL", Assert.Throws<FormatException>(() => SqlDemandValue.ToTasks(DBNull.Value)).Message);
    }
}
