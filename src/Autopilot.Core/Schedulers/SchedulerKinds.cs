using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;
using Microsoft.Extensions.Logging;

namespace Autopilot.Schedulers;

/// <summary>
/// Every scheduler kind Autopilot offers, and the only place their names are written: the binder
/// (scheduler.kind), <see cref="SchedulerFactory"/>, `check` and the engine read them from here.
/// Adding a scheduler is a folder with its adapter and its <c>XxxKind.Describe</c>, and one line here.
/// </summary>
public static class SchedulerKinds
{
    public static readonly SchedulerKind Slurm = Schedulers.Slurm.SlurmKind.Describe("slurm");
    public static readonly SchedulerKind Pbs = Schedulers.Pbs.PbsKind.Describe("pbs");
    public static readonly SchedulerKind Torque = Schedulers.Pbs.PbsKind.Describe("torque");
    public static readonly SchedulerKind Lsf = Schedulers.Lsf.LsfKind.Describe("lsf");
    public static readonly SchedulerKind GridEngine = Schedulers.GridEngine.GridEngineKind.Describe("sge");
    public static readonly SchedulerKind Local = Schedulers.Local.LocalKind.Describe("local");

    /// <summary>In the order error messages and `check` list them.</summary>
    public static readonly IReadOnlyList<SchedulerKind> All = [Slurm, Pbs, Torque, Lsf, GridEngine, Local];

    public static readonly IReadOnlyList<string> Names = All.Select(k => k.Name).ToArray();

    /// <summary>The kind of that name, or null for one Autopilot does not know.</summary>
    public static SchedulerKind? Find(string name) => All.FirstOrDefault(k => k.Name == name);
}

/// <summary>One scheduler kind: what the rest of Autopilot needs to know to offer it.</summary>
/// <param name="Name">As written in the configuration (<c>scheduler.kind</c>).</param>
/// <param name="Commands">The commands its adapter runs, for `check` to look up.</param>
/// <param name="ExtraArgs">What its extra_args may not set; null when it passes none.</param>
/// <param name="Create">Its adapter for one pool.</param>
/// <param name="TellsPilotsByRecordedIds">Its pilots are told from look-alikes by the job ids recorded at submission (Engine/RecordedIds), as it lists no mark of ours.</param>
/// <param name="Accounting">Its accounting reader (finished pilots' times and sizes); null for a kind without one here.</param>
public sealed record SchedulerKind(
    string Name,
    IReadOnlyList<SchedulerCommand> Commands,
    ExtraArgRules? ExtraArgs,
    Func<SchedulerSetup, IScheduler> Create,
    bool TellsPilotsByRecordedIds = false,
    Func<SchedulerOptions, IProcessRunner, TimeProvider, IJobAccounting>? Accounting = null);

/// <summary>What a kind's factory gets to build the adapter of one pool.</summary>
/// <param name="StateDir">The state directory (the local scheduler keeps pid files and Slurm/Grid Engine derive their pilot mark from it).</param>
public sealed record SchedulerSetup(SchedulerOptions Options, IProcessRunner Runner, string StateDir, ILoggerFactory Loggers, TimeProvider Time);

/// <summary>A command a scheduler adapter runs; <paramref name="WithoutIt"/> (null: required) says what is lost when it is missing.</summary>
public sealed record SchedulerCommand(string Name, string? WithoutIt = null);
