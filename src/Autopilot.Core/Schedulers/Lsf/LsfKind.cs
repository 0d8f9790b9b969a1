using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers.Lsf;

/// <summary>LSF as a <see cref="SchedulerKind"/>: the adapter, the commands `check` looks for, what extra_args may not set.</summary>
internal static class LsfKind
{
    public static SchedulerKind Describe(string name) =>
        new(name, Commands, ExtraArgs, s => new LsfScheduler(s.Runner, s.Time, s.Loggers.CreateLogger<LsfScheduler>(), s.Options), TellsPilotsByRecordedIds: true);

    private static readonly SchedulerCommand[] Commands = [new("bsub"), new("bjobs"), new("bkill")];

    /// <summary>LSF bsub: single-dash words, each with a separate value.</summary>
    internal static readonly ExtraArgRules ExtraArgs = new(
        "bsub",
        words: new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["-J"] = ExtraArgRules.Name + " and the job array", ["-o"] = ExtraArgRules.Output, ["-oo"] = ExtraArgRules.Output, ["-e"] = ExtraArgRules.Error, ["-eo"] = ExtraArgRules.Error,
            ["-env"] = ExtraArgRules.Export, ["-w"] = ExtraArgRules.Dependency, ["-Jd"] = ExtraArgRules.Marker,
            ["-pack"] = "the submission itself (a pack file submits other jobs)",
        });
}
