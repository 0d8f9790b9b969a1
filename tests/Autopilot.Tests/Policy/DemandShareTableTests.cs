using System.Globalization;
using Autopilot.Policy;
using static Autopilot.Tests.Policy.PolicyDsl;

namespace Autopilot.Tests.Policy;

// Pools in order of preference; pilots in the PolicyDsl notation ("q20!Resources": queued 20 minutes
// for Resources; "?": unknown). Options: max=A,B[,C] (max_pilots, default 10 each), tpp=N (default 1),
// overflow=M minutes (default 10).
public sealed class DemandShareTableTests
{
    [Theory]
    // ----- fill by preference
    [InlineData("the preferred pool takes all it can", 5L, "", "", null, "", "5 0", 0L)]
    [InlineData("beyond the preferred pool's max_pilots goes to the next", 15L, "", "", null, "", "10 5", 0L)]
    [InlineData("capacity is max_pilots times tasks_per_pilot", 50L, "", "", null, "max=2,10 tpp=10", "20 30", 0L)]
    [InlineData("beyond every pool's max_pilots is unserved", 25L, "", "", null, "", "10 10", 5L)]
    [InlineData("zero demand: nothing for anyone", 0L, "q", "r", null, "", "0 0", 0L)]
    // ----- supply of every pool counts against the one demand
    [InlineData("running pilots of the next pool count first", 4L, "", "r r r", null, "", "1 3", 0L)]
    [InlineData("running pilots never take more than the demand", 2L, "r r r", "r", null, "", "2 0", 0L)]
    [InlineData("preferred back: the next keeps only what runs there", 4L, "r r", "r q2", null, "", "3 1", 0L)]
    // ----- overflow
    [InlineData("waiting for Resources past overflow_after: the next pool takes the demand", 4L, "q20!Resources q20!Resources", "", null, "", "2 4", 0L)]
    [InlineData("waiting for Priority past overflow_after overflows too", 4L, "q20!Priority", "", null, "", "1 4", 0L)]
    [InlineData("partition down past overflow_after overflows", 3L, "q20!PartitionDown", "", null, "", "1 3", 0L)]
    [InlineData("waiting less than overflow_after: no overflow yet", 4L, "q5!Resources q5!Resources", "", null, "", "4 0", 0L)]
    [InlineData("overflow_after is the pool's own", 4L, "q5!Resources", "", null, "overflow=3", "1 4", 0L)]
    [InlineData("the pool's own limit (QOS) never overflows", 4L, "q20!QOSMaxJobsPerUserLimit", "", null, "", "4 0", 0L)]
    [InlineData("a start time or a hold never overflows", 4L, "q20!BeginTime h20", "", null, "", "4 0", 0L)]
    [InlineData("an overflowing pool keeps its running share", 6L, "r r q20!Resources", "", null, "", "3 4", 0L)]
    [InlineData("waiting pilots kept only up to the demand not served", 1L, "q20!Resources q20!Resources q20!Resources", "", null, "", "1 1", 0L)]
    [InlineData("the next pool is full: the rest waits at the overflowing pool", 15L, "q20!Resources", "", null, "max=10,5", "10 5", 0L)]
    [InlineData("every pool overflowing: demand waits in order", 12L, "q20!Resources", "q20!PartitionDown", null, "", "10 2", 0L)]
    [InlineData("three pools: first overflows, second fills, third takes the rest", 12L, "q20!Resources", "", "", "max=10,5,10", "1 5 7", 0L)]
    // ----- fail closed
    [InlineData("unknown preferred pool keeps its part: the next does not take it", 4L, "?", "", null, "", "4 0", 0L)]
    [InlineData("unknown next pool: the preferred still fills first", 4L, "", "?", null, "", "4 0", 0L)]
    public void Split(string name, long demand, string first, string second, string? third, string options, string expected, long unserved)
    {
        var opts = options.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(o => o.Split('=')).ToDictionary(o => o[0], o => o[1]);
        var specs = third is null ? new[] { first, second } : [first, second, third];
        var max = opts.TryGetValue("max", out var m) ? m.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray() : specs.Select(_ => 10).ToArray();
        var tpp = opts.TryGetValue("tpp", out var t) ? int.Parse(t, CultureInfo.InvariantCulture) : 1;
        var overflow = TimeSpan.FromMinutes(opts.TryGetValue("overflow", out var o) ? int.Parse(o, CultureInfo.InvariantCulture) : 10);

        // Listed out of order on purpose: the order key decides, not the position.
        var members = specs.Select((spec, i) => new ShareMember($"pool{i + 1}", i + 1, max[i], tpp, overflow, Pilots(spec))).Reverse().ToList();
        var split = DemandShare.Split("g", demand, members, Now);

        var why = string.Join("\n", split.Slices.Select(s => $"{s.Pool}: {s.Tasks} ({s.Why})"));
        Assert.True(expected == string.Join(' ', split.Slices.Select(s => s.Tasks)), $"{name}\n{why}");
        Assert.Equal(unserved, split.Unserved);
        Assert.Equal(Enumerable.Range(1, specs.Length).Select(i => $"pool{i}"), split.Slices.Select(s => s.Pool));
    }

    [Fact]
    public void The_explanation_names_the_split_and_why_this_pool_gets_its_share()
    {
        var members = new[]
        {
            new ShareMember("gpu", 1, 10, 1, TimeSpan.FromMinutes(10), Pilots("q20!PartitionDown")),
            new ShareMember("scavenger", 2, 10, 1, TimeSpan.FromMinutes(10), Pilots("")),
        };
        var split = DemandShare.Split("accel", 3, members, Now);

        var gpu = split.Explain("gpu");
        Assert.Equal("Share group 'accel': demand 3 read once and split by order of preference: gpu (order 1) 1; scavenger (order 2) 3.", gpu[0]);
        Assert.Contains("overflowing: 1 pilot waiting for PartitionDown for up to 20m, longer than overflow_after 10m", gpu[1], StringComparison.Ordinal);
        Assert.True(split.For("gpu").Overflowing);
        Assert.Equal("This pool's share is 3: 3 of the demand not yet served by a preferred pool.", split.Explain("scavenger")[1]);
    }

    [Fact]
    public void Foreign_look_alikes_are_neither_supply_nor_a_reason_to_overflow()
    {
        var foreign = Pilots("r q20!Resources")!.Select(p => p with { Foreign = true }).ToList();
        var split = DemandShare.Split("g", 2, [new ShareMember("a", 1, 10, 1, TimeSpan.FromMinutes(10), foreign), new ShareMember("b", 2, 10, 1, TimeSpan.FromMinutes(10), [])], Now);
        Assert.Equal([2L, 0L], split.Slices.Select(s => s.Tasks));
        Assert.False(split.For("a").Overflowing);
    }
}
