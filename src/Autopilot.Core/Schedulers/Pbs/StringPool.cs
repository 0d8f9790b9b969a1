namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// Reuses one string for each short value repeated across a listing (names, states, queues, owners,
/// time stamps): a 100,000-job listing then allocates per job, not per attribute, which is most of
/// what parsing it costs. Bounded so unique values (ids) cannot make it grow without limit.
/// </summary>
internal sealed class StringPool
{
    private const int MaxLength = 64;
    private const int MaxEntries = 8192;
    private readonly HashSet<string> _set = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

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

        if (_lookup.TryGetValue(value, out var pooled))
        {
            return pooled;
        }

        var s = value.ToString();
        if (_set.Count < MaxEntries)
        {
            _set.Add(s);
        }

        return s;
    }
}
