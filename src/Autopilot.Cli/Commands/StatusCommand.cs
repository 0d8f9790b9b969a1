using System.CommandLine;
using Autopilot.Configuration;
using Autopilot.Hosting;
using Autopilot.Policy;
using Autopilot.State;

namespace Autopilot.Cli.Commands;

public static class StatusCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var command = new Command("status", """
            Per pool: the last tick's time, result and decision, demand, pilots by state, paused/draining/backing-off and until when, the next scheduled tick.

            Example: autopilot status --json
            """)
        {
            json,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            await using var store = await ctx.OpenStoreAsync(ct);
            var now = ctx.Time.GetUtcNow();
            // Validated at load: a schedule fires within a year.
            var next = CronSchedule.Of(ctx.Options).Next(now) ?? throw new InvalidOperationException($"schedule '{ctx.Options.Schedule}' never fires");
            var pools = new List<PoolStatusView>();
            foreach (var pool in ctx.Options.Pools)
            {
                var (memory, _) = ClockGuard.Sanitize(await store.LoadMemoryAsync(pool.Name, ct), pool.Policy, now);
                var last = await store.LastTickAsync(pool.Name, ct);
                var poolView = PoolStatusView.From(pool.Name, pool.Enabled, memory, last, now) with { Cluster = pool.Scheduler.ClusterLabel };
                if (await Autopilot.Accounting.Budgets.StateAsync(ctx.Options, pool, store, now, ct) is { } budget)
                {
                    poolView = poolView with
                    {
                        State = budget.Over && poolView.State == "active" ? "over budget" : poolView.State,
                        Details = [.. poolView.Details, BudgetPacing.Explain(budget, now)],
                    };
                }

                pools.Add(poolView);
            }

            var view = new StatusView(now, ctx.Options.Schedule, next, pools, await store.RecoveryNoteAsync(ct));
            if (parse.GetValue(json))
            {
                ctx.Out.WriteLine(Json.Serialize(view, Json.Context.StatusView));
                return 0;
            }

            if (view.StoreRecovered is { } recovered)
            {
                ctx.Out.WriteLine($"state store recovered {recovered}");
            }

            ctx.Out.WriteLine($"schedule '{view.Schedule}' (service mode): next tick {view.NextTick:yyyy-MM-dd HH:mm:ss zzz}");
            foreach (var p in pools)
            {
                ctx.Out.WriteLine($"pool {p.Pool}{JobsView.Where(p.Cluster)}{(p.Enabled ? "" : " (disabled)")}: {p.State}");
                if (p.LastTick is { } t)
                {
                    ctx.Out.WriteLine($"  last tick {t.Time:yyyy-MM-dd HH:mm:ss}Z, {(t.Ok ? "ok" : $"FAILED ({t.ConsecutiveFailures} in a row)")}: {t.Summary}");
                    ctx.Out.WriteLine($"  demand {t.Demand?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}; pilots {t.Queued} queued, {t.Running} running, {t.Held} held");
                }
                else
                {
                    ctx.Out.WriteLine("  no tick recorded yet");
                }

                foreach (var line in p.Details)
                {
                    ctx.Out.WriteLine($"  {line}");
                }
            }

            return 0;
        });
        return command;
    }
}

/// <summary>The stable JSON shape of `status --json` (documented in docs/operations.md).</summary>
/// <param name="StoreRecovered">Set when the state store was found damaged and started fresh: when, why, and where the old one went.</param>
public sealed record StatusView(DateTimeOffset Time, string Schedule, DateTimeOffset NextTick, IReadOnlyList<PoolStatusView> Pools, string? StoreRecovered = null);

public sealed record PoolStatusView(
    string Pool,
    bool Enabled,
    string State,
    string? PausedReason,
    string? CrashLoopReason,
    bool Draining,
    DateTimeOffset? BackoffUntil,
    int ConsecutiveSubmitFailures,
    int ConsecutivePilotFailures,
    DateTimeOffset? LastDemandAt,
    PoolTickRecord? LastTick,
    IReadOnlyList<string> Details)
{
    /// <summary>Where the pool's pilots run (Slurm cluster and/or ssh host); null for this machine.</summary>
    public string? Cluster { get; init; }

    public static PoolStatusView From(string pool, bool enabled, PoolMemory m, PoolTickRecord? last, DateTimeOffset now)
    {
        var backoff = m.SubmitNotBefore is { } until && until > now ? until : (DateTimeOffset?)null;
        var state = m.PausedReason is not null ? "paused"
            : m.Draining ? "draining"
            : m.CrashLoopReason is not null ? "paused (crash loop)"
            : backoff is not null ? "backing off"
            : last is { Ok: false } ? "failing"
            : "active";
        var details = new List<string>();
        if (m.PausedReason is not null)
        {
            details.Add($"paused: {m.PausedReason} (undo: autopilot resume {pool})");
        }

        if (m.CrashLoopReason is not null)
        {
            // The reason names itself ("crash loop: 3 pilots in a row failed ...").
            details.Add($"{m.CrashLoopReason} (undo: autopilot resume {pool})");
        }

        if (m.Draining)
        {
            details.Add($"draining: queued pilots are cancelled, nothing submitted (undo: autopilot resume {pool})");
        }

        if (backoff is not null)
        {
            details.Add($"backing off after {m.ConsecutiveSubmitFailures} failed submission(s) until {backoff:yyyy-MM-dd HH:mm:ss}Z");
        }

        return new PoolStatusView(pool, enabled, state, m.PausedReason, m.CrashLoopReason, m.Draining, backoff,
            m.ConsecutiveSubmitFailures, m.ConsecutivePilotFailures, m.LastDemandAt, last, details);
    }
}
