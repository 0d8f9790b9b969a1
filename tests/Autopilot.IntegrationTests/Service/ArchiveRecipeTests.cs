using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;

namespace Autopilot.IntegrationTests.Service;

/// <summary>
/// deploy/archive/autopilot-archive.sh with the `copy` tool (a mounted folder) over a real state folder:
/// closed files are copied, growing ones copied again, nothing is deleted at the destination, the
/// events export is written once a day, and a destination with credentials in it is refused.
/// </summary>
public sealed class ArchiveRecipeTests : IAsyncDisposable
{
    private readonly EndToEndHarness _harness = new();

    private string Archive => Path.Combine(_harness.Dir, "archive");

    private static string Script => Path.Combine(TestPaths.Repo, "deploy", "archive", "autopilot-archive.sh");

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Fact]
    public async Task Logs_pilot_output_and_a_daily_events_export_reach_the_archive_and_stay_there()
    {
        _harness.WriteConfig(new PoolSpec(new PendingTasks(_harness.Dir, 0).Demand));
        var logs = Directory.CreateDirectory(Path.Combine(_harness.StateDir, "logs")).FullName;
        var pilots = Directory.CreateDirectory(Path.Combine(_harness.StateDir, "pilots", "main")).FullName;
        File.WriteAllText(Path.Combine(logs, "autopilot-20261205.log"), "yesterday\n");
        File.WriteAllText(Path.Combine(logs, "autopilot-20261206.log"), "today, part 1\n");
        File.WriteAllText(Path.Combine(pilots, "ap-main-41.out"), "pilot 41 ran\n");

        var first = await RunAsync();
        Assert.True(first.ExitCode == 0, first.StandardError);
        Assert.Equal("", first.StandardOutput + first.StandardError);
        Assert.Equal("yesterday\n", File.ReadAllText(Path.Combine(Archive, "logs", "autopilot-20261205.log")));
        Assert.Equal("pilot 41 ran\n", File.ReadAllText(Path.Combine(Archive, "pilots", "main", "ap-main-41.out")));
        var export = Assert.Single(Directory.GetFiles(Path.Combine(Archive, "exports")));
        Assert.Matches(@"events-\d{8}\.json$", export);
        Assert.Equal("[]", File.ReadAllText(export).Trim());

        // Today's log grows; retention removes yesterday's locally; the export is not written again.
        File.AppendAllText(Path.Combine(logs, "autopilot-20261206.log"), "today, part 2\n");
        File.SetLastWriteTimeUtc(Path.Combine(logs, "autopilot-20261206.log"), DateTime.UtcNow.AddSeconds(5));
        File.Delete(Path.Combine(logs, "autopilot-20261205.log"));
        var exported = File.GetLastWriteTimeUtc(Path.Combine(_harness.StateDir, "exports", Path.GetFileName(export)));

        var second = await RunAsync();
        Assert.True(second.ExitCode == 0, second.StandardError);
        Assert.Equal("today, part 1\ntoday, part 2\n", File.ReadAllText(Path.Combine(Archive, "logs", "autopilot-20261206.log")));
        Assert.True(File.Exists(Path.Combine(Archive, "logs", "autopilot-20261205.log")), "the archive lost a file retention removed locally");
        Assert.Equal(exported, File.GetLastWriteTimeUtc(Path.Combine(_harness.StateDir, "exports", Path.GetFileName(export))));
    }

    [Fact]
    public async Task A_destination_with_credentials_in_it_is_refused()
    {
        Directory.CreateDirectory(_harness.StateDir);

        var run = await RunAsync(("ARCHIVE_TOOL", "aws"), ("ARCHIVE_DEST", "s3://AKIAEXAMPLE:secret@bucket/autopilot"));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("must not carry credentials", run.StandardError, StringComparison.Ordinal);
    }

    private async Task<ProcessResult> RunAsync(params (string Name, string Value)[] overrides)
    {
        var env = new Dictionary<string, string?>
        {
            ["ARCHIVE_TOOL"] = "copy",
            ["ARCHIVE_DEST"] = Archive,
            ["STATE_DIR"] = _harness.StateDir,
            ["EXPORT_EVENTS"] = "1",
            ["AUTOPILOT"] = EndToEndHarness.Program,
            ["AUTOPILOT_CONFIG"] = _harness.ConfigPath,
        };
        foreach (var (name, value) in overrides)
        {
            env[name] = value;
        }

        return await TestServices.Runner.RunAsync(new ProcessSpec("bash", [Script], Environment: env, Timeout: TimeSpan.FromSeconds(60)), CancellationToken.None);
    }
}
