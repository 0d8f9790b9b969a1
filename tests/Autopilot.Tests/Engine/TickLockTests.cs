using System.Diagnostics;
using Autopilot.Engine;

namespace Autopilot.Tests.Engine;

public sealed class TickLockTests
{
    [Fact]
    public void Second_holder_is_refused_until_the_first_lets_go()
    {
        var path = Path.Combine(Path.GetTempPath(), $"autopilot-lock-{Guid.NewGuid():N}", "tick.lock");
        using (var first = TickLock.TryAcquire(path))
        {
            Assert.NotNull(first);
            Assert.Null(TickLock.TryAcquire(path));
        }

        using var again = TickLock.TryAcquire(path);
        Assert.NotNull(again);
    }

    [Fact]
    public void A_lock_held_by_another_process_is_refused_and_freed_when_it_is_killed()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"autopilot-lock-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "tick.lock");

        // flock from util-linux holds the same kind of lock .NET takes for FileShare.None.
        using var holder = Process.Start(new ProcessStartInfo("flock", ["-x", path, "sleep", "30"]) { UseShellExecute = false })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(5);
            TickLock? probe;
            while ((probe = TickLock.TryAcquire(path)) is not null && DateTime.UtcNow < deadline)
            {
                probe.Dispose();
                Thread.Sleep(50);
            }

            Assert.Null(probe);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            holder.WaitForExit();
        }

        // The killed child (sleep) held the inherited descriptor; the kernel frees the lock once it is gone.
        TickLock? after = null;
        var until = DateTime.UtcNow.AddSeconds(5);
        while ((after = TickLock.TryAcquire(path)) is null && DateTime.UtcNow < until)
        {
            Thread.Sleep(50);
        }

        Assert.NotNull(after);
        after.Dispose();
    }
}
