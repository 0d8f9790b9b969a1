using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using static Autopilot.DemandSources.HyperShell.HyperShellTaskState;

namespace Autopilot.Tests.DemandSources.HyperShell;

/// <summary>
/// One HyperShell 2.8 table and the demand HyperShell's own group rule gives it. Batches are
/// inserted in order and each scheduled batch is scheduled after the ones before it, so the last
/// scheduled batch holds the latest schedule_time (the group the server starts at).
/// </summary>
public sealed record HyperShellGroupCase(
    string Name,
    HyperShellTaskBatch[] Batches,
    long Tasks,
    (string Name, long Value)[] Measures,
    int MaxRetries = 0,
    string? Tag = null,
    bool Stuck = false)
{
    public override string ToString() => Name;

    /// <summary>Checks a measured demand against the case (shared by the SQLite and PostgreSQL tests).</summary>
    public void Check(Demand demand)
    {
        Assert.Equal(Tasks, demand.Tasks);
        Assert.Equal(Measures.Select(m => new DemandMeasure(m.Name, m.Value)), demand.Measures);
        if (Stuck)
        {
            var note = Assert.Single(demand.Notes);
            var group = Measures.Single(m => m.Name == "active group").Value;
            Assert.Contains($"group {group} is stuck", note, StringComparison.Ordinal);
            Assert.Contains("no retry left", note, StringComparison.Ordinal);
            Assert.Contains("until they are cleared", note, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(demand.Notes);
        }
    }
}

/// <summary>The table of cases for hypershell/hypershell's Task.current_group + Task.increment_group.</summary>
public static class HyperShellGroupCases
{
    private static HyperShellTaskBatch B(HyperShellTaskState state, long count, int group, string tag = "{}") =>
        new(state, count) { Group = group, Tag = tag };

    public static readonly HyperShellGroupCase[] All =
    [
        new("empty table: no demand", [], 0, [("pending", 0), ("in flight", 0)]),

        new("nothing scheduled yet: the lowest group is active",
            [B(Pending, 3, 5), B(Pending, 2, 2)],
            2, [("active group", 2), ("pending", 2), ("in flight", 0)]),

        new("a group below the latest scheduled one is never served, even with new tasks",
            [B(Succeeded, 10, 1), B(Succeeded, 2, 2), B(Running, 1, 2), B(Pending, 4, 2), B(Pending, 6, 1)],
            5, [("active group", 2), ("pending", 4), ("in flight", 1)]),

        new("current group finished ok: the next higher group is active",
            [B(Pending, 2, 1), B(Succeeded, 5, 3), B(Pending, 7, 4)],
            7, [("active group", 4), ("pending", 7), ("in flight", 0)]),

        new("current group finished with a failure past its retries: stuck, no demand",
            [B(Succeeded, 4, 3), B(Failed, 1, 3), B(Pending, 7, 4)],
            0, [("active group", 3), ("pending", 0), ("in flight", 0), ("failed past retries", 1)], Stuck: true),

        new("the same failure with a retry left: the group stays active for the retry",
            [B(Succeeded, 4, 3), B(Failed, 1, 3), B(Pending, 7, 4)],
            1, [("active group", 3), ("pending", 0), ("in flight", 0), ("retryable", 1)], MaxRetries: 1),

        new("a failure past its retries waits while the group still runs",
            [B(Failed, 2, 3), B(Running, 1, 3), B(Pending, 7, 4)],
            1, [("active group", 3), ("pending", 0), ("in flight", 1)]),

        new("a cancelled task scheduled last decides the start group and is never counted",
            [B(Succeeded, 3, 2), B(Cancelled, 2, 7), B(Pending, 5, 2), B(Cancelled, 1, 6), B(Pending, 3, 7)],
            3, [("active group", 7), ("pending", 3), ("in flight", 0)]),

        new("every group finished: no demand, the server rests at the last group",
            [B(Succeeded, 5, 1), B(Succeeded, 3, 2)],
            0, [("active group", 2), ("pending", 0), ("in flight", 0)]),

        new("the tag filter applies within the active group",
            [B(Succeeded, 2, 1), B(Pending, 2, 2, """{"site": "a"}"""), B(Pending, 3, 2, """{"site": "b"}"""), B(Pending, 4, 3, """{"site": "a"}""")],
            2, [("active group", 2), ("pending", 2), ("in flight", 0)], Tag: "site = a"),
    ];

    public static TheoryData<string> Names => new(All.Select(c => c.Name));

    public static HyperShellGroupCase Get(string name) => All.Single(c => c.Name == name);
}
