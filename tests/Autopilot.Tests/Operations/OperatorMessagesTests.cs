using Autopilot.Cli.Commands;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.Policy;

namespace Autopilot.Tests.Operations;

/// <summary>Issue 19, item 5: the operator-facing lines say each thing once and agree with each other.</summary>
public sealed class OperatorMessagesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Status_names_a_crash_loop_once()
    {
        var failed = new PilotOutcome("43", "n", PilotEnd.Failed, 1, Now.AddSeconds(-3), Now, "FAILED");
        var memory = CrashLoop.Update(PoolMemory.Empty, [failed], new PolicyOptions { CrashLoopThreshold = 1 });

        var view = PoolStatusView.From("cpu", true, memory, null, Now);

        var line = Assert.Single(view.Details);
        Assert.DoesNotContain("crash loop: crash loop", line, StringComparison.Ordinal);
        Assert.StartsWith("crash loop: 1 pilot in a row failed", line, StringComparison.Ordinal);
        Assert.EndsWith("(undo: autopilot resume cpu)", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "pool cpu: demand 80+, desired ")]
    [InlineData(false, "pool cpu: demand 80, desired ")]
    public void Jobs_marks_a_saturated_demand_as_plan_does(bool saturated, string expected)
    {
        var demand = new Demand(80, saturated, []);
        var result = new PoolTickResult("cpu", "autopilot-cpu", demand, [], null, [], [], null, "");
        var output = new StringWriter();

        JobsView.Write(output, new TickReport(Now, [result], LockBusy: false, DryRun: true), terminal: false);

        Assert.StartsWith(expected, output.ToString(), StringComparison.Ordinal);
        Assert.StartsWith($"80{(saturated ? "+" : "")}", demand.ToString(), StringComparison.Ordinal);
    }
}
