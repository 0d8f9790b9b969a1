using Autopilot.Policy;
using Autopilot.State;

namespace Autopilot.Tests.State;

public sealed class SqliteStateStoreTests
{
    private static string NewDir() => Path.Combine(Path.GetTempPath(), $"autopilot-state-{Guid.NewGuid():N}");

    [Fact]
    public async Task Memory_events_and_ticks_survive_reopening()
    {
        var dir = NewDir();
        var t0 = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        await using (var store = await SqliteStateStore.OpenAsync(dir, CancellationToken.None))
        {
            Assert.Equal(PoolMemory.Empty, await store.LoadMemoryAsync("main", CancellationToken.None));
            await store.SaveMemoryAsync("main", new PoolMemory { LastDemandAt = t0, ConsecutiveSubmitFailures = 2, PausedReason = "crash loop" }, CancellationToken.None);
            await store.AppendEventAsync(new PoolEvent(t0, "main", EventKind.Submitted, ["11", "12"], "scale out"), CancellationToken.None);
            await store.AppendEventAsync(new PoolEvent(t0.AddMinutes(5), "gpu", EventKind.Cancelled, ["13"], "surplus"), CancellationToken.None);
            await store.SaveTickAsync(new PoolTickRecord("main", t0, true, "pool main: ...", "ScaleOut", 40, 2, 0, 0, 0), CancellationToken.None);
        }

        await using (var store = await SqliteStateStore.OpenAsync(dir, CancellationToken.None))
        {
            var memory = await store.LoadMemoryAsync("main", CancellationToken.None);
            Assert.Equal(t0, memory.LastDemandAt);
            Assert.Equal(2, memory.ConsecutiveSubmitFailures);
            Assert.Equal("crash loop", memory.PausedReason);

            var all = await store.EventsAsync(t0.AddHours(-1), null, CancellationToken.None);
            Assert.Equal(2, all.Count);
            Assert.Equal(["11", "12"], all[0].JobIds);
            var gpu = await store.EventsAsync(t0.AddHours(-1), "gpu", CancellationToken.None);
            Assert.Equal(EventKind.Cancelled, Assert.Single(gpu).Kind);
            var recent = await store.EventsAsync(t0.AddMinutes(1), null, CancellationToken.None);
            Assert.Equal("gpu", Assert.Single(recent).Pool);

            var tick = await store.LastTickAsync("main", CancellationToken.None);
            Assert.NotNull(tick);
            Assert.Equal(40, tick.Demand);
            Assert.Null(await store.LastTickAsync("nope", CancellationToken.None));
        }

        var mode = File.GetUnixFileMode(Path.Combine(dir, "state.db"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }
}
