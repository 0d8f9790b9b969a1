using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers.Pbs;

/// <summary>PBS Pro and Torque as a <see cref="SchedulerKind"/>: the adapter, the commands `check` looks for, what extra_args may not set.</summary>
internal static class PbsKind
{
    public static SchedulerKind Describe(string name) =>
        new(name, Commands, ExtraArgs, s => new PbsScheduler(name, s.Runner, s.Loggers.CreateLogger<PbsScheduler>(), s.Options), TellsPilotsByRecordedIds: true,
            // Kind torque, or kind pbs told flavor torque, reads Torque's qstat -x; otherwise PBS Pro's JSON.
            Accounting: (o, r, t) => new PbsAccounting(r, o, t.LocalTimeZone, name == SchedulerKinds.Torque.Name || o.Flavor == "torque" ? PbsFlavor.Torque : PbsFlavor.PbsPro));

    private static readonly SchedulerCommand[] Commands = [new("qsub"), new("qstat"), new("qdel")];

    /// <summary>PBS Pro and Torque qsub: getopt short options (glued and grouped values); -W only with depend=.</summary>
    internal static readonly ExtraArgRules ExtraArgs = new(
        "qsub",
        new Dictionary<char, string>
        {
            ['N'] = ExtraArgRules.Name, ['J'] = ExtraArgRules.Array, ['t'] = ExtraArgRules.Array, ['o'] = ExtraArgRules.Output, ['e'] = ExtraArgRules.Error, ['j'] = ExtraArgRules.Output,
            ['V'] = ExtraArgRules.Export, ['v'] = ExtraArgRules.Export, ['z'] = "the submission output Autopilot reads the job id from",
            ['W'] = ExtraArgRules.Dependency,
        },
        "aAcCdDeJjklmMNopPqrSuvWt",
        ownedDependency: value => value.StartsWith("depend", StringComparison.OrdinalIgnoreCase));
}
