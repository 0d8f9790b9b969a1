using Autopilot.Configuration;
using Autopilot.Domain;

namespace Autopilot.Policy;

/// <summary>What one finished pilot means for the crash-loop detector.</summary>
public enum OutcomeVerdict
{
    /// <summary>Failed, or completed faster than min_pilot_runtime: counts toward the pause.</summary>
    Failure,
    /// <summary>Completed after running at least min_pilot_runtime (or for an unknown time): resets the count.</summary>
    Success,
    /// <summary>Walltime, preemption, node failure, cancellation, unknown: neither counts nor resets.</summary>
    Neutral,
}

/// <summary>
/// Crash-loop detection: pilots that fail (or exit almost at once) N times in a row pause the
/// pool's submissions until an operator resumes it, instead of a broken pilot being resubmitted
/// every tick. Ends the pilot did not cause (walltime, preemption, node failure, cancellation by
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
                // Only a known, too-short runtime is a failure: accounting without times degrades to "ended fine".
                return outcome.StartTime is { } start && outcome.EndTime is { } end && end - start < policy.MinPilotRuntime
                    ? OutcomeVerdict.Failure
                    : OutcomeVerdict.Success;
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
                        reason = $"crash loop: {failures} pilots in a row failed or ran less than "
                            + $"{PolicyText.Duration(policy.MinPilotRuntime)} (last: {Describe(outcome)}); "
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
