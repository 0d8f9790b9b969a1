using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

public sealed class ConfigValuesTests
{
    [Theory]
    [InlineData("90", 90)]
    [InlineData("0", 0)]
    [InlineData("90s", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("1d12h", 129600)]
    [InlineData("1h0m5s", 3605)]
    [InlineData("1H30M", 5400)]
    [InlineData(" 10s ", 10)]
    public void Duration_accepts(string text, long seconds)
    {
        Assert.True(ConfigValues.TryParseDuration(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5 minutes")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    [InlineData("30m1h")]
    [InlineData("5mm")]
    [InlineData("m")]
    [InlineData("5x")]
    [InlineData("01:00:00")]
    [InlineData("99999999999999999999s")]
    public void Duration_rejects(string text)
    {
        Assert.False(ConfigValues.TryParseDuration(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("01:00:00", 3600)]
    [InlineData("00:30:00", 1800)]
    [InlineData("36:00:00", 129600)]
    [InlineData("1-00:00:00", 86400)]
    [InlineData("2-12:30:15", 217815)]
    [InlineData("1-12:30", 131400)]
    [InlineData("1-12", 129600)]
    [InlineData("90m", 5400)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    public void Walltime_accepts(string text, long seconds)
    {
        Assert.True(ConfigValues.TryParseWalltime(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("60")]
    [InlineData("1:30")]
    [InlineData("00:60:00")]
    [InlineData("00:00:60")]
    [InlineData("1-24:00:00")]
    [InlineData("00:00:00")]
    [InlineData("0s")]
    [InlineData("a:b:c")]
    [InlineData("1:2:3:4")]
    [InlineData("-01:00:00")]
    public void Walltime_rejects(string text)
    {
        Assert.False(ConfigValues.TryParseWalltime(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("512M", 512)]
    [InlineData("512MB", 512)]
    [InlineData("4G", 4096)]
    [InlineData("4GiB", 4096)]
    [InlineData("4g", 4096)]
    [InlineData("1.5G", 1536)]
    [InlineData("2048", 2048)]
    [InlineData("0", 0)]
    [InlineData("1T", 1048576)]
    [InlineData("1536K", 2)]
    [InlineData("1K", 1)]
    public void Memory_accepts(string text, long mb)
    {
        Assert.True(ConfigValues.TryParseMemoryMb(text, out var value, out var error), error);
        Assert.Equal(mb, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("4X")]
    [InlineData("G")]
    [InlineData("-4G")]
    [InlineData("four gigs")]
    [InlineData("1.2.3G")]
    [InlineData("4 G")]
    public void Memory_rejects(string text)
    {
        Assert.False(ConfigValues.TryParseMemoryMb(text, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("* * * * *")]
    [InlineData("*/5 * * * *")]
    [InlineData("0 2 * * 1-5")]
    [InlineData("*/30 * * * * *")]
    [InlineData("0 0 12 1 * *")]
    public void Cron_accepts(string text)
    {
        Assert.True(ConfigValues.TryValidateCron(text, out var error), error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("* * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("61 * * * *")]
    [InlineData("* 25 * * *")]
    [InlineData("every minute")]
    [InlineData("*/0 * * * *")]
    public void Cron_rejects(string text)
    {
        Assert.False(ConfigValues.TryValidateCron(text, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(90, "1m30s")]
    [InlineData(5400, "1h30m")]
    [InlineData(172800, "2d")]
    public void Duration_formats_and_parses_back(long seconds, string text)
    {
        Assert.Equal(text, ConfigValues.FormatDuration(TimeSpan.FromSeconds(seconds)));
        Assert.True(ConfigValues.TryParseDuration(text, out var back, out _));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }

    [Theory]
    [InlineData(3600, "01:00:00")]
    [InlineData(217815, "2-12:30:15")]
    public void Walltime_formats_and_parses_back(long seconds, string text)
    {
        Assert.Equal(text, ConfigValues.FormatWalltime(TimeSpan.FromSeconds(seconds)));
        Assert.True(ConfigValues.TryParseWalltime(text, out var back, out _));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }

    [Theory]
    [InlineData("max_pilot", new[] { "max_pilots", "min_pilots", "max_queued" }, "max_pilots")]
    [InlineData("walltme", new[] { "walltime", "queue" }, "walltime")]
    [InlineData("zzzzzz", new[] { "walltime", "queue" }, null)]
    public void Suggest_finds_the_typo(string word, string[] candidates, string? expected)
    {
        Assert.Equal(expected, Suggest.Closest(word, candidates));
    }
}
