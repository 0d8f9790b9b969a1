using Microsoft.Extensions.Logging;
using Autopilot.DemandSources.Command;
using Autopilot.DemandSources.HyperQueue;
using Autopilot.DemandSources.HyperShell;
using Autopilot.DemandSources.PiCaS;
using Autopilot.DemandSources.Sql;

namespace Autopilot.DemandSources;

/// <summary>
/// The demand kinds: the one place a kind is named. Adding a source = its folder plus one line here
/// (docs/architecture.md, "Adding a demand source").
/// </summary>
public static class DemandKinds
{
    public static readonly DemandKind HyperShell = new("hypershell", HyperShellOptions.Bind,
        (o, s) => new HyperShellDemandSource((HyperShellOptions)o, s.Loggers.CreateLogger<HyperShellDemandSource>(), s.Time));

    public static readonly DemandKind PiCaS = new("picas", PiCaSOptions.Bind,
        (o, s) => new PiCaSDemandSource((PiCaSOptions)o, s.Loggers.CreateLogger<PiCaSDemandSource>(), s.Time));

    public static readonly DemandKind HyperQueue = new("hyperqueue", HyperQueueOptions.Bind,
        (o, s) => new HyperQueueDemandSource((HyperQueueOptions)o, s.Runner, s.Loggers.CreateLogger<HyperQueueDemandSource>()));

    public static readonly DemandKind Sql = new("sql", SqlOptions.Bind,
        (o, s) => new SqlDemandSource((SqlOptions)o, s.Loggers.CreateLogger<SqlDemandSource>(), s.Time));

    public static readonly DemandKind Command = new("command", CommandOptions.Bind,
        (o, s) => new CommandDemandSource((CommandOptions)o, s.Runner, s.Loggers.CreateLogger<CommandDemandSource>()));

    public static readonly IReadOnlyList<DemandKind> All = [HyperShell, PiCaS, HyperQueue, Sql, Command];

    /// <summary>The kind of a [pool.demand] table without a kind key.</summary>
    public static DemandKind Default => HyperShell;

    public static IReadOnlyList<string> Names { get; } = All.Select(k => k.Name).ToList();

    public static DemandKind Of(DemandOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Find(options.Kind) ?? throw new ArgumentException($"unknown demand kind '{options.Kind}' (expected one of: {string.Join(", ", Names)})", nameof(options));
    }

    public static DemandKind? Find(string name) => All.FirstOrDefault(k => k.Name == name);
}
