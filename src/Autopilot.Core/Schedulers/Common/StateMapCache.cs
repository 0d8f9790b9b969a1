using Autopilot.Domain;

namespace Autopilot.Schedulers.Common;

/// <summary>
/// Maps each distinct (state, reason) pair of a listing once. Reading a pending reason or comment
/// takes a dozen case-insensitive searches, and a 100,000-job listing repeats a handful of pairs;
/// the parsers hand out one string per distinct value, so the last few pairs are found by
/// reference before any hashing.
/// </summary>
internal sealed class StateMapCache(Func<string, string?, (PilotState State, PendingKind Kind, string? Reason)> map)
{
    private const int Recent = 8;
    private readonly Dictionary<(string State, string? Reason), (PilotState State, PendingKind Kind, string? Reason)> _mapped = [];
    private readonly (string? State, string? Reason, (PilotState State, PendingKind Kind, string? Reason) Map)[] _recent =
        new (string?, string?, (PilotState, PendingKind, string?))[Recent];

    private int _next;

    public (PilotState State, PendingKind Kind, string? Reason) Get(string state, string? reason)
    {
        foreach (ref readonly var recent in _recent.AsSpan())
        {
            if (ReferenceEquals(recent.State, state) && ReferenceEquals(recent.Reason, reason))
            {
                return recent.Map;
            }
        }

        if (!_mapped.TryGetValue((state, reason), out var mapped))
        {
            mapped = map(state, reason);
            _mapped[(state, reason)] = mapped;
        }

        _recent[_next++ % Recent] = (state, reason, mapped);
        return mapped;
    }
}
