using Autopilot.Configuration;
using Autopilot.Domain;

namespace Autopilot.Policy;

/// <summary>What one finished pilot means for the crash-loop detector.</summary>
public enum OutcomeVerdict
{
    /// <summary>A failing end (FAILED, a non-zero exit, or a node failure within min_pilot_runtime): counts toward the pause.</summary>
    Failure,
    /// <summary>Completed with exit 0 (or no exit code), whatever its runtime: resets the count.</summary>
    Success,
    /// <summary>Walltime, preemption, a later node failure, cancellation, unknown: neither counts nor resets.</summary>
    Neutral,
}

/// <summary>
/// Crash-loop detection: pilots that fail N times in a row pause the pool's submissions until an
/// operator resumes it, instead of a broken pilot being resubmitted every tick. A pilot that
/// completes with exit 0 is healthy however short it ran: a pool of short bursts has pilots that
/// take the few tasks there are and leave by their idle timeout within seconds. Ends the pilot
/// did not cause (walltime, preemption, a node failure after min_pilot_runtime, cancellation by
/// anyone) are neutral: they neither count nor reset, so a preemption storm between two crashes
/// neither hides nor triggers a loop.
/// </summary>
public static class CrashLoop
{
    public static OutcomeVerdict Classify(PilotOutcome outcome, PolicyOptions policy)
    {
        switch (outcome.End)
        {
            case PilotEnd.Failed:
                return OutcomeVerdict.Failure;
            case PilotEnd.Completed:
                // Some schedulers report COMPLETED for any exit; the exit code is the pilot's own verdict.
                return outcome.ExitCode is { } code && code != 0 ? OutcomeVerdict.Failure : OutcomeVerdict.Success;
            case PilotEnd.NodeFailure:
                // A node that fails as soon as the pilot starts on it, again and again, is what the
                // pilot does to it (memory, a bad path on every node): only a short run counts.
                return outcome.StartTime is { } start && outcome.EndTime is { } end && end - start < policy.MinPilotRuntime
                    ? OutcomeVerdict.Failure
                    : OutcomeVerdict.Neutral;
            default:
                return OutcomeVerdict.Neutral;
        }
    }

    /// <summary>
    /// The memory after <paramref name="newOutcomes"/> (pilots that ended since the last tick; the
    /// caller must not feed the same pilot twice). Outcomes are taken in end-time order. When the
    /// count reaches <see cref="PolicyOptions.CrashLoopThreshold"/> (0: never) the memory carries a
    /// <see cref="PoolMemory.CrashLoopReason"/>, which stays until resume clears it even if a later
    /// pilot succeeds.
    /// </summary>
    public static PoolMemory Update(PoolMemory memory, IReadOnlyList<PilotOutcome> newOutcomes, PolicyOptions policy)
    {
        var failures = memory.ConsecutivePilotFailures;
        var reason = memory.CrashLoopReason;
        var ordered = newOutcomes
            .OrderBy(o => o.EndTime ?? DateTimeOffset.MaxValue)
            .ThenBy(o => o.Id, PilotIdComparer.Instance);
        foreach (var outcome in ordered)
        {
            switch (Classify(outcome, policy))
            {
                case OutcomeVerdict.Failure:
                    failures++;
                    if (reason is null && policy.CrashLoopThreshold > 0 && failures >= policy.CrashLoopThreshold)
                    {
                        reason = $"crash loop: {PolicyText.Count(failures, "pilot")} in a row failed (last: {Describe(outcome)}); "
                            + "fix the pilot, then run `autopilot resume`";
                    }

                    break;
                case OutcomeVerdict.Success:
                    failures = 0;
                    break;
            }
        }

        return memory with { ConsecutivePilotFailures = failures, CrashLoopReason = reason };
    }

    private static string Describe(PilotOutcome outcome)
    {
        var parts = new List<string> { $"pilot {outcome.Id} {outcome.RawState}" };
        if (outcome.ExitCode is { } code)
        {
            parts.Add($"exit {code}");
        }

        if (outcome.StartTime is { } start && outcome.EndTime is { } end)
        {
            parts.Add($"ran {PolicyText.Duration(end - start)}");
        }

        return string.Join(", ", parts);
    }
}
