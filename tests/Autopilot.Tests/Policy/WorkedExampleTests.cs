using System.Text;
using Autopilot.Configuration;
using Autopilot.Policy;
using static Autopilot.Tests.Policy.PolicyDsl;

namespace Autopilot.Tests.Policy;

/// <summary>
/// The worked example of docs/policy.md, replayed through the simulator: the table in the
/// document must be exactly what the policy does.
/// </summary>
public sealed class WorkedExampleTests
{
    internal static string Table()
    {
        var limits = new LimitOptions { MaxPilots = 8, TasksPerPilot = 10, MaxQueued = 2, MaxSubmitPerTick = 4, ScaleToZeroAfter = TimeSpan.FromMinutes(5) };
        var policy = new PolicyOptions { ScaleInAfter = TimeSpan.FromMinutes(2) };
        var sim = new PoolSimulator(limits, policy, new SchedulerOptions(), startDelayTicks: 2, idleTicks: 8, Now, TimeSpan.FromMinutes(1)) { ClusterSlots = 6 };
        long[] demand = [40, 40, 40, 40, 40, 100, 100, 100, 100, 100, 50, 50, 50, 50, 50, 50, 100, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var b = new StringBuilder();
        b.Append("| tick | demand | desired | queued | running | action | rule |\n");
        b.Append("|-----:|-------:|--------:|-------:|--------:|--------|------|\n");
        for (var t = 0; t < demand.Length; t++)
        {
            var queued = sim.Queued;
            var running = sim.Running;
            var plan = sim.Step(demand[t]);
            var action = plan.Submit > 0 ? $"submit {plan.Submit}"
                : plan.Cancel.Count > 0 ? $"cancel {string.Join(", ", plan.Cancel.Select(c => c.PilotId))}"
                : "-";
            b.Append($"| {t} | {demand[t]} | {plan.Desired} | {queued} | {running} | {action} | {plan.Rule} |\n");
        }

        return b.ToString();
    }

    [Fact]
    public void Docs_show_what_the_policy_does()
    {
        var table = Table();
        var doc = File.ReadAllText(Path.Combine(PolicyTestPaths.Repo, "docs", "policy.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.True(doc.Contains(table, StringComparison.Ordinal), $"docs/policy.md does not hold the worked example; it is now:\n{table}");
    }
}

internal static class PolicyTestPaths
{
    public static string Repo { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Autopilot.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Autopilot.sln above {AppContext.BaseDirectory}");
    }
}
