using System.Globalization;
using System.Text;
using Autopilot.DemandSources.HyperShell;
using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.Security;

/// <summary>Issue 14 on the real Slurm, as `autopilot` processes: problems 1, 3, 8 and 15.</summary>
public sealed class SecurityOnSlurmTests(ITestOutputHelper output)
{
    /// <summary>A pilot that writes its own environment next to its log, then keeps running.</summary>
    private static string EnvDumpTemplate(string dir)
    {
        var path = Path.Combine(dir, "env-pilot.sh");
        File.WriteAllText(path, "#!/bin/bash\n# pool {{pool}}\nenv > {{log_dir}}/env-\"$SLURM_JOB_ID\".txt\nsleep 120\n");
        return path;
    }

    [Fact]
    public async Task A_password_in_password_env_or_a_password_file_never_reaches_the_pilot_job()
    {
        await using var harness = new EndToEndHarness();
        var schema = TestServices.UniqueName("aph14a_");
        await using (var connection = await HyperShellPg.OpenAsync())
        {
            await HyperShellTestDatabase.CreatePostgresAsync(connection, schema);
            await HyperShellTestDatabase.InsertPostgresAsync(connection, schema, [new HyperShellTaskBatch(HyperShellTaskState.Pending, 5)]);
        }

        var password = (await File.ReadAllTextAsync(HyperShellPg.PasswordFile)).Trim();
        // No PASSWORD in the name: the test's own runner would not pass such a variable to autopilot.
        var variable = "H14A_HSPW_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        harness.Environment[variable] = password;
        string Postgres(string secretLine) => SecurityConfigs.PostgresDemand(schema, secretLine);
        var template = EnvDumpTemplate(harness.Dir);
        File.WriteAllText(harness.ConfigPath, SecurityConfigs.Header(harness.StateDir, harness.Prefix)
            + SecurityConfigs.Pool("main", template, Postgres($"password_env = \"{variable}\""), "slurm", TestServices.SlurmPartition)
            + SecurityConfigs.Pool("byfile", template, Postgres($"password_file = {EndToEndHarness.Quote(HyperShellPg.PasswordFile)}"), "slurm", TestServices.SlurmPartition));
        var byFile = harness.Prefix + "-byfile";
        try
        {
            var tick = await harness.TickAsync();
            var ids = tick.ErrLines.Where(l => l.Contains(": submitted 1 (", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(": submitted 1 (", StringComparison.Ordinal) + ": submitted 1 (".Length)..].Split(')')[0])
                .ToList();
            Assert.True(ids.Count == 2, tick.ToString());
            Assert.Contains("--export=NONE", string.Join('\n', EndToEndHarness.SbatchCalls(tick)), StringComparison.Ordinal);

            foreach (var id in ids)
            {
                await TestServices.WaitUntilAsync(
                    async () => (await TestServices.RunUncheckedAsync("squeue", ["-h", "-j", id, "-o", "%T"])).StandardOutput.Trim() == "RUNNING",
                    TimeSpan.FromSeconds(90),
                    $"pilot {id} running");
                var pool = ids.IndexOf(id) == 0 ? "main" : "byfile";
                var dump = Path.Combine(harness.StateDir, "pilots", pool, $"env-{id}.txt");
                await TestServices.WaitUntilAsync(() => Task.FromResult(File.Exists(dump) && new FileInfo(dump).Length > 0), TimeSpan.FromSeconds(30), $"{dump} written");

                // What the job sees: its own dump, the running batch shell's /proc/<pid>/environ, and slurmctld's record.
                var seen = new StringBuilder(await File.ReadAllTextAsync(dump));
                var pids = (await TestServices.RunAsync("scontrol", ["listpids", id])).StandardOutput
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]).ToList();
                Assert.NotEmpty(pids);
                foreach (var pid in pids)
                {
                    seen.Append(File.ReadAllText($"/proc/{pid}/environ").Replace('\0', '\n'));
                }

