using Autopilot.Schedulers;
using Autopilot.Schedulers.Common;

namespace Autopilot.Tests.Schedulers;

public sealed class SegmentedListTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(100_000)]
    public void Holds_every_item_in_order_across_segment_boundaries(int count)
    {
        var list = new SegmentedList<int>();
        for (var i = 0; i < count; i++)
        {
            list.Add(i * 3);
        }

        Assert.Equal(count, list.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => i * 3), list);
        for (var i = 0; i < count; i += Math.Max(1, count / 50))
        {
            Assert.Equal(i * 3, list[i]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => list[count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
    }

    [Fact]
    public void A_large_listing_allocates_segments_not_doubling_arrays()
    {
        var pilots = new SegmentedList<object>();
        var item = new object();
        for (var i = 0; i < 10_000; i++)
        {
            pilots.Add(item);
        }

        // This thread's allocations while adding 100,000 references (other tests run on other threads).
        var start = GC.GetAllocatedBytesForCurrentThread();
        var list = new SegmentedList<object>();
        for (var i = 0; i < 100_000; i++)
        {
            list.Add(item);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - start;
        Assert.Equal(100_000, list.Count);
        // 25 segments of 32 KB plus the segment index: about 0.8 MB. A List<T> doubles through arrays
        // of 128 KB to 1 MB (large-object-heap allocations), 2.1 MB in all.
        Assert.InRange(allocated, 800_000, 1_000_000);
    }
}
