
namespace Autopilot.Schedulers.Common;

/// <summary>
/// Reuses one string for each short value repeated across a listing (names, states, queues, owners,
/// time stamps): a 100,000-job listing then allocates per job, not per attribute, which is most of
/// what parsing it costs. Bounded so unique values (ids) cannot make it grow without limit.
/// </summary>
internal sealed class StringPool
{
    private const int MaxLength = 160;
    private const int MaxEntries = 8192;
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    // Values recently returned, by length and end characters: a listing repeats the same few values,
    // and comparing against one candidate is cheaper than hashing the value.
    private readonly string?[] _recent = new string?[256];

    public StringPool() => _lookup = _set.GetAlternateLookup<ReadOnlySpan<char>>();

    public string Get(ReadOnlySpan<char> value)
    {
        if (value.IsEmpty)
        {
            return "";
        }

        if (value.Length > MaxLength)
        {
            return value.ToString();
        }

        var slot = ((value.Length * 31) + (value[0] * 7) + value[^1]) & 255;
        if (_recent[slot] is { } recent && value.SequenceEqual(recent))
        {
            return recent;
        }

        if (!_lookup.TryGetValue(value, out var pooled))
        {
            pooled = value.ToString();
            if (_set.Count < MaxEntries)
            {
                _set.Add(pooled);
            }
        }

        _recent[slot] = pooled;
        return pooled;
    }
}
