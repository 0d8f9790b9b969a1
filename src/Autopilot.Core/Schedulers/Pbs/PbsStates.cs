using Autopilot.Domain;

namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// PBS Pro/OpenPBS (qstat.1B) and Torque (qstat.1) job states reduced to <see cref="PilotState"/>.
/// The table is repeated in docs/schedulers.md.
/// </summary>
public static class PbsStates
{
    /// <summary>Maps a state letter; the comment refines why a queued job waits.</summary>
    public static (PilotState State, PendingKind Kind, string? Reason) Map(string state, PbsFlavor flavor, string? comment = null)
    {
        var s = state.Trim();
        return s switch
        {
            "Q" => (PilotState.Queued, ClassifyComment(comment), PendingComment(comment)),
            // T: being moved to another location; it is still waiting.
            "T" => (PilotState.Queued, PendingKind.Other, PendingComment(comment) ?? "transiting"),
            // W: waiting for its requested execution time (-a) or a stage-in.
            "W" => (PilotState.Queued, PendingKind.BeginTime, PendingComment(comment) ?? "waiting for its execution time"),
            "H" => (PilotState.Held, PendingKind.Held, PendingComment(comment) ?? "held"),
            "R" => (PilotState.Running, PendingKind.None, null),
            // B: an array with at least one subjob begun; the subjobs are the pilots.
            "B" => (PilotState.Running, PendingKind.None, null),
            // S/U: suspended (preemption by suspension, or a cycle-harvesting host in use): it keeps its
            // place and resumes without help, so it still counts as supply.
            "S" or "U" => (PilotState.Running, PendingKind.None, s == "S" ? "suspended" : "suspended (workstation busy)"),
            "E" => (PilotState.Completing, PendingKind.None, null),
            "F" or "X" => (PilotState.Finished, PendingKind.None, null),
            "C" => (PilotState.Finished, PendingKind.None, null),
            // M: moved to another server; this server no longer runs it.
            "M" => (PilotState.Unknown, PendingKind.None, "moved to another server"),
            _ => (PilotState.Unknown, PendingKind.None, $"unknown PBS state '{s}'"),
        };
    }

    private static string? PendingComment(string? comment) => string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();

    /// <summary>Reads the scheduler's comment on a queued job ("Not Running: ...", "Can Never Run: ...").</summary>
    public static PendingKind ClassifyComment(string? comment)
    {
        if (string.IsNullOrWhiteSpace(comment))
        {
            return PendingKind.Resources;
        }

        var c = comment;
        if (c.Contains("can never run", StringComparison.OrdinalIgnoreCase))
        {
            return PendingKind.Error;
        }

        if (c.Contains("limit", StringComparison.OrdinalIgnoreCase) || c.Contains("max_run", StringComparison.OrdinalIgnoreCase) || c.Contains("max_queued", StringComparison.OrdinalIgnoreCase))
        {
            return PendingKind.Limit;
        }

        if (c.Contains("queue not started", StringComparison.OrdinalIgnoreCase) || c.Contains("not enabled", StringComparison.OrdinalIgnoreCase)
            || c.Contains("dedicated time", StringComparison.OrdinalIgnoreCase) || c.Contains("prime time", StringComparison.OrdinalIgnoreCase)
            || c.Contains("ineligible state", StringComparison.OrdinalIgnoreCase) || c.Contains("offline", StringComparison.OrdinalIgnoreCase)
            || (c.Contains("reservation", StringComparison.OrdinalIgnoreCase) && c.Contains("maintenance", StringComparison.OrdinalIgnoreCase))
            || c.Contains("scheduling is off", StringComparison.OrdinalIgnoreCase) || c.Contains("server not started", StringComparison.OrdinalIgnoreCase))
        {
            return PendingKind.Unavailable;
        }

        if (c.Contains("hold", StringComparison.OrdinalIgnoreCase))
        {
            return PendingKind.Held;
        }

        if (c.Contains("depend", StringComparison.OrdinalIgnoreCase))
        {
            return PendingKind.BeginTime;
        }

        return PendingKind.Resources;
    }

    /// <summary>
    /// How a finished job ended from its exit status. PBS: 0 ok; -29 JOB_EXEC_KILL_WALLTIME; 256+15 (271)
    /// is the SIGTERM of qdel and 256+9 (265) its SIGKILL follow-up; -20/-32 and the MoM start-up codes are
    /// node trouble. Torque: -11 JOB_EXEC_OVERLIMIT_WT is walltime.
    /// </summary>
    public static PilotEnd EndFromExit(int? exit, PbsFlavor flavor, bool started)
    {
        if (exit is null)
        {
            // Deleted while queued: history keeps it without an exit status.
            return started ? PilotEnd.Unknown : PilotEnd.Cancelled;
        }

        return (exit.Value, flavor) switch
        {
            (0, _) => PilotEnd.Completed,
            (-29, PbsFlavor.PbsPro) => PilotEnd.Walltime,
            (-11, PbsFlavor.Torque) => PilotEnd.Walltime,
            (271 or 265, _) => PilotEnd.Cancelled,
            (-20 or -32 or -3 or -4 or -5 or -6, PbsFlavor.PbsPro) => PilotEnd.NodeFailure,
            (-3 or -4 or -5 or -6, PbsFlavor.Torque) => PilotEnd.NodeFailure,
            _ => PilotEnd.Failed,
        };
    }
}
