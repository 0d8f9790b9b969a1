using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers.GridEngine;

/// <summary>Grid Engine as a <see cref="SchedulerKind"/>: the adapter, the commands `check` looks for, what extra_args may not set.</summary>
internal static class GridEngineKind
{
    public static SchedulerKind Describe(string name) =>
        new(name, Commands, ExtraArgs, s => new GridEngineScheduler(s.Runner, s.Options, s.Loggers.CreateLogger<GridEngineScheduler>(), s.Time, PilotMarker.For(s.StateDir)),
            Accounting: (o, r, t) => new GridEngineJobAccounting(r, o, t.LocalTimeZone));

    private static readonly SchedulerCommand[] Commands =
    [
        new("qsub"), new("qstat"), new("qdel"),
        new("qacct", "pilot outcomes cannot be read, so the crash-loop detector is blind"),
    ];

    /// <summary>Grid Engine qsub: single-dash words, each with a separate value; no abbreviations.</summary>
    internal static readonly ExtraArgRules ExtraArgs = new(
        "qsub",
        words: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["-N"] = ExtraArgRules.Name, ["-t"] = ExtraArgRules.Array, ["-o"] = ExtraArgRules.Output, ["-e"] = ExtraArgRules.Error, ["-j"] = ExtraArgRules.Output,
            ["-V"] = ExtraArgRules.Export, ["-v"] = ExtraArgRules.Export, ["-hold_jid"] = ExtraArgRules.Dependency, ["-hold_jid_ad"] = ExtraArgRules.Dependency,
            ["-ac"] = ExtraArgRules.Marker, ["-sc"] = ExtraArgRules.Marker, ["-dc"] = ExtraArgRules.Marker,
            ["-terse"] = "the submission output Autopilot reads the job id from",
            ["-@"] = "options read from a file (which could set any of these)",
            ["-clear"] = "every option Autopilot set before it",
        });
}
