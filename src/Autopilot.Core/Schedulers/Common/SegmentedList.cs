using System.Collections;

namespace Autopilot.Schedulers.Common;

/// <summary>
/// An append-only list in fixed segments of 4,096 items (32 KB of references). A scheduler listing of
/// 100,000 pilots in a <see cref="List{T}"/> grows through arrays of 128 KB to 1 MB, which the runtime
/// puts on the large object heap, and allocations there trigger full (generation 2) collections: for a
/// parser that is a large share of its time. Segments stay below that threshold.
/// </summary>
internal sealed class SegmentedList<T> : IReadOnlyList<T>
{
    private const int Shift = 12;
    private const int SegmentSize = 1 << Shift;
    private const int Mask = SegmentSize - 1;
    private readonly List<T[]> _segments = [];
    private T[] _current = [];
    private int _count;

    public int Count => _count;

    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
            return _segments[index >> Shift][index & Mask];
        }
    }

    public void Add(T item)
    {
        var offset = _count & Mask;
        if (offset == 0 && _count >> Shift == _segments.Count)
        {
            // The first segment starts small: most listings hold a handful of pilots.
            _current = new T[_count == 0 ? 16 : SegmentSize];
            _segments.Add(_current);
        }
        else if (offset == _current.Length)
        {
            Array.Resize(ref _current, Math.Min(SegmentSize, _current.Length * 4));
            _segments[^1] = _current;
        }

        _current[offset] = item;
        _count++;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var s = 0; s < _segments.Count; s++)
        {
            var segment = _segments[s];
            var n = Math.Min(SegmentSize, _count - (s << Shift));
            for (var i = 0; i < n; i++)
            {
                yield return segment[i];
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
