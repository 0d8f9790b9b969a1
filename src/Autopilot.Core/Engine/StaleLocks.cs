using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.PiCaS;
using Autopilot.State;
using Microsoft.Extensions.Logging;

namespace Autopilot.Engine;

/// <summary>One PiCaS database's stale-lock pass: the tokens judged and what the reset did.</summary>
/// <param name="Error">Why nothing was reset (unreadable listing or database); null when the pass ran.</param>
public sealed record StaleLockReport(string Pool, string Database, IReadOnlyList<LockedToken> Judged, IReadOnlyList<TokenReset> Resets, string? Error)
{
    /// <summary>A reset CouchDB refused for another reason than a revision conflict.</summary>
    public bool Failed => Error is not null || Resets.Any(r => !r.Reset && !r.Outcome.StartsWith("left alone", StringComparison.Ordinal));
}

/// <summary>
/// `autopilot picas reset-stale` and the per-tick <c>reset_stale_locks</c>: returns to todo the PiCaS
/// tokens whose pilot is gone. "Gone" is judged against every pool's pilots as the tick lists them,
/// so an unreadable listing resets nothing. Each reset is a <see cref="EventKind.LockReset"/> event.
/// </summary>
public sealed class StaleLocks(AutopilotOptions options, TickEngine engine, ILogger logger, TimeProvider time)
{
    /// <param name="pools">The PiCaS pools to treat; a database shared by several is treated once, under the first.</param>
    /// <param name="known">Listings already made (the tick's); the other pools are listed here.</param>
    /// <param name="olderThan">Overrides each pool's stale_lock_after.</param>
    public async Task<IReadOnlyList<StaleLockReport>> RunAsync(
        IReadOnlyList<PoolOptions> pools,
        IReadOnlyDictionary<string, TickEngine.Listing>? known,
        TimeSpan? olderThan,
        bool dryRun,
        IStateStore? store,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pools);
        var reports = new List<StaleLockReport>();
        var missing = options.Pools.Where(p => known is null || !known.ContainsKey(p.Name)).ToList();
        var listings = missing.Count == 0
            ? new Dictionary<string, TickEngine.Listing>(StringComparer.Ordinal)
            : await engine.ListPilotsAsync(missing, false, store as ISubmittedJobStore, cancellationToken).ConfigureAwait(false);
        var all = (known ?? new Dictionary<string, TickEngine.Listing>()).Concat(listings).ToList();
        var unreadable = all.Where(l => l.Value.Pilots is null).Select(l => $"pool {l.Key}: {l.Value.Error}").ToList();
        var liveJobs = all
            .SelectMany(l => l.Value.Pilots ?? [])
            .Where(p => p.IsActive)
            .Select(p => PiCaSStaleLocks.JobNumber(p.Id))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (pool, picas) in pools.Select(p => (p, p.Demand as PiCaSOptions)))
        {
            if (picas is null)
            {
                continue;
            }

            var database = $"{picas.Url?.TrimEnd('/')}/{picas.Database}";
            if (!seen.Add(database))
            {
                continue;
            }

            var limit = olderThan ?? picas.StaleLockAfter;
            if (limit is null)
            {
                reports.Add(new StaleLockReport(pool.Name, database, [], [], "demand.stale_lock_after is not set (or pass --older-than)"));
                continue;
            }

            if (unreadable.Count > 0)
            {
                // Without every listing a running pilot could look gone and lose its token.
                reports.Add(new StaleLockReport(pool.Name, database, [], [], $"nothing reset: cannot tell which pilots are running ({string.Join("; ", unreadable)})"));
                continue;
            }

            reports.Add(await PassAsync(pool, picas, database, liveJobs, limit.Value, dryRun, store, cancellationToken).ConfigureAwait(false));
        }

        foreach (var report in reports.Where(r => r.Error is not null))
        {
            logger.LogError("pool {Pool}: stale PiCaS locks: {Error}", report.Pool, report.Error);
        }

        return reports;
    }

    private async Task<StaleLockReport> PassAsync(
        PoolOptions pool, PiCaSOptions picas, string database, IReadOnlySet<string> liveJobs, TimeSpan limit, bool dryRun, IStateStore? store, CancellationToken cancellationToken)
    {
        try
        {
            var locks = new PiCaSStaleLocks(picas, logger, time);
            database = locks.DisplayUrl;
            var judged = await locks.FindAsync(liveJobs, limit, picas.StaleLockByAge, cancellationToken).ConfigureAwait(false);
            if (dryRun)
            {
                foreach (var t in judged.Where(t => t.Stale))
                {
                    logger.LogInformation("pool {Pool}: would reset token {Token}: {Why}", pool.Name, t.Id, t.Why);
                }

                return new StaleLockReport(pool.Name, database, judged, [], null);
            }

            var resets = await locks.ResetAsync(judged, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            foreach (var reset in resets)
            {
                var t = reset.Token;
                var line = $"token {t.Id}{(t.Hostname is { Length: > 0 } host ? $" (host {host})" : "")} {t.Why}: {reset.Outcome}";
                if (reset.Reset)
                {
                    logger.LogInformation("pool {Pool}: {Line}", pool.Name, line);
                    if (store is not null)
                    {
                        await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.LockReset, t.Pilot is null ? [] : [t.Pilot], line), CancellationToken.None).ConfigureAwait(false);
                    }
                }
                else
                {
                    logger.LogWarning("pool {Pool}: {Line}", pool.Name, line);
                }
            }

            return new StaleLockReport(pool.Name, database, judged, resets, null);
        }
        catch (DemandException ex)
        {
            return new StaleLockReport(pool.Name, database, [], [], ex.Message);
        }
    }
}
