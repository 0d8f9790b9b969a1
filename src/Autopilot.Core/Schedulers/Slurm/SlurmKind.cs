using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers.Slurm;

/// <summary>Slurm as a <see cref="SchedulerKind"/>: the adapter, the commands `check` looks for, what extra_args may not set.</summary>
internal static class SlurmKind
{
    public static SchedulerKind Describe(string name) =>
        new(name, Commands, ExtraArgs, s => new SlurmScheduler(s.Runner, s.Loggers.CreateLogger<SlurmScheduler>(), s.Time, s.Options, marker: PilotMarker.For(s.StateDir)),
            Accounting: (o, r, t) => new SlurmAccounting(r, o, t.LocalTimeZone));

    private static readonly SchedulerCommand[] Commands =
    [
        new("sbatch"), new("squeue"), new("scancel"),
        new("sacct", "pilot outcomes cannot be read, so the crash-loop detector is blind"),
        new("scontrol", "a jobcomp/filetxt completion log is read through `sacct -c` instead of directly (array ids are lost)"),
    ];

    /// <summary>sbatch: getopt_long, so short options glue and group, long ones abbreviate.</summary>
    internal static readonly ExtraArgRules ExtraArgs = new(
        "sbatch",
        new Dictionary<char, string>
        {
            ['J'] = ExtraArgRules.Name, ['a'] = ExtraArgRules.Array, ['o'] = ExtraArgRules.Output, ['e'] = ExtraArgRules.Error, ['d'] = ExtraArgRules.Dependency,
            ['M'] = "the cluster (pilots on another cluster are missing from the listing and submitted again and again)",
        },
        // sbatch's short options that take a value: the rest of a group after one of them is that value.
        "aAbBcCdDeFGiJLmMnNopqStwx",
        new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["job-name"] = ExtraArgRules.Name, ["array"] = ExtraArgRules.Array, ["output"] = ExtraArgRules.Output, ["error"] = ExtraArgRules.Error,
            ["open-mode"] = "how the pilot log is opened (append: an archived log of a reused job id is never emptied)",
            ["dependency"] = ExtraArgRules.Dependency, ["export"] = ExtraArgRules.Export, ["export-file"] = ExtraArgRules.Export, ["get-user-env"] = ExtraArgRules.Export,
            ["comment"] = ExtraArgRules.Marker, ["parsable"] = "the submission output Autopilot reads the job id from",
            ["wrap"] = "the script (Autopilot submits the rendered pilot template)",
            ["clusters"] = "the cluster (pilots on another cluster are missing from the listing and submitted again and again)",
        });
}
