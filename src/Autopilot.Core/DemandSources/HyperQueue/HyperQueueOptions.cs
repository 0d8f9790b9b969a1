using Autopilot.Configuration;

namespace Autopilot.DemandSources.HyperQueue;

/// <summary>[pool.demand] kind = "hyperqueue": a HyperQueue server, read with its hq command.</summary>
public sealed record HyperQueueOptions : DemandOptions
{
    public override string Kind => DemandKinds.HyperQueue.Name;

    public string? ServerDir { get; init; }
    public string Hq { get; init; } = "hq";

    internal static HyperQueueOptions Bind(SectionReader r, bool chosen)
    {
        var d = new HyperQueueOptions();
        return new HyperQueueOptions
        {
            Timeout = BindTimeout(r, d),
            ServerDir = r.OptionalPath("server_dir"),
            Hq = r.String("hq", d.Hq),
        };
    }
}
