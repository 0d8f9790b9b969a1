using Autopilot.Domain;
using Autopilot.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Torque;

/// <summary>Torque lists an array's subjobs as &lt;name&gt;-&lt;index&gt;; they are still the pool's pilots.</summary>
public sealed class TorqueArrayNameTests
{
    private static readonly PbsJob[] Listing =
    [
        new("7[1].head", "autopilot-main-1", "R"),
        new("7[2].head", "autopilot-main-2", "Q"),
        new("8.head", "autopilot-main", "Q"),
        new("9[3].head", "autopilot-main-4", "Q"),       // suffix is not its index: not ours
        new("10[1].head", "autopilot-mainx-1", "Q"),     // another pool's name
    ];

    [Fact]
    public void Torque_subjobs_named_with_their_index_belong_to_the_requested_name()
    {
        var pilots = PbsParsers.ToPilots(Listing, ["autopilot-main"], PbsFlavor.Torque);

        Assert.Equal(["7[1].head", "7[2].head", "8.head"], pilots.Select(p => p.Id));
        Assert.All(pilots, p => Assert.Equal("autopilot-main", p.Name));
        Assert.Equal([PilotState.Running, PilotState.Queued, PilotState.Queued], pilots.Select(p => p.State));
    }

    [Fact]
    public void PBS_Pro_keeps_the_name_as_it_is()
    {
        var pilots = PbsParsers.ToPilots(Listing, ["autopilot-main"], PbsFlavor.PbsPro);

        Assert.Equal("8.head", Assert.Single(pilots).Id);
    }
}
