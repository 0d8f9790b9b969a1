using Autopilot.Configuration;
using Autopilot.Schedulers;
using Autopilot.State;

namespace Autopilot.Accounting;

/// <summary>
/// Completes the rows of pilots that left the listing from the scheduler's own accounting: their
/// start and end to the second, cores, memory and how they ended (docs/report.md, "Completed from
/// the scheduler"). One batch per pool per tick, only for rows not completed yet; a failure is a
/// warning and the same rows are asked about again next tick.
/// </summary>
public static class AccountingCompletion
{
    /// <summary>A pilot the accounting has not shown a day after it ended keeps the tick's view.</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromDays(1);

    /// <summary>The row with what accounting said (pure); unchanged while the job has not ended there.</summary>
    public static PilotRecord Apply(PilotRecord row, JobUsage usage, string source)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(usage);
        if (usage.End is not { } end)
        {
            return row;
        }

        // A job cancelled while queued has no start (sacct: None/Unknown), or, in the job
        // completion log, a start equal to its end and no node: either way it never ran.
        var started = usage.Started is { } s && (usage.Nodes is not 0) ? s : (DateTimeOffset?)null;
        // Our submit time is sub-second, the scheduler's start whole seconds: a pilot that started
        // within the second it was submitted keeps the scheduler's run time exactly, and its submit
        // time moves back instead (a wait of 0).
        var submitted = row.Submitted ?? usage.Submitted;
        return AccountingRecorder.InOrder(row with
        {
            Submitted = started is { } st && submitted > st ? st : submitted,
            Started = started,
            Ended = usage.Ended ?? row.Ended,
            Cpus = usage.Cpus ?? row.Cpus,
            Nodes = usage.Nodes is > 0 ? usage.Nodes.Value : row.Nodes,
            MemoryMb = usage.MemoryMb ?? row.MemoryMb,
            EndState = end.ToString(),
            TimesFrom = source,
        });
    }

    /// <summary>Asks the accounting about the pool's uncompleted rows and saves what it answered; returns a warning, or null.</summary>
    public static async Task<string?> CompleteAsync(IAccountingStore store, IJobAccounting accounting, PoolOptions pool, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(accounting);
        ArgumentNullException.ThrowIfNull(pool);
        var rows = await store.UncompletedPilotsAsync(pool.Name, now - GiveUpAfter, accounting.MaxPerTick, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        IReadOnlyList<JobUsage> usage;
        try
        {
            usage = await accounting.UsageAsync([.. rows.Select(r => r.PilotId)], cancellationToken).ConfigureAwait(false);
        }
        catch (SchedulerException ex)
        {
            return $"cannot complete {rows.Count} pilot row(s) from {accounting.Source}: {ex.Message}; asking again next tick";
        }

        var byId = usage.GroupBy(u => u.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var changed = new List<PilotRecord>();
        foreach (var row in rows)
        {
            if (byId.TryGetValue(row.PilotId, out var u) && Apply(row, u, accounting.Source) is var next && next != row)
            {
                changed.Add(next);
            }
        }

        await store.SavePilotsAsync(changed, cancellationToken).ConfigureAwait(false);
        return null;
    }
}
