using System.CommandLine;
using Autopilot.Engine;
using Autopilot.Policy;
using Autopilot.State;

namespace Autopilot.Cli.Commands;

/// <summary>`pause`, `resume` and `drain`: operator switches persisted in the pool's memory.</summary>
public static class OperatorCommands
{
    public static Command Pause()
    {
        var pool = new Argument<string>("pool") { Description = "The pool to pause" };
        var reason = new Option<string?>("--reason") { Description = "Why (shown by status and plan)" };
        var command = new Command("pause", """
            Stop a pool's submissions and cancellations until `autopilot resume`. Running pilots are left alone.

            Example: autopilot pause main --reason "maintenance on /scratch"
            """)
        {
            pool,
            reason,
        };
        command.SetAction((parse, ct) => ChangeAsync(parse, parse.GetValue(pool)!, ct, EventKind.Paused, (memory, now) =>
        {
            var why = $"paused by {Environment.UserName} at {now:yyyy-MM-dd HH:mm}Z" + (parse.GetValue(reason) is { } r ? $": {r}" : "");
            return (memory with { PausedReason = why }, why);
        }));
        return command;
    }

    public static Command Resume()
    {
        var pool = new Argument<string>("pool") { Description = "The pool to resume" };
        var command = new Command("resume", """
            Undo pause, drain and a crash-loop pause; reset the failure counters so submissions start again.

            Example: autopilot resume main
            """)
        {
            pool,
        };
        command.SetAction((parse, ct) => ChangeAsync(parse, parse.GetValue(pool)!, ct, EventKind.Resumed, (memory, now) =>
            (memory with
            {
                PausedReason = null,
                CrashLoopReason = null,
                Draining = false,
                ConsecutivePilotFailures = 0,
                ConsecutiveSubmitFailures = 0,
                SubmitNotBefore = null,
            }, $"resumed by {Environment.UserName}")));
        return command;
    }

    public static Command Drain()
    {
        var pool = new Argument<string>("pool") { Description = "The pool to drain" };
        var command = new Command("drain", """
            Cancel a pool's queued pilots and stop submitting; running pilots finish their work. Undo with resume.

            Example: autopilot drain main
            """)
        {
            pool,
        };
        command.SetAction((parse, ct) => ChangeAsync(parse, parse.GetValue(pool)!, ct, EventKind.Draining, (memory, now) =>
            (memory with { Draining = true }, $"drain asked by {Environment.UserName}")));
        return command;
    }

    private static async Task<int> ChangeAsync(
        ParseResult parse, string pool, CancellationToken ct, EventKind kind, Func<PoolMemory, DateTimeOffset, (PoolMemory Memory, string Reason)> change)
    {
        using var ctx = CliContext.Load(parse);
        if (ctx is null)
        {
            return 2;
        }

        if (ctx.Options.Pools.All(p => p.Name != pool))
        {
            ctx.Err.WriteLine($"no pool named '{pool}' (pools: {string.Join(", ", ctx.Options.Pools.Select(p => p.Name))})");
            return 2;
        }

        // A tick saves the memory it loaded; holding the tick lock keeps it from overwriting this change.
        using var tickLock = await WaitForLockAsync(StateDirectory.LockFile(ctx.StateDir), TimeSpan.FromSeconds(120), ct);
        if (tickLock is null)
        {
            ctx.Err.WriteLine("a tick has held the lock for 2 minutes; try again");
            return 1;
        }

        await using var store = await ctx.OpenRecordingStoreAsync(ct);
        var now = ctx.Time.GetUtcNow();
        var (memory, reason) = change(await store.LoadMemoryAsync(pool, ct), now);
        await store.SaveMemoryAsync(pool, memory, ct);
        await store.AppendEventAsync(new PoolEvent(now, pool, kind, [], reason), ct);
        ctx.Out.WriteLine($"pool {pool}: {reason}");
        return 0;
    }

    internal static async Task<TickLock?> WaitForLockAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var tickLock = TickLock.TryAcquire(path);
            if (tickLock is not null || DateTime.UtcNow >= deadline)
            {
                return tickLock;
            }

            await Task.Delay(200, ct);
        }
    }
}
