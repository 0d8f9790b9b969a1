// TEMPORARY shim (engine branch) until the policy branch lands; replaced at merge.
namespace Autopilot.Policy;

public static class Backoff
{
    public static DateTimeOffset After(int failures, IReadOnlyList<TimeSpan> steps, DateTimeOffset now) =>
        now + steps[Math.Min(failures, steps.Count) - 1];
}
