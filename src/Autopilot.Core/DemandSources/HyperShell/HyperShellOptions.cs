using System.Text.RegularExpressions;
using Autopilot.Configuration;

namespace Autopilot.DemandSources.HyperShell;

/// <summary>[pool.demand] kind = "hypershell": a HyperShell task database, SQLite or PostgreSQL.</summary>
public sealed partial record HyperShellOptions : DatabaseDemandOptions
{
    public override string Kind => DemandKinds.HyperShell.Name;

    /// <summary>Tag filter: "key" or "key = value".</summary>
    public string? Tag { get; init; }

    /// <summary>Count failed tasks that will be retried (the server's max_retries, 0: off).</summary>
    public int MaxRetries { get; init; }

    internal static HyperShellOptions Bind(SectionReader r, bool chosen)
    {
        var d = new HyperShellOptions();
        var options = BindDatabase(r, d) with
        {
            Tag = r.OptionalString("tag"),
            MaxRetries = r.Int("max_retries", d.MaxRetries, min: 0),
        };
        if (options.Tag is not null && !TagFilter().IsMatch(options.Tag))
        {
            r.Error("tag", $"bad tag filter '{options.Tag}' (write \"key\" or \"key = value\")");
        }

        return options;
    }

    [GeneratedRegex(@"^\s*[^=\s][^=]*?\s*(=\s*.*)?$")]
    private static partial Regex TagFilter();
}
