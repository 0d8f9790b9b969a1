namespace Autopilot.State;

/// <summary>
/// One pilot's accounting row: what it asked for and when it was submitted, first seen running and
/// ended, recorded from what the ticks saw (docs/report.md).
/// </summary>
/// <param name="Started">First seen running (or the scheduler's start time when it reported one); null: never seen running.</param>
/// <param name="Ended">When it left the listing, or the end time accounting reported; null: still active.</param>
/// <param name="EndState">How it ended (<see cref="Domain.PilotEnd"/> name, or "gone" when accounting was not read).</param>
/// <param name="MemoryMb">Memory per node in MiB: the scheduler's accounting when it said, else [pool.scheduler] memory; null: unknown (not priced).</param>
/// <param name="TimesFrom">The scheduler accounting command that completed the row ("sacct", "sacct -c", "qacct"); null: the ticks' own view.</param>
/// <param name="ClientId">The task server's id of this pilot's worker (HyperShell client id); null: not mapped (yet).</param>
/// <param name="BusySeconds">Time the pilot's worker spent running tasks, from the task server; null: not known.</param>
/// <param name="Tasks">Tasks the pilot's worker ran (started), from the task server; null: not known.</param>
public sealed record PilotRecord(
    string Pool,
    string PilotId,
    DateTimeOffset? Submitted,
    DateTimeOffset? Started,
    DateTimeOffset? Ended,
    int Cpus,
    int Nodes,
    int Gpus,
    TimeSpan Walltime,
    string? Partition,
    string? Account,
    string? EndState,
    long? MemoryMb = null,
    string? TimesFrom = null,
    string? ClientId = null,
    double? BusySeconds = null,
    int? Tasks = null)
{
    /// <summary>Hours this pilot ran inside [from, to] (an open pilot runs until <paramref name="to"/>).</summary>
    public double HoursRunIn(DateTimeOffset from, DateTimeOffset to)
    {
        if (Started is not { } start)
        {
            return 0;
        }

        var a = start > from ? start : from;
        var end = Ended ?? to;
        var b = end < to ? end : to;
        return b > a ? (b - a).TotalHours : 0;
    }

    /// <summary>
    /// Busy hours inside [from, to]: the task time spread evenly over the run time, so a range holding
    /// half of a pilot's run holds half of its busy time; null when the busy time is not known.
    /// </summary>
    public double? BusyHoursIn(DateTimeOffset from, DateTimeOffset to)
    {
        if (BusySeconds is not { } busy)
        {
            return null;
        }

        var all = HoursRunIn(DateTimeOffset.MinValue, Ended ?? to);
        return all <= 0 ? 0 : Math.Min(busy / 3600, all) * (HoursRunIn(from, to) / all);
    }
}

/// <summary>One pool at one tick: demand and pilots by state.</summary>
public sealed record PoolSample(DateTimeOffset Time, string Pool, long? Demand, int Queued, int Running);

/// <summary>The accounting tables of the state store: pilot rows and per-tick samples.</summary>
public interface IAccountingStore
{
    /// <summary>The pool's rows that have not ended, and the rows of <paramref name="ids"/> whatever their state.</summary>
    Task<IReadOnlyList<PilotRecord>> OpenPilotsAsync(string pool, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces rows (by pool and pilot id), in one transaction.</summary>
    Task SavePilotsAsync(IReadOnlyList<PilotRecord> records, CancellationToken cancellationToken);

    /// <summary>Rows of pilots that may have run after <paramref name="since"/>: not ended, or ended after it.</summary>
    Task<IReadOnlyList<PilotRecord>> PilotsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Adds a sample and deletes those older than <paramref name="retention"/>.</summary>
    Task AddSampleAsync(PoolSample sample, TimeSpan retention, CancellationToken cancellationToken);

    /// <summary>The pool's rows that ended after <paramref name="endedAfter"/> and were not completed from the scheduler's accounting yet (oldest end first).</summary>
    Task<IReadOnlyList<PilotRecord>> UncompletedPilotsAsync(string pool, DateTimeOffset endedAfter, int limit, CancellationToken cancellationToken);

    /// <summary>The pool's rows that started and have not ended, or ended after <paramref name="endedAfter"/>: those whose task time can still grow.</summary>
    Task<IReadOnlyList<PilotRecord>> PilotsWithTasksOpenAsync(string pool, DateTimeOffset endedAfter, CancellationToken cancellationToken);

    Task<IReadOnlyList<PoolSample>> SamplesAsync(DateTimeOffset since, string? pool, CancellationToken cancellationToken);
}
