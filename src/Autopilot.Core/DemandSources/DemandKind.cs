using Autopilot.Configuration;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources;

/// <summary>What a demand source needs from the process: runs commands, logs, reads the clock.</summary>
public sealed record DemandServices(IProcessRunner Runner, ILoggerFactory Loggers, TimeProvider Time);

/// <summary>
/// One demand kind: its name in [pool.demand] kind, how its options are bound and checked, and its
/// factory. Every kind is listed once, in <see cref="DemandKinds"/>.
/// </summary>
public sealed class DemandKind
{
    private readonly Func<SectionReader, bool, DemandOptions> _bind;
    private readonly Func<DemandOptions, DemandServices, IDemandSource> _create;

    internal DemandKind(string name, Func<SectionReader, bool, DemandOptions> bind, Func<DemandOptions, DemandServices, IDemandSource> create)
    {
        Name = name;
        _bind = bind;
        _create = create;
    }

    public string Name { get; }

    /// <summary>How much longer than the source's own timeout <c>check --connect</c> waits for an answer.</summary>
    public static readonly TimeSpan ProbeGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads the kind's keys of one [pool.demand] table; errors name file, line and key. Keys the kind
    /// needs are required only when <paramref name="chosen"/> (the table's kind is this one).
    /// </summary>
    internal DemandOptions Bind(SectionReader section, bool chosen) => _bind(section, chosen);

    public IDemandSource Create(DemandOptions options, DemandServices services) => _create(options, services);

    /// <summary>
    /// What <c>check --connect</c> probes: one measurement, as a tick makes it, bounded by the
    /// source's timeout plus <see cref="ProbeGrace"/>.
    /// </summary>
    public static async Task<Domain.Demand> ProbeAsync(IDemandSource source, DemandOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout + ProbeGrace);
        return await source.MeasureAsync(1, timeout.Token).ConfigureAwait(false);
    }

    public override string ToString() => Name;
}
