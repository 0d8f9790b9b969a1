using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.State;
using Autopilot.Templates;

namespace Autopilot.Engine;

/// <summary>What `autopilot submit` did: the pilots submitted, or why none were.</summary>
/// <param name="Exceeded">The limits this submission goes past (refused without --force; recorded with it).</param>
/// <param name="Refused">Why nothing was submitted; null when <see cref="Submitted"/> holds the new pilots.</param>
public sealed record ManualSubmitResult(string Pool, int Requested, bool Forced, IReadOnlyList<string> Submitted, IReadOnlyList<string> Exceeded, string? Refused);

/// <summary>One pilot id given to `autopilot cancel`: the pool it belongs to, or why it was refused.</summary>
public sealed record ManualCancelItem(string Id, string? Pool, string? Refused);

/// <summary>What `autopilot cancel` did. Nothing is cancelled when any id is refused.</summary>
public sealed record ManualCancelResult(IReadOnlyList<ManualCancelItem> Pilots, IReadOnlyList<string> Cancelled, string? Error);

/// <summary>
/// `autopilot submit` and `autopilot cancel`: an operator adds or removes pilots by hand. Both judge
/// "our pilots" exactly as the tick does (<see cref="TickEngine.ListPilotsAsync"/>: jobs the scheduler
/// lists under a pool's job name), record an event, and expect the caller to hold the tick lock.
/// </summary>
public sealed class ManualControl(AutopilotOptions options, TickComponents components, TickEngine engine, TimeProvider time)
{
    /// <summary>Submits <paramref name="count"/> pilots of <paramref name="poolName"/>; refused past max_pilots/max_queued unless <paramref name="force"/>.</summary>
    public async Task<ManualSubmitResult> SubmitAsync(string poolName, int count, bool force, string user, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var pool = Pool(poolName);
        var listings = await engine.ListPilotsAsync(ListedPools(pool), false, cancellationToken).ConfigureAwait(false);
        var listing = listings[pool.Name];
        if (listing.Pilots is null)
        {
            // Fail closed even with --force: without the listing nobody can tell what is already queued.
            return new ManualSubmitResult(pool.Name, count, force, [], [], $"nothing submitted: {listing.Error}");
        }

        if (listings.FirstOrDefault(l => l.Value.Pilots is null) is { Value: not null } other)
        {
            // The global max_pilots counts every pool: one unreadable pool leaves the count unknown.
            return new ManualSubmitResult(pool.Name, count, force, [], [], $"nothing submitted: the global max_pilots cannot be counted: pool {other.Key}: {other.Value.Error}");
        }

        var exceeded = Exceeded(pool, count, listing.Pilots, listings.Values);
        if (exceeded.Count > 0 && !force)
        {
            return new ManualSubmitResult(pool.Name, count, force, [], exceeded,
                $"nothing submitted: {count} more would exceed {string.Join(" and ", exceeded)}; use --force to submit anyway (recorded)");
        }

        var now = time.GetUtcNow();
        var stateDir = engine.StateDir;
        await using var store = await components.OpenStore(stateDir, cancellationToken).ConfigureAwait(false);
        SubmitResult submission;
        try
        {
            var script = components.WriteScript(options, pool, stateDir);
            var logDir = Path.Combine(StateDirectory.PilotLogs(stateDir), pool.Name);
            StateDirectory.Ensure(StateDirectory.PilotLogs(stateDir));
            StateDirectory.Ensure(logDir);
            var request = new SubmitRequest(pool.Name, TickEngine.JobName(options, pool), script, count, pool.Scheduler, logDir, pool.Scheduler.UseArrays);

            // As in a tick: once started, a submission runs to its own timeout.
            submission = await listing.Scheduler!.SubmitAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SchedulerException or TemplateException or IOException)
        {
            await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.SubmitFailed, [], $"manual submit by {user}: {ex.Message}"), CancellationToken.None).ConfigureAwait(false);
            return new ManualSubmitResult(pool.Name, count, force, [], exceeded, $"submit failed: {ex.Message}");
        }

        var reason = $"{count} submitted by hand by {user}"
            + (force ? exceeded.Count > 0 ? $" with --force past {string.Join(" and ", exceeded)}" : " with --force (within the limits)" : "");
        await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.ManualSubmit, submission.JobIds, reason), CancellationToken.None).ConfigureAwait(false);
        return new ManualSubmitResult(pool.Name, count, force, submission.JobIds, exceeded, null);
    }

    /// <summary>
    /// Cancels pilots by id. Every id must be a pilot of one of our pools as the scheduler lists it now;
    /// one that is not (another user's job, a job of ours under another name, a typo) refuses the whole
    /// command, so a mistyped id never cancels someone else's work.
    /// </summary>
    public async Task<ManualCancelResult> CancelAsync(IReadOnlyList<string> ids, string user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.Distinct(StringComparer.Ordinal).ToList();
        var listings = await engine.ListPilotsAsync(options.Pools, false, cancellationToken).ConfigureAwait(false);
        var unreadable = listings.Where(l => l.Value.Pilots is null).Select(l => $"pool {l.Key}: {l.Value.Error}").ToList();
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        var lookAlikes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, listing) in listings)
        {
            foreach (var pilot in listing.Pilots ?? [])
            {
                if (pilot.Foreign)
                {
                    lookAlikes.Add(pilot.Id);
                }
                else
                {
                    owner.TryAdd(pilot.Id, name);
                }
            }
        }

        var items = wanted.Select(id => owner.TryGetValue(id, out var pool)
            ? new ManualCancelItem(id, pool, null)
            : lookAlikes.Contains(id)
            ? new ManualCancelItem(id, null, "a look-alike: it has a pool's job name but not Autopilot's marker (docs/operations.md, \"What identifies a pilot\"): refusing to cancel a job Autopilot did not submit")
            : new ManualCancelItem(id, null, unreadable.Count > 0
                ? "not found among the pilots of the pools that could be listed"
                : $"not a pilot of this configuration (no pool's job name {options.JobPrefix}-<pool> lists it): refusing to cancel a job Autopilot did not submit")).ToList();
        var refused = items.Where(i => i.Refused is not null).ToList();
        if (refused.Count > 0)
        {
            var why = string.Join("; ", refused.Select(r => $"{r.Id}: {r.Refused}"));
            return new ManualCancelResult(items, [], unreadable.Count > 0
                ? $"nothing cancelled: {why} (and some pools could not be listed: {string.Join("; ", unreadable)})"
                : $"nothing cancelled: {why}");
        }

        var now = time.GetUtcNow();
        await using var store = await components.OpenStore(engine.StateDir, cancellationToken).ConfigureAwait(false);
        var cancelled = new List<string>();
        var errors = new List<string>();
        foreach (var group in items.GroupBy(i => i.Pool!, StringComparer.Ordinal))
        {
            var groupIds = group.Select(i => i.Id).ToList();
            try
            {
                await listings[group.Key].Scheduler!.CancelAsync(groupIds, CancellationToken.None).ConfigureAwait(false);
                cancelled.AddRange(groupIds);
                await store.AppendEventAsync(new PoolEvent(now, group.Key, EventKind.ManualCancel, groupIds, $"cancelled by hand by {user}"), CancellationToken.None).ConfigureAwait(false);
            }
            catch (SchedulerException ex)
            {
                errors.Add($"pool {group.Key}: {ex.Message}");
                await store.AppendEventAsync(new PoolEvent(now, group.Key, EventKind.CancelFailed, groupIds, $"manual cancel by {user}: {ex.Message}"), CancellationToken.None).ConfigureAwait(false);
            }
        }

        return new ManualCancelResult(items, cancelled, errors.Count == 0 ? null : $"cancel failed: {string.Join("; ", errors)}");
    }

    private PoolOptions Pool(string name) =>
        options.Pools.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentException($"no pool named '{name}' (pools: {string.Join(", ", options.Pools.Select(p => p.Name))})");

    /// <summary>This pool and, when a global max_pilots is set, every pool it counts against.</summary>
    private List<PoolOptions> ListedPools(PoolOptions pool) =>
        options.MaxPilots > 0 ? options.Pools.Where(p => p.Enabled || p == pool).ToList() : [pool];

    /// <summary>The limits <paramref name="count"/> more pilots would go past, counted as the policy counts them.</summary>
    private List<string> Exceeded(PoolOptions pool, int count, IReadOnlyList<Pilot> pilots, IEnumerable<TickEngine.Listing> all)
    {
        pilots = pilots.Where(p => !p.Foreign).ToList();
        var queued = pilots.Count(p => p.State is PilotState.Queued or PilotState.Held);
        var counted = queued + pilots.Count(p => p.State is PilotState.Running or PilotState.Unknown);
        var exceeded = new List<string>();
        if (counted + count > pool.Limits.MaxPilots)
        {
            exceeded.Add($"max_pilots {pool.Limits.MaxPilots} ({counted} counted)");
        }

        if (queued + count > pool.Limits.MaxQueued)
        {
            exceeded.Add($"max_queued {pool.Limits.MaxQueued} ({queued} queued)");
        }

        if (options.MaxPilots > 0)
        {
            var active = all.Sum(l => l.Pilots?.Count(p => p.IsActive && !p.Foreign) ?? 0);
            if (active + count > options.MaxPilots)
            {
                exceeded.Add($"the global max_pilots {options.MaxPilots} ({active} active)");
            }
        }

        return exceeded;
    }
}
