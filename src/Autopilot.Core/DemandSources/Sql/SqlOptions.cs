using Autopilot.Configuration;

namespace Autopilot.DemandSources.Sql;

/// <summary>[pool.demand] kind = "sql": one query returning one number, on SQLite or PostgreSQL.</summary>
public sealed record SqlOptions : DatabaseDemandOptions
{
    public override string Kind => DemandKinds.Sql.Name;

    public string? Query { get; init; }

    /// <summary>Below this many tasks the pool scales to zero (KEDA's activation threshold).</summary>
    public long ActivationThreshold { get; init; }

    internal static SqlOptions Bind(SectionReader r, bool chosen)
    {
        var d = new SqlOptions();
        var options = BindDatabase(r, d) with
        {
            Query = r.OptionalString("query"),
            ActivationThreshold = r.Long("activation_threshold", d.ActivationThreshold, min: 0),
        };
        if (chosen && options.Query is null)
        {
            r.Error("query", "the sql demand source needs a query returning one number");
        }

        return options;
    }
}
