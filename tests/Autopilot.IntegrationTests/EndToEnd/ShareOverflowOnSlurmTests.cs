using System.Globalization;
using System.Text;
using Autopilot.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.EndToEnd;

/// <summary>
/// Two pools sharing one demand on the real Slurm (issue 18 item 3): 'pref' submits to partition
/// apshare, 'over' to apoverflow (both made by tests/infra/start-slurm.sh on the one node). apshare is
/// turned DOWN: pref's pilots wait for PartitionDown past overflow_after and over takes the demand;
/// apshare comes back UP and, once over's pilots have ended, the demand is pref's again.
/// </summary>
public sealed class ShareOverflowOnSlurmTests(ITestOutputHelper output)
{
    private const string Preferred = "apshare";
    private const string Overflow = "apoverflow";

    [Fact]
    public async Task The_overflow_pool_takes_the_demand_while_the_preferred_partition_is_down_and_gives_it_back()
    {
        await using var harness = new EndToEndHarness();
        var tasks = new PendingTasks(harness.Dir, 2);
        File.WriteAllText(harness.ConfigPath, Config(harness, tasks.Demand));
        await SetPartitionAsync("DOWN");
        try
        {
            // Nothing waits yet: the preferred pool takes the whole demand and its pilots wait for the partition.
            var first = await TickAsync(harness);
            Assert.Equal(2, Submitted(first, "pref"));
            Assert.Equal(0, Submitted(first, "over"));
            await TestServices.WaitUntilAsync(
                async () => (await SqueueAsync(harness, "pref")).Count(r => r.Reason == "PartitionDown") == 2,
                TimeSpan.FromSeconds(30), "pref's pilots pending for PartitionDown");
            await Task.Delay(TimeSpan.FromSeconds(4));

            // Past overflow_after: the plan says why, and over receives the demand; pref keeps its two waiting.
            var plan = await harness.RunAsync("plan", "--json");
            Assert.True(plan.ExitCode == 0, plan.ToString());
            var pools = plan.Json().GetProperty("pools").EnumerateArray().ToDictionary(p => p.GetProperty("pool").GetString()!);
            var prefNotes = string.Join("\n", pools["pref"].GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
            output.WriteLine(prefNotes);
            Assert.Contains("Share group 'slurm': demand 2 read once and split by order of preference: pref (order 1) 2; over (order 2) 2.", prefNotes, StringComparison.Ordinal);
            Assert.Contains("overflowing: 2 pilots waiting for PartitionDown", prefNotes, StringComparison.Ordinal);
            Assert.Equal(2, pools["over"].GetProperty("demand").GetProperty("tasks").GetInt64());

            var second = await TickAsync(harness);
            Assert.Equal(0, Submitted(second, "pref"));
            Assert.Equal(2, Submitted(second, "over"));
            await TestServices.WaitUntilAsync(
                async () => (await SqueueAsync(harness, "over")).Count(r => r.Running) == 2,
                TimeSpan.FromSeconds(60), "over's pilots running in partition apoverflow");

            // over's running pilots serve the demand: pref's share is 0 and, after scale_to_zero_after 2s, its
            // waiting pilots are cancelled like any pool's whose demand is gone; nothing more is submitted.
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var third = await TickAsync(harness);
            Assert.Equal(0, Submitted(third, "over"));
            Assert.Equal(0, Submitted(third, "pref"));
            Assert.Contains("cancelled 2", Line(third, "pref"), StringComparison.Ordinal);
            await TestServices.WaitUntilAsync(
                async () => (await SqueueAsync(harness, "pref")).Count == 0,
                TimeSpan.FromSeconds(30), "pref's waiting pilots gone");

            // The partition returns; over's pilots end (sleep_seconds): the demand goes back to pref.
            await SetPartitionAsync("UP");
            await TestServices.WaitUntilAsync(
                async () => (await SqueueAsync(harness, "over")).Count == 0,
                TimeSpan.FromSeconds(60), "over's pilots ended");
            var fourth = await TickAsync(harness);
            Assert.Equal(2, Submitted(fourth, "pref"));
            Assert.Equal(0, Submitted(fourth, "over"));
            await TestServices.WaitUntilAsync(
                async () => (await SqueueAsync(harness, "pref")).Count(r => r.Running) == 2,
                TimeSpan.FromSeconds(60), "pref's pilots running in partition apshare");

            var fifth = await TickAsync(harness);
            Assert.Equal(0, Submitted(fifth, "pref"));
            Assert.Equal(0, Submitted(fifth, "over"));
            Assert.Contains("pool over: demand 0,", Line(fifth, "over"), StringComparison.Ordinal);
        }
        finally
        {
            await SetPartitionAsync("UP");
            await TestServices.RunUncheckedAsync("scancel", ["--name=" + harness.Prefix + "-pref"]);
            await TestServices.RunUncheckedAsync("scancel", ["--name=" + harness.Prefix + "-over"]);
        }
    }

    private static string Config(EndToEndHarness harness, DemandSpec demand)
    {
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder(harness.ConfigHead);
        foreach (var (pool, partition, order, sleep) in new[] { ("pref", Preferred, 1, 300), ("over", Overflow, 2, 12) })
        {
            text.AppendLine("[[pool]]");
            text.AppendLine(i, $"name = \"{pool}\"");
            text.AppendLine(i, $"template = {EndToEndHarness.Quote(EndToEndHarness.Template)}");
            text.AppendLine("[pool.template_vars]");
            text.AppendLine(i, $"sleep_seconds = \"{sleep}\"");
            text.AppendLine("[pool.demand]");
            text.AppendLine(demand.Toml.Trim());
            text.AppendLine("[pool.share]");
            text.AppendLine("group = \"slurm\"");
            text.AppendLine(i, $"order = {order}");
            text.AppendLine("overflow_after = \"3s\"");
            text.AppendLine("[pool.scheduler]");
            text.AppendLine("kind = \"slurm\"");
            text.AppendLine(i, $"queue = \"{partition}\"");
            text.AppendLine("walltime = \"00:10:00\"");
            text.AppendLine("drain_lead = \"10s\"");
            text.AppendLine("use_arrays = false");
            text.AppendLine("[pool.limits]");
            text.AppendLine("max_pilots = 2");
            text.AppendLine("tasks_per_pilot = 1");
            text.AppendLine("max_queued = 2");
            text.AppendLine("scale_to_zero_after = \"2s\"");
            text.AppendLine("[pool.policy]");
            text.AppendLine("scale_in_after = \"0s\"");
            text.AppendLine("min_pilot_runtime = \"1s\"");
            text.AppendLine("min_useful_walltime = \"30s\"");
        }

        return text.ToString();
    }

    private async Task<CliRun> TickAsync(EndToEndHarness harness)
    {
        var run = await harness.RunAsync("tick");
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    private static string Line(CliRun run, string pool) =>
        run.ErrLines.Single(l => l.Contains($"pool {pool}: demand", StringComparison.Ordinal));

    private static int Submitted(CliRun run, string pool)
    {
        var line = Line(run, pool);
        var at = line.IndexOf(": submitted ", StringComparison.Ordinal);
        return at < 0 ? 0 : int.Parse(new string(line[(at + ": submitted ".Length)..].TakeWhile(char.IsAsciiDigit).ToArray()), CultureInfo.InvariantCulture);
    }

    private static async Task<IReadOnlyList<SqueueRow>> SqueueAsync(EndToEndHarness harness, string pool)
    {
        var result = await TestServices.RunAsync("squeue", ["-h", "-r", "--name=" + harness.Prefix + "-" + pool, "-o", "%i|%A|%T|%r"]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split('|'))
            .Select(f => new SqueueRow(f[0], f[1], f[2], f[3]))
            .ToList();
    }

    private static Task SetPartitionAsync(string state) =>
        TestServices.RunAsync("scontrol", ["update", "PartitionName=" + Preferred, "State=" + state]);
}
