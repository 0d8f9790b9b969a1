using System.CommandLine;
using Autopilot.Configuration;
using Autopilot.State;

namespace Autopilot.Cli.Commands;

public static class EventsCommand
{
    public static Command Build()
    {
        var since = new Option<string>("--since") { Description = "How far back (90s, 5m, 1h30m, 2d)", DefaultValueFactory = _ => "1h" };
        var pool = new Option<string?>("--pool") { Description = "Only this pool" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var command = new Command("events", """
            The history from the state store: submissions, cancellations, failures, pauses, with reasons.

            Example: autopilot events --since 2h --pool main
            """)
        {
            since,
            pool,
            json,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            if (!ConfigValues.TryParseDuration(parse.GetValue(since)!, out var window, out var problem))
            {
                ctx.Err.WriteLine($"--since: {problem}");
                return 2;
            }

            await using var store = await ctx.OpenStoreAsync(ct);
            var events = await store.EventsAsync(ctx.Time.GetUtcNow() - window, parse.GetValue(pool), ct);
            // From the configuration: a pool's cluster is where its pilots run now.
            string? Cluster(string name) => ctx.Options.Pools.FirstOrDefault(p => p.Name == name)?.Scheduler.ClusterLabel;
            if (parse.GetValue(json))
            {
                ctx.Out.WriteLine(Json.Serialize(events.Select(e => new EventView(e.Time, e.Pool, EventKinds.Name(e.Kind), e.JobIds, e.Reason, Cluster(e.Pool))).ToList(), Json.Context.ListEventView));
                return 0;
            }

            foreach (var e in events)
            {
                var ids = e.JobIds.Count > 0 ? $" [{string.Join(' ', e.JobIds)}]" : "";
                var where = Cluster(e.Pool) is { } cluster ? $" ({cluster})" : "";
                // The same kind names as --json, alerts and docs/operations.md ("Event kinds").
                ctx.Out.WriteLine($"{e.Time:yyyy-MM-dd HH:mm:ss}Z {(e.Pool.Length == 0 ? "-" : e.Pool),-12} {EventKinds.Name(e.Kind),-18}{ids}{where} {e.Reason}");
            }

            if (events.Count == 0)
            {
                ctx.Out.WriteLine("no events in that window");
            }

            return 0;
        });
        return command;
    }
}

/// <param name="Cluster">Where the pool's pilots run (Slurm cluster and/or ssh host); null for this machine.</param>
public sealed record EventView(DateTimeOffset Time, string Pool, string Kind, IReadOnlyList<string> JobIds, string Reason, string? Cluster = null);
