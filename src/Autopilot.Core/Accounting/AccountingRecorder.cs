using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.State;

namespace Autopilot.Accounting;

/// <summary>
/// Keeps the accounting rows of one pool up to date from what a tick already saw: its listing, its
/// submissions, the pilots that left the listing and the outcomes accounting reported. No
/// scheduler call of its own.
/// </summary>
public static class AccountingRecorder
{
    /// <summary>Marks a pilot that left the listing when the scheduler's accounting was not read.</summary>
    public const string Gone = "gone";

    /// <summary>The rows that change this tick (pure).</summary>
    /// <param name="known">The pool's open rows and the rows of the pilots in <paramref name="outcomes"/>.</param>
    /// <param name="active">The pilots listed this tick that have not finished.</param>
    /// <param name="seenLastTick">The pilots active at the end of the last tick; those missing now have ended.</param>
    public static IReadOnlyList<PilotRecord> Update(
        PoolOptions pool,
        IReadOnlyList<PilotRecord> known,
        IReadOnlyList<Pilot> active,
        IReadOnlyList<string> submitted,
        IReadOnlyList<string> seenLastTick,
        IReadOnlyList<PilotOutcome>? outcomes,
        DateTimeOffset now)
    {
        var rows = known.ToDictionary(r => r.PilotId, StringComparer.Ordinal);
        var changed = new Dictionary<string, PilotRecord>(StringComparer.Ordinal);
        void Set(PilotRecord? before, PilotRecord after)
        {
            after = InOrder(after);
            if (before != after)
            {
                rows[after.PilotId] = after;
                changed[after.PilotId] = after;
            }
        }

        foreach (var id in submitted)
        {
            if (!rows.ContainsKey(id))
            {
                Set(null, New(pool, id, now, null));
            }
        }

        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pilot in active)
        {
            current.Add(pilot.Id);
            rows.TryGetValue(pilot.Id, out var row);
            var started = row?.Started ?? (pilot.State is PilotState.Running or PilotState.Completing ? pilot.StartTime ?? now : null);
            var next = (row ?? New(pool, pilot.Id, pilot.SubmitTime ?? now, pilot.TimeLimit)) with
            {
                Submitted = row?.Submitted ?? pilot.SubmitTime ?? now,
                Started = started,
            };
            Set(row, next);
        }

        foreach (var id in seenLastTick)
        {
            if (!current.Contains(id) && rows.TryGetValue(id, out var row) && row.Ended is null)
            {
                Set(row, row with { Ended = now, EndState = Gone });
            }
        }

        foreach (var outcome in outcomes ?? [])
        {
            if (rows.TryGetValue(outcome.Id, out var row))
            {
                // Accounting knows better than the tick that missed the pilot: its times win.
                Set(row, row with
                {
                    Started = outcome.StartTime ?? row.Started,
                    Ended = outcome.EndTime ?? row.Ended ?? now,
                    EndState = outcome.End.ToString(),
                });
            }
        }

        return [.. changed.Values];
    }

    /// <summary>
    /// Submitted &lt;= Started &lt;= Ended. The submit time is our clock, to the tick; the scheduler's
    /// start and end are whole seconds (squeue, sacct): a pilot that starts within the second it was
    /// submitted is reported as starting before it was submitted.
    /// </summary>
    public static PilotRecord InOrder(PilotRecord row)
    {
        var started = row.Started is { } s && s < row.Submitted ? row.Submitted : row.Started;
        var floor = started ?? row.Submitted;
        var ended = row.Ended is { } e && e < floor ? floor : row.Ended;
        return started == row.Started && ended == row.Ended ? row : row with { Started = started, Ended = ended };
    }

    /// <summary>Reads the pool's open rows, writes what changed, and adds the tick's sample.</summary>
    public static async Task RecordAsync(
        IAccountingStore store,
        AccountingOptions options,
        PoolOptions pool,
        IReadOnlyList<Pilot> active,
        IReadOnlyList<string> submitted,
        IReadOnlyList<string> seenLastTick,
        IReadOnlyList<PilotOutcome>? outcomes,
        long? demand,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var ids = outcomes is { Count: > 0 } ? outcomes.Select(o => o.Id).ToList() : [];
        var known = await store.OpenPilotsAsync(pool.Name, ids, cancellationToken).ConfigureAwait(false);
        var changed = Update(pool, known, active, submitted, seenLastTick, outcomes, now);
        await store.SavePilotsAsync(changed, cancellationToken).ConfigureAwait(false);
        var queued = active.Count(p => p.State is PilotState.Queued or PilotState.Held);
        var running = active.Count(p => p.State is PilotState.Running or PilotState.Completing);
        await store.AddSampleAsync(new PoolSample(now, pool.Name, demand, queued, running), options.SampleRetention, cancellationToken).ConfigureAwait(false);
    }

    private static PilotRecord New(PoolOptions pool, string id, DateTimeOffset submitted, TimeSpan? timeLimit) =>
        new(pool.Name, id, submitted, null, null, Math.Max(1, pool.Scheduler.Cpus), Math.Max(1, pool.Scheduler.Nodes), 0,
            timeLimit ?? pool.Scheduler.Walltime, pool.Scheduler.Queue, pool.Scheduler.Account, null,
            pool.Scheduler.MemoryMb > 0 ? pool.Scheduler.MemoryMb : null);
}
