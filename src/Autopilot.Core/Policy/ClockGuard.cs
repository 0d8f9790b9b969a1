using Autopilot.Configuration;

namespace Autopilot.Policy;

/// <summary>
/// Pool memory after the wall clock was stepped back. Memory holds wall-clock times from earlier
/// ticks; after a step back of two hours a one-minute back-off stored as "not before T+1m" would
/// last two hours and a minute. So a time that lies in the future by more than
/// <see cref="Tolerance"/> is taken as now, and a back-off deadline is cut to now plus the delay it
/// stands for, each with a note the tick logs as a warning.
/// </summary>
public static class ClockGuard
{
    /// <summary>How far ahead a stored time may be before it counts as a clock step (NTP slews stay far below this).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(2);

    public static (PoolMemory Memory, IReadOnlyList<string> Notes) Sanitize(PoolMemory memory, PolicyOptions policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(policy);
        var notes = new List<string>();
        DateTimeOffset? Past(DateTimeOffset? stored, string name)
        {
            if (stored is { } t && t > now + Tolerance)
            {
                notes.Add(Note(name, t, now, "taken as now"));
                return now;
            }

            return stored;
        }

        var fixedMemory = memory with
        {
            LastDemandAt = Past(memory.LastDemandAt, "last_demand_at"),
            SurplusSince = Past(memory.SurplusSince, "surplus_since"),
            ZeroDemandSince = Past(memory.ZeroDemandSince, "zero_demand_since"),
        };

        if (memory.AwaitingOutcome.Values.Any(t => t > now + Tolerance))
        {
            fixedMemory = fixedMemory with
            {
                AwaitingOutcome = memory.AwaitingOutcome.ToDictionary(p => p.Key, p => Past(p.Value, $"missed since of pilot {p.Key}")!.Value, StringComparer.Ordinal),
            };
        }

        if (memory.SubmitNotBefore is { } notBefore)
        {
            // The deadline was set to (time of the failure) + (the delay for this many failures).
            var delay = Backoff.After(memory.ConsecutiveSubmitFailures, policy.Backoff, now) is { } until ? until - now : TimeSpan.Zero;
            if (notBefore > now + delay + Tolerance)
            {
                notes.Add(Note("backoff_until", notBefore, now, $"the back-off of {PolicyText.Duration(delay)} restarts now"));
                fixedMemory = fixedMemory with { SubmitNotBefore = delay > TimeSpan.Zero ? now + delay : null };
            }
        }

        return (fixedMemory, notes);
    }

    private static string Note(string name, DateTimeOffset stored, DateTimeOffset now, string action) =>
        $"clock stepped back? remembered {name} {PolicyText.Time(stored)} is {PolicyText.Duration(stored - now)} ahead of now; {action}";
}
