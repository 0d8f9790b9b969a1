using System.Xml.Linq;
using Autopilot.DemandSources.HyperShell;
using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.Security;

/// <summary>Issue 14 on the real Grid Engine, as `autopilot` processes: problems 1 and 8.</summary>
public sealed class SecurityOnGridEngineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-sge-sec-").FullName;
    private readonly string _prefix = TestServices.UniqueName("apsec");
    private readonly Dictionary<string, string?> _environment = new(TestServices.SgeEnvironment);

    private string JobName => _prefix + "-main";

    private string Config => Path.Combine(_dir, "autopilot.toml");

    private string StateDir => Path.Combine(_dir, "state");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in (await JobsAsync()).Select(j => j.Split('.')[0]).Distinct())
        {
            await TestServices.RunUncheckedAsync("qdel", [id], TestServices.SgeEnvironment);
        }

        Directory.Delete(_dir, recursive: true);
    }

    private void WriteConfig(string demand, string template, string scaleToZeroAfter = "1h") => File.WriteAllText(
        Config,
        SecurityConfigs.Header(StateDir, _prefix) + SecurityConfigs.Pool("main", template, demand, "sge", TestServices.SgeQueue, scaleToZeroAfter: scaleToZeroAfter));

    private async Task<CliRun> AutopilotAsync(params string[] arguments)
    {
        string[] args = [.. arguments, "--config", Config];
        var result = await TestServices.Runner.RunAsync(new ProcessSpec(EndToEndHarness.Program, args, WorkingDirectory: _dir, Environment: _environment, Timeout: TimeSpan.FromSeconds(90)), CancellationToken.None);
        return new CliRun(arguments, result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>This test's jobs (id, N.i for array elements), as qstat -xml shows them.</summary>
    private async Task<IReadOnlyList<string>> JobsAsync()
    {
        var result = await TestServices.RunAsync("qstat", ["-xml", "-u", "*"], TestServices.SgeEnvironment);
        return XDocument.Parse(result.StandardOutput).Descendants("job_list")
            .Where(j => (string?)j.Element("JB_name") == JobName)
            .Select(j => (string?)j.Element("JB_job_number") + ((string?)j.Element("tasks") is { Length: > 0 } t ? "." + t : ""))
            .ToList();
    }

    [Fact]
    public async Task A_users_look_alike_job_with_the_pilot_name_is_listed_foreign_and_never_deleted()
    {
        var tasks = new PendingTasks(_dir, 0);
        WriteConfig(tasks.Demand.Toml, EndToEndHarness.Template, scaleToZeroAfter: "0s");
        var script = Path.Combine(_dir, "mine.sh");
        File.WriteAllText(script, "#!/bin/sh\nsleep 300\n");
        var mine = (await TestServices.RunAsync("qsub", ["-terse", "-h", "-N", JobName, "-o", "/dev/null", "-e", "/dev/null", script], TestServices.SgeEnvironment)).StandardOutput.Trim();

        var tick = await AutopilotAsync("tick", "-v");
        output.WriteLine(tick.Stderr);
        Assert.True(tick.ExitCode == 0, tick.ToString());
        Assert.Contains("pilots 0 queued, 0 running", tick.Stderr, StringComparison.Ordinal);
        Assert.Equal([mine], await JobsAsync());

        var jobs = await AutopilotAsync("jobs", "--json");
        var pilot = Assert.Single(jobs.Json().GetProperty("pools")[0].GetProperty("pilots").EnumerateArray());
        Assert.Equal(mine, pilot.GetProperty("id").GetString());
        Assert.True(pilot.GetProperty("foreign").GetBoolean());

        // With demand, a real pilot goes in next to it, and it alone is counted.
        tasks.Set(5);
        var scaleOut = await AutopilotAsync("tick", "-v");
        Assert.True(scaleOut.ExitCode == 0, scaleOut.ToString());
        Assert.Contains("-ac AUTOPILOT=autopilot-", scaleOut.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, (await JobsAsync()).Count);
        var again = await AutopilotAsync("jobs", "--json");
        var listed = again.Json().GetProperty("pools")[0].GetProperty("pilots").EnumerateArray().ToList();
        Assert.Single(listed, p => !p.GetProperty("foreign").GetBoolean());
        Assert.Single(listed, p => p.GetProperty("foreign").GetBoolean() && p.GetProperty("id").GetString() == mine);
    }

    [Fact]
    public async Task A_password_in_password_env_never_reaches_the_pilot_job()
    {
        var schema = TestServices.UniqueName("aph14a_");
        await using (var connection = await HyperShellPg.OpenAsync())
        {
            await HyperShellTestDatabase.CreatePostgresAsync(connection, schema);
            await HyperShellTestDatabase.InsertPostgresAsync(connection, schema, [new HyperShellTaskBatch(HyperShellTaskState.Pending, 5)]);
        }

        try
        {
            var password = (await File.ReadAllTextAsync(HyperShellPg.PasswordFile)).Trim();
            var variable = "H14A_HSPW_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
            _environment[variable] = password;
            var template = Path.Combine(_dir, "env-pilot.sh");
            File.WriteAllText(template, "#!/bin/bash\n# pool {{pool}}\nenv > {{log_dir}}/env-\"$JOB_ID\".txt\nsleep 120\n");
            WriteConfig(SecurityConfigs.PostgresDemand(schema, $"password_env = \"{variable}\""), template);

            var tick = await AutopilotAsync("tick", "-v");
            Assert.True(tick.ExitCode == 0, tick.ToString());
            var id = Assert.Single(await JobsAsync());
            Assert.DoesNotContain(" -V ", tick.Stderr, StringComparison.Ordinal);

            var dump = Path.Combine(StateDir, "pilots", "main", $"env-{id}.txt");
            await TestServices.WaitUntilAsync(() => Task.FromResult(File.Exists(dump) && new FileInfo(dump).Length > 0), TimeSpan.FromSeconds(90), $"{dump} written by the running pilot");
            var seen = await File.ReadAllTextAsync(dump);
            var detail = (await TestServices.RunAsync("qstat", ["-j", id], TestServices.SgeEnvironment)).StandardOutput;
            Assert.Contains("JOB_ID=" + id, seen, StringComparison.Ordinal); // the right job's environment was read
            Assert.Contains("AUTOPILOT=autopilot-", detail, StringComparison.Ordinal);
            foreach (var text in new[] { seen, detail })
            {
                Assert.DoesNotContain(password, text, StringComparison.Ordinal);
                Assert.DoesNotContain(variable, text, StringComparison.Ordinal);
            }

            output.WriteLine($"pilot {id}: {seen.Split('\n').Length} environment lines, qstat -j env_list: {detail.Split('\n').FirstOrDefault(l => l.StartsWith("env_list", StringComparison.Ordinal))}");
        }
        finally
        {
            await using var connection = await HyperShellPg.OpenAsync();
            await HyperShellTestDatabase.DropPostgresSchemaAsync(connection, schema);
        }
    }
}