                var job = (await TestServices.RunAsync("scontrol", ["show", "job", "-dd", id])).StandardOutput;
                seen.Append(job);
                var text = seen.ToString();
                Assert.Contains("SLURM_JOB_ID=" + id, text, StringComparison.Ordinal); // the right job's environment was read
                Assert.DoesNotContain(password, text, StringComparison.Ordinal);
                Assert.DoesNotContain(variable, text, StringComparison.Ordinal);
                Assert.Contains("Comment=autopilot-", job, StringComparison.Ordinal);
                output.WriteLine($"pilot {id} ({pool}): {pids.Count} processes, {text.Split('\n').Length} environment lines read; no secret");
            }
        }
        finally
        {
            await TestServices.RunUncheckedAsync("scancel", ["--name=" + byFile]);
            await using var connection = await HyperShellPg.OpenAsync();
            await HyperShellTestDatabase.DropPostgresSchemaAsync(connection, schema);
        }
    }

    [Fact]
    public async Task A_users_look_alike_job_with_the_pilot_name_is_listed_foreign_and_never_cancelled()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 0);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { ScaleToZeroAfter = "0s" });
        var script = Path.Combine(harness.Dir, "mine.sh");
        File.WriteAllText(script, "#!/bin/sh\nsleep 300\n");
        var mine = (await TestServices.RunAsync("sbatch", ["--parsable", "--hold", "-J", harness.JobName, "-p", TestServices.SlurmPartition, "-o", "/dev/null", script])).StandardOutput.Trim();

        // Demand 0, scale to zero at once: a pilot queued like this one would be cancelled.
        var tick = await harness.TickAsync();
        output.WriteLine(tick.Stderr);
        Assert.Contains("pilots 0 queued, 0 running", tick.Stderr, StringComparison.Ordinal);
        Assert.Empty(EndToEndHarness.SbatchCalls(tick));
        Assert.Single(await harness.SqueueAsync(), r => r.Id == mine);

        var jobs = await harness.RunAsync("jobs", "--json");
        var pilot = Assert.Single(jobs.Json().GetProperty("pools")[0].GetProperty("pilots").EnumerateArray());
        Assert.Equal(mine, pilot.GetProperty("id").GetString());
        Assert.Equal("foreign", pilot.GetProperty("state").GetString());
        Assert.True(pilot.GetProperty("foreign").GetBoolean());

        // Nor does `autopilot cancel` touch it by hand.
        var cancel = await harness.RunAsync("cancel", mine);
        Assert.True(cancel.ExitCode == 1, cancel.ToString());
        Assert.Contains("look-alike", cancel.Stderr, StringComparison.Ordinal);
        Assert.Single(await harness.SqueueAsync(), r => r.Id == mine);

        // With demand, the look-alike is no supply either: a real pilot is submitted next to it.
        tasks.Set(5);
        var scaleOut = await harness.TickAsync();
        Assert.Equal(1, EndToEndHarness.Submitted(scaleOut));
        Assert.Equal(2, (await harness.SqueueAsync()).Count);
    }

    [Theory]
    [InlineData("--arr=1-100")]
    [InlineData("-Jother")]
    [InlineData("--job=other")]
    [InlineData("--export=ALL")]
    public async Task Extra_args_that_rename_or_multiply_pilots_are_refused_by_check_and_tick(string bad)
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 50);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { ExtraArgs = [.. EndToEndHarness.StayQueued, bad] });

        var check = await harness.RunAsync("check");
        var tick = await harness.RunAsync("tick", "-v");

        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.Contains($"'{bad}' would set", check.Stdout + check.Stderr, StringComparison.Ordinal);
        Assert.Contains(harness.ConfigPath + ":", check.Stdout + check.Stderr, StringComparison.Ordinal);
        output.WriteLine(check.Stdout + check.Stderr);
        Assert.True(tick.ExitCode == 2, tick.ToString());
        Assert.Empty(EndToEndHarness.SbatchCalls(tick));
        var jobs = await TestServices.RunAsync("squeue", ["-h", "--me", "-o", "%i", "--name=other," + harness.JobName]);
        Assert.Equal("", jobs.StandardOutput.Trim());
    }

    [Fact]
    public async Task An_sbatch_that_fails_after_two_of_five_submissions_is_reported_with_the_two_ids_everywhere()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 50);
        var bin = Path.Combine(harness.Dir, "bin");
        Directory.CreateDirectory(bin);
        foreach (var command in new[] { "squeue", "scancel", "sacct", "scontrol" })
        {
            Executable(Path.Combine(bin, command), $"#!/bin/sh\nexec /usr/bin/{command} \"$@\"\n");
        }

        // The real sbatch twice, then the error a busy slurmctld gives.
        Executable(Path.Combine(bin, "sbatch"), """
            #!/bin/sh
            echo x >> "$0.calls"
            if [ "$(wc -l < "$0.calls")" -gt 2 ]; then
                echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2
                exit 1
            fi
            exec /usr/bin/sbatch "$@"
            """);
        harness.WriteConfig(new PoolSpec(tasks.Demand) { ExtraArgs = EndToEndHarness.StayQueued, UseArrays = false, MaxQueued = 5, MaxSubmitPerTick = 5 });
        var text = File.ReadAllText(harness.ConfigPath).Replace("kind = \"slurm\"\n", $"kind = \"slurm\"\nbin_dir = {EndToEndHarness.Quote(bin)}\n", StringComparison.Ordinal);
        File.WriteAllText(harness.ConfigPath, text);

        var tick = await harness.RunAsync("tick", "-v");

        Assert.True(tick.ExitCode == 1, tick.ToString());
        var queued = (await harness.SqueueAsync()).Select(r => r.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, queued.Count);
        var line = tick.ErrLines.Single(l => l.Contains("pool main: demand", StringComparison.Ordinal));
        output.WriteLine(line);
        Assert.Contains($"submitted 2 ({queued[0]} {queued[1]})", line, StringComparison.Ordinal);
        Assert.Contains("Socket timed out", line, StringComparison.Ordinal);
        Assert.Equal(queued, EndToEndHarness.SubmittedIds(tick).Order(StringComparer.Ordinal));

        var events = (await harness.RunAsync("events", "--json")).Json().EnumerateArray().ToList();
        var submitted = Assert.Single(events, e => e.GetProperty("kind").GetString() == "submitted");
        Assert.Equal(queued, submitted.GetProperty("job_ids").EnumerateArray().Select(i => i.GetString()!).Order(StringComparer.Ordinal));
        var failed = Assert.Single(events, e => e.GetProperty("kind").GetString() == "submitfailed");
        Assert.Contains("Socket timed out", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains("2 of 5", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);

        var status = (await harness.RunAsync("status", "--json")).Json().GetProperty("pools")[0].GetProperty("last_tick");
        Assert.Contains($"submitted 2 ({queued[0]} {queued[1]})", status.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    private static void Executable(string path, string text)
    {
        File.WriteAllText(path, text.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
