using Autopilot.Domain;

namespace Autopilot.Schedulers.Lsf;

/// <summary>LSF job states (IBM "About job states") reduced to <see cref="PilotState"/>; table in docs/schedulers.md.</summary>
public static class LsfStates
{
    public static (PilotState State, PendingKind Kind, string? Reason) Map(string stat, string? pendReason = null)
    {
        var reason = string.IsNullOrWhiteSpace(pendReason) ? null : pendReason.Trim().TrimEnd(';').Trim();
        return stat.Trim() switch
        {
            "PEND" => (PilotState.Queued, ClassifyPendReason(reason), reason),
            // WAIT: a chunk-job member waiting for its chunk to start.
            "WAIT" => (PilotState.Queued, PendingKind.Resources, reason ?? "waiting in a job chunk"),
            "PSUSP" => (PilotState.Held, PendingKind.Held, reason ?? "suspended while pending (bstop)"),
            "RUN" => (PilotState.Running, PendingKind.None, null),
            // SSUSP: the system suspended it (load, preemption, run window) and resumes it itself.
            "SSUSP" => (PilotState.Running, PendingKind.None, "suspended by the system"),
            // USUSP: a user or admin stopped it; it resumes only by hand.
            "USUSP" => (PilotState.Held, PendingKind.Held, "suspended by user or administrator"),
            "DONE" or "EXIT" => (PilotState.Finished, PendingKind.None, null),
            // UNKWN: mbatchd lost contact with the host's sbatchd; ZOMBI: killed/requeued while its host was unreachable.
            "UNKWN" => (PilotState.Unknown, PendingKind.None, "host unreachable (UNKWN)"),
            "ZOMBI" => (PilotState.Unknown, PendingKind.None, "zombie: killed while its host was unreachable"),
            var other => (PilotState.Unknown, PendingKind.None, $"unknown LSF state '{other}'"),
        };
    }

    public static PendingKind ClassifyPendReason(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return PendingKind.Resources;
        }

        var r = reason.ToLowerInvariant();
        if (r.Contains("limit", StringComparison.Ordinal))
        {
            return PendingKind.Limit;
        }

        if (r.Contains("inactivated", StringComparison.Ordinal) || r.Contains("queue is closed", StringComparison.Ordinal)
            || r.Contains("window", StringComparison.Ordinal) || r.Contains("closed by", StringComparison.Ordinal)
            || r.Contains("unavailable", StringComparison.Ordinal) || r.Contains("unreachable", StringComparison.Ordinal))
        {
            return PendingKind.Unavailable;
        }

        if (r.Contains("suspended", StringComparison.Ordinal) || r.Contains("held", StringComparison.Ordinal) || r.Contains("bstop", StringComparison.Ordinal))
        {
            return PendingKind.Held;
        }

        if (r.Contains("dependency", StringComparison.Ordinal) || r.Contains("begin time", StringComparison.Ordinal) || r.Contains("start time", StringComparison.Ordinal))
        {
            return PendingKind.BeginTime;
        }

        return PendingKind.Resources;
    }

    /// <summary>
    /// How a DONE/EXIT job ended. exit_reason starts with LSF's TERM_* code: RUNLIMIT is walltime;
    /// OWNER/ADMIN (and FORCE_*) are a bkill; PREEMPT is preemption; ZOMBIE/ORPHAN_SYSTEM/HOST are node trouble.
    /// </summary>
    public static PilotEnd End(string stat, int? exitCode, string? exitReason)
    {
        if (stat == "DONE")
        {
            return PilotEnd.Completed;
        }

        var r = (exitReason ?? "").Trim().ToUpperInvariant();
        if (r.StartsWith("TERM_RUNLIMIT", StringComparison.Ordinal))
        {
            return PilotEnd.Walltime;
        }

        if (r.StartsWith("TERM_OWNER", StringComparison.Ordinal) || r.StartsWith("TERM_ADMIN", StringComparison.Ordinal)
            || r.StartsWith("TERM_FORCE_OWNER", StringComparison.Ordinal) || r.StartsWith("TERM_FORCE_ADMIN", StringComparison.Ordinal)
            || r.StartsWith("TERM_REQUEUE_OWNER", StringComparison.Ordinal) || r.StartsWith("TERM_REQUEUE_ADMIN", StringComparison.Ordinal))
        {
            return PilotEnd.Cancelled;
        }

        if (r.StartsWith("TERM_PREEMPT", StringComparison.Ordinal))
        {
            return PilotEnd.Preempted;
        }

        if (r.StartsWith("TERM_ZOMBIE", StringComparison.Ordinal) || r.StartsWith("TERM_ORPHAN_SYSTEM", StringComparison.Ordinal)
            || r.StartsWith("TERM_HOST", StringComparison.Ordinal) || r.StartsWith("TERM_REMOVE_HUNG_JOB", StringComparison.Ordinal))
        {
            return PilotEnd.NodeFailure;
        }

        return exitCode is null && r.Length == 0 ? PilotEnd.Unknown : PilotEnd.Failed;
    }
}
