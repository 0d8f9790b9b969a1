using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Logging;
using Autopilot.Tests.Configuration;
using Microsoft.Extensions.Logging;

namespace Autopilot.Tests.Logging;

/// <summary>The log files are Serilog's rolling files (WriteTo.File(rollingInterval: Day, shared: true, retainedFileCountLimit)).</summary>
public sealed class RollingLogFileTests
{
    [Fact]
    public void Keeps_the_newest_files_and_deletes_older_ones_of_its_own_pattern_only()
    {
        var state = ConfigTestSupport.TempDir();
        var logs = Path.Combine(state, "logs");
        Directory.CreateDirectory(logs);
        // 20201399 is no date: Serilog still counts it as its own, older than any dated file.
        string[] old = ["autopilot-20200101.log", "autopilot-20200102.log", "autopilot-20200103.log", "autopilot-20200103_001.log", "autopilot-20200104.log", "autopilot-20201399.log"];
        string[] foreign = ["autopilot-2020010.log", "other-20200101.log", "autopilot-20200101_01.log", "autopilot-20200101.txt"];
        foreach (var name in old.Concat(foreign))
        {
            File.WriteAllText(Path.Combine(logs, name), "x");
        }

        using (var factory = AutopilotLogging.Create(new LogOptions { RetainedFiles = 3 }, state, false, false, new StringWriter(), journal: false))
        {
            factory.CreateLogger("Autopilot.Test").LogWarning("to the file");
        }

        var today = "autopilot-" + DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + ".log";
        var left = Directory.GetFiles(logs).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

        // Today's file and the two newest others (by date, then sequence); files of other shapes stay.
        Assert.Equal(new[] { today, "autopilot-20200104.log", "autopilot-20200103_001.log" }.Concat(foreign).Order(StringComparer.Ordinal), left);
        Assert.Contains("[WRN] Autopilot.Test: to the file", File.ReadAllText(Path.Combine(logs, today)), StringComparison.Ordinal);
    }

    [Fact]
    public void Continues_the_days_latest_sequence_file_and_appends()
    {
        var state = ConfigTestSupport.TempDir();
        var logs = Path.Combine(state, "logs");
        Directory.CreateDirectory(logs);
        var stamp = DateTime.Now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(logs, $"autopilot-{stamp}_002.log"), "earlier\n");
        File.WriteAllText(Path.Combine(logs, $"autopilot-{stamp}.log"), "first\n");

        for (var i = 0; i < 2; i++)
        {
            using var factory = AutopilotLogging.Create(new LogOptions(), state, false, false, new StringWriter(), journal: false);
            factory.CreateLogger("Autopilot.Test").LogInformation("line {N}", i);
        }

        var text = File.ReadAllText(Path.Combine(logs, $"autopilot-{stamp}_002.log"));
        Assert.StartsWith("earlier\n", text, StringComparison.Ordinal);
        Assert.Contains("Autopilot.Test: line 0", text, StringComparison.Ordinal);
        Assert.Contains("Autopilot.Test: line 1", text, StringComparison.Ordinal);
        Assert.Equal("first\n", File.ReadAllText(Path.Combine(logs, $"autopilot-{stamp}.log")));
    }
}
