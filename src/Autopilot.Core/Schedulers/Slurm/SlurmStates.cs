using Autopilot.Domain;

namespace Autopilot.Schedulers.Slurm;

/// <summary>Slurm job states and pending reasons reduced to what the policy needs. Pure.</summary>
public static class SlurmStates
{
    // Compact codes (%t, the ST column) to the long names (%T), from squeue(1) "JOB STATE CODES".
    private static readonly Dictionary<string, string> Compact = new(StringComparer.Ordinal)
    {
        ["BF"] = "BOOT_FAIL", ["CA"] = "CANCELLED", ["CD"] = "COMPLETED", ["CF"] = "CONFIGURING",
        ["CG"] = "COMPLETING", ["DL"] = "DEADLINE", ["F"] = "FAILED", ["NF"] = "NODE_FAIL",
        ["OOM"] = "OUT_OF_MEMORY", ["PD"] = "PENDING", ["PR"] = "PREEMPTED", ["R"] = "RUNNING",
        ["RD"] = "RESV_DEL_HOLD", ["RF"] = "REQUEUE_FED", ["RH"] = "REQUEUE_HOLD", ["RQ"] = "REQUEUED",
        ["RS"] = "RESIZING", ["RV"] = "REVOKED", ["SI"] = "SIGNALING", ["SE"] = "SPECIAL_EXIT",
        ["SO"] = "STAGE_OUT", ["ST"] = "STOPPED", ["S"] = "SUSPENDED", ["TO"] = "TIMEOUT",
    };

    private static readonly Dictionary<string, PilotState> Long = new(StringComparer.Ordinal)
    {
        ["PENDING"] = PilotState.Queued,
        ["REQUEUED"] = PilotState.Queued,
        ["REQUEUE_FED"] = PilotState.Queued,
        // Held states never start on their own: the policy must neither count them as supply nor resubmit for them.
        ["REQUEUE_HOLD"] = PilotState.Held,
        ["SPECIAL_EXIT"] = PilotState.Held,
        ["RESV_DEL_HOLD"] = PilotState.Held,
        ["RUNNING"] = PilotState.Running,
        // An allocation exists (nodes booting, job suspended/stopped, resizing): it is supply, and
        // cancelling it would be cancelling a started pilot, which the policy never does.
        ["CONFIGURING"] = PilotState.Running,
        ["SUSPENDED"] = PilotState.Running,
        ["STOPPED"] = PilotState.Running,
        ["SIGNALING"] = PilotState.Running,
        ["RESIZING"] = PilotState.Running,
        ["COMPLETING"] = PilotState.Completing,
        ["STAGE_OUT"] = PilotState.Completing,
        ["COMPLETED"] = PilotState.Finished,
        ["FAILED"] = PilotState.Finished,
        ["CANCELLED"] = PilotState.Finished,
        ["TIMEOUT"] = PilotState.Finished,
        ["NODE_FAIL"] = PilotState.Finished,
        ["PREEMPTED"] = PilotState.Finished,
        ["OUT_OF_MEMORY"] = PilotState.Finished,
        ["BOOT_FAIL"] = PilotState.Finished,
        ["DEADLINE"] = PilotState.Finished,
        ["REVOKED"] = PilotState.Finished,
    };

    /// <summary>The long state name for a compact code or a long name; other text is returned trimmed.</summary>
    public static string Normalize(string raw)
    {
        var s = raw.Trim();
        // sacct prints "CANCELLED by 1001"; squeue never does, but one mapper serves both.
        var space = s.IndexOf(' ');
        if (space > 0)
        {
            s = s[..space];
        }

        return Compact.TryGetValue(s, out var longName) ? longName : s;
    }

    /// <summary>Maps a squeue state (long or compact) and its reason to a pilot state.</summary>
    public static PilotState Map(string rawState, string? reason)
    {
        var name = Normalize(rawState);
        if (!Long.TryGetValue(name, out var state))
        {
            return PilotState.Unknown;
        }

        if (state == PilotState.Queued && ClassifyReason(reason) == PendingKind.Held)
        {
            return PilotState.Held;
        }

        return state;
    }

    /// <summary>
    /// Classifies a pending reason (%r) into what more pilots could or could not change. The first
    /// token decides: "ReqNodeNotAvail, UnavailableNodes:n1" and "JobHeldUser,None" are read by their head.
    /// </summary>
    public static PendingKind ClassifyReason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return PendingKind.Resources;
        }

        var head = Head(reason);
        switch (head)
        {
            case "" or "None" or "Resources" or "Priority" or "Prolog" or "Licenses" or "Cleaning"
                or "BurstBufferResources" or "BurstBufferStageIn" or "NodeSuspended" or "PowerUpNode" or "Nodes":
                // "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions": an ordinary wait.
                return PendingKind.Resources;
            case "BeginTime" or "Dependency":
                return PendingKind.BeginTime;
            case "JobHeldUser" or "JobHeldAdmin" or "held":
                return PendingKind.Held;
            case "PartitionDown" or "PartitionInactive" or "NodeDown" or "FrontEndDown" or "Reservation"
                or "ReservationDeleted" or "ReqNodeNotAvail" or "Maintenance":
                return PendingKind.Unavailable;
            case "PartitionNodeLimit" or "PartitionTimeLimit" or "AccountingPolicy":
                return PendingKind.Limit;
            case "DependencyNeverSatisfied" or "InvalidAccount" or "InvalidQOS" or "BadConstraints"
                or "JobLaunchFailure" or "SystemFailure" or "launch_failed_requeued_held":
                return PendingKind.Error;
        }

        // QOS*Limit, QOSGrp*, QOSMax*, AssocGrp*, AssocMax*, Association*Limit, MaxJobsPerAccount, MaxSubmitJobsPerUser...
        if (head.StartsWith("QOS", StringComparison.Ordinal)
            || head.StartsWith("Assoc", StringComparison.Ordinal)
            || head.StartsWith("MaxJobs", StringComparison.Ordinal)
            || head.StartsWith("MaxSubmit", StringComparison.Ordinal)
            || head.EndsWith("PerUserLimit", StringComparison.Ordinal)
            || head.EndsWith("PerAccountLimit", StringComparison.Ordinal))
        {
            return PendingKind.Limit;
        }

        return PendingKind.Other;
    }

    private static string Head(string reason)
    {
        var s = reason.AsSpan().Trim();
        if (s.Length >= 2 && s[0] == '(' && s[^1] == ')')
        {
            s = s[1..^1].Trim();
        }

        var end = s.IndexOfAny(",( \t:");
        return (end >= 0 ? s[..end] : s).ToString();
    }

    /// <summary>How a finished job ended, from its sacct/squeue state and exit code.</summary>
    public static PilotEnd MapEnd(string rawState) =>
        Normalize(rawState) switch
        {
            "COMPLETED" => PilotEnd.Completed,
            "FAILED" or "OUT_OF_MEMORY" or "BOOT_FAIL" => PilotEnd.Failed,
            "TIMEOUT" or "DEADLINE" => PilotEnd.Walltime,
            "PREEMPTED" => PilotEnd.Preempted,
            "NODE_FAIL" => PilotEnd.NodeFailure,
            "CANCELLED" => PilotEnd.Cancelled,
            _ => PilotEnd.Unknown,
        };

    /// <summary>True for states a job reaches only after it ended (so an accounting row is an outcome).</summary>
    public static bool IsEnded(string rawState) =>
        Long.TryGetValue(Normalize(rawState), out var s) && s == PilotState.Finished;
}
