using System.CommandLine;
using Autopilot.Configuration;
using Autopilot.DemandSources.PiCaS;
using Autopilot.Engine;
using Autopilot.State;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot picas reset-stale`: PiCaS tokens locked by pilots that are gone, back to todo.</summary>
public static class PicasCommand
{
    public static Command Build()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Show which tokens would be reset, change nothing" };
        var pool = new Option<string?>("--pool") { Description = "Only this pool's database" };
        var olderThan = new Option<string?>("--older-than") { Description = "Instead of demand.stale_lock_after, e.g. 6h" };
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var resetStale = new Command("reset-stale", """
            Reset to todo the PiCaS tokens locked longer than stale_lock_after whose pilot is no longer in the
            queue (tokens that record no pilot: only with stale_lock_by_age = true). Each reset writes the
            revision it read, so a token changed meanwhile is left alone. Each reset is an event.
            Exit 0 done, 1 a database or listing could not be read or a reset failed, 2 bad arguments.

            Example: autopilot picas reset-stale --dry-run
            """)
        {
            dryRun,
            pool,
            olderThan,
            json,
        };
        resetStale.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            TimeSpan? limit = null;
            if (parse.GetValue(olderThan) is { } text)
            {
                if (!ConfigValues.TryParseDuration(text, out var value, out var problem))
                {
                    ctx.Err.WriteLine($"--older-than: {problem}");
                    return 2;
                }

                limit = value;
            }

            var name = parse.GetValue(pool);
            var pools = ctx.Options.Pools.Where(p => p.Demand is PiCaSOptions && (name is null || p.Name == name)).ToList();
            if (pools.Count == 0)
            {
                ctx.Err.WriteLine(name is null ? "no pool reads a picas demand source" : $"no picas pool named '{name}'");
                return 2;
            }

            var components = ctx.Components();
            var engine = new TickEngine(ctx.Options, components, ctx.Time, ctx.Loggers.CreateLogger<TickEngine>());
            var stale = new StaleLocks(ctx.Options, engine, ctx.Loggers.CreateLogger<StaleLocks>(), ctx.Time);
            var dry = parse.GetValue(dryRun);
            IReadOnlyList<StaleLockReport> reports;
            if (dry)
            {
                reports = await stale.RunAsync(pools, null, limit, true, null, ct);
            }
            else
            {
                await using var store = await SqliteStateStore.OpenAsync(ctx.StateDir, ct);
                reports = await stale.RunAsync(pools, null, limit, false, store, ct);
            }

            Print(ctx.Out, reports, parse.GetValue(json), dry);
            return reports.Any(r => r.Failed) ? 1 : 0;
        });

        return new Command("picas", "PiCaS token maintenance.\n\nExample: autopilot picas reset-stale --dry-run") { resetStale };
    }

    private static void Print(TextWriter output, IReadOnlyList<StaleLockReport> reports, bool json, bool dry)
    {
        if (json)
        {
            output.WriteLine(Json.Serialize(reports, Json.Context.IReadOnlyListStaleLockReport));
            return;
        }

        foreach (var report in reports)
        {
            output.WriteLine($"pool {report.Pool} ({report.Database}): " + (report.Error ?? $"{report.Judged.Count} locked token(s) past the limit, {report.Judged.Count(t => t.Stale)} stale"));
            foreach (var token in report.Judged)
            {
                var outcome = report.Resets.FirstOrDefault(r => r.Token.Id == token.Id)?.Outcome
                    ?? (token.Stale ? (dry ? "would reset to todo" : "not reset") : "kept");
                output.WriteLine($"  token {token.Id}: {token.Why}: {outcome}");
            }
        }
    }
}
