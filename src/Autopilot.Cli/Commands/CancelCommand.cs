using System.CommandLine;
using Autopilot.State;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot cancel PILOT-ID...`: cancel our own pilots by hand; any other job id refuses the command.</summary>
public static class CancelCommand
{
    public static Command Build()
    {
        var ids = new Argument<string[]>("pilot-id") { Description = "Pilot ids as `autopilot jobs` shows them", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var command = new Command("cancel", """
            Cancel pilots by id, queued or running. Only pilots of this configuration's pools (the jobs the
            scheduler lists under a pool's job name) are cancelled; any other id refuses the whole command
            and nothing is cancelled. Recorded as an event. Exit 0 cancelled, 1 refused or failed.

            Example: autopilot cancel 4711 4712_3
            """)
        {
            ids,
            json,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            using var tickLock = await OperatorCommands.WaitForLockAsync(StateDirectory.LockFile(ctx.StateDir), TimeSpan.FromSeconds(120), ct);
            if (tickLock is null)
            {
                ctx.Err.WriteLine("a tick has held the lock for 2 minutes; try again");
                return 1;
            }

            var result = await ctx.Manual().CancelAsync(parse.GetValue(ids)!, Environment.UserName, ct);
            if (parse.GetValue(json))
            {
                ctx.Out.WriteLine(Json.Serialize(result, Json.Context.ManualCancelResult));
            }
            else
            {
                foreach (var group in result.Pilots.Where(p => result.Cancelled.Contains(p.Id)).GroupBy(p => p.Pool))
                {
                    ctx.Out.WriteLine($"pool {group.Key}: cancelled {string.Join(' ', group.Select(p => p.Id))}");
                }
            }

            if (result.Error is not null)
            {
                ctx.Err.WriteLine(result.Error);
                return 1;
            }

            return 0;
        });
        return command;
    }
}
