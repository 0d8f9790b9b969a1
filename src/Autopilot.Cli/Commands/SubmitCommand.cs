using System.CommandLine;
using Autopilot.Engine;
using Autopilot.State;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot submit POOL [N]`: pilots by hand, within the pool's limits unless --force.</summary>
public static class SubmitCommand
{
    public static Command Build()
    {
        var pool = new Argument<string>("pool") { Description = "The pool to submit pilots for" };
        var count = new Argument<int>("n") { Description = "How many pilots (default 1)", DefaultValueFactory = _ => 1 };
        var force = new Option<bool>("--force") { Description = "Submit even past max_pilots/max_queued (recorded in the event)" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var command = new Command("submit", """
            Submit N pilots of a pool now, with the pool's script and settings, as a tick would.
            Refused when it would exceed max_pilots or max_queued, unless --force. Recorded as an event.
            A later tick may cancel queued pilots the demand does not need: pause the pool to keep them.
            Exit 0 submitted, 1 refused or failed, 2 bad arguments or configuration.

            Example: autopilot submit main 2
            """)
        {
            pool,
            count,
            force,
            json,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            var name = parse.GetValue(pool)!;
            var n = parse.GetValue(count);
            if (ctx.Options.Pools.All(p => p.Name != name) || n < 1)
            {
                ctx.Err.WriteLine(n < 1
                    ? $"n must be at least 1 (got {n})"
                    : $"no pool named '{name}' (pools: {string.Join(", ", ctx.Options.Pools.Select(p => p.Name))})");
                return 2;
            }

            // A tick counts the queue and then submits; holding its lock keeps both from submitting into the same room.
            using var tickLock = await OperatorCommands.WaitForLockAsync(StateDirectory.LockFile(ctx.StateDir), TimeSpan.FromSeconds(120), ct);
            if (tickLock is null)
            {
                ctx.Err.WriteLine("a tick has held the lock for 2 minutes; try again");
                return 1;
            }

            var result = await ctx.Manual().SubmitAsync(name, n, parse.GetValue(force), Environment.UserName, ct);
            if (parse.GetValue(json))
            {
                ctx.Out.WriteLine(Json.Serialize(result, Json.Context.ManualSubmitResult));
            }
            else if (result.Refused is null)
            {
                ctx.Out.WriteLine($"pool {name}: submitted {result.Submitted.Count}: {string.Join(' ', result.Submitted)}"
                    + (result.Forced && result.Exceeded.Count > 0 ? $" (--force past {string.Join(" and ", result.Exceeded)})" : ""));
            }

            if (result.Refused is not null)
            {
                ctx.Err.WriteLine($"pool {name}: {result.Refused}");
                return 1;
            }

            return 0;
        });
        return command;
    }
}
