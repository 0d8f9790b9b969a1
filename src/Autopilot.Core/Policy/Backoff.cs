using Autopilot.Configuration;

namespace Autopilot.Policy;

/// <summary>
/// Submission backoff: after consecutive failed submissions a pool waits 1, 5, 15, 30, then 60
/// minutes (configurable) before it submits again, so a busy or broken scheduler is not hammered.
/// </summary>
public static class Backoff
{
    /// <summary>
    /// When the next submission may happen after <paramref name="failures"/> consecutive failures:
    /// the failures-th delay, capped at the last one. Null when there is nothing to wait for.
    /// </summary>
    public static DateTimeOffset? After(int failures, IReadOnlyList<TimeSpan> delays, DateTimeOffset now)
    {
        if (failures <= 0 || delays.Count == 0)
        {
            return null;
        }

        var delay = delays[Math.Min(failures, delays.Count) - 1];
        return delay > TimeSpan.Zero ? now + delay : null;
    }

    /// <summary>The memory after a submission of this pool failed at <paramref name="now"/>.</summary>
    public static PoolMemory Failed(PoolMemory memory, PolicyOptions policy, DateTimeOffset now)
    {
        var failures = memory.ConsecutiveSubmitFailures + 1;
        return memory with { ConsecutiveSubmitFailures = failures, SubmitNotBefore = After(failures, policy.Backoff, now) };
    }

    /// <summary>The memory after a submission succeeded: the backoff is over.</summary>
    public static PoolMemory Succeeded(PoolMemory memory) =>
        memory with { ConsecutiveSubmitFailures = 0, SubmitNotBefore = null };
}
