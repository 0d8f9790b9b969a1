using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;

namespace Autopilot.Schedulers;

/// <summary>
/// What the scheduler's own accounting says one job used: its times to the second, what it was given
/// and how it ended. Null fields: the accounting did not say (the row keeps what the tick recorded).
/// </summary>
/// <param name="Cpus">Cores per node.</param>
/// <param name="MemoryMb">Memory per node in MiB.</param>
/// <param name="End">How it ended; null while it has not (queued or running).</param>
public sealed record JobUsage(
    string Id,
    DateTimeOffset? Submitted,
    DateTimeOffset? Started,
    DateTimeOffset? Ended,
    int? Cpus,
    int? Nodes,
    long? MemoryMb,
    string State,
    PilotEnd? End);

/// <summary>
/// Reads the scheduler's accounting for given job ids, in as few calls as the scheduler allows
/// (docs/report.md, "Completed from the scheduler"). Separate from <see cref="IScheduler"/>: only the
/// accounting recorder needs it, once per pool per tick, for the pilots whose end is not yet known.
/// </summary>
public interface IJobAccounting
{
    /// <summary>The command read, for messages and the report ("sacct", "sacct -c", "qacct").</summary>
    string Source { get; }

    /// <summary>The most ids one tick asks about (a scheduler without a batch form runs one command per id).</summary>
    int MaxPerTick { get; }

    /// <summary>The records found; ids the accounting does not know (yet) are left out. Throws <see cref="SchedulerException"/> when the command fails.</summary>
    Task<IReadOnlyList<JobUsage>> UsageAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken);

    /// <summary>The scheduler's own usage of an account as one line for `plan` (or why it has none); null when this scheduler has no such command.</summary>
    Task<string?> AccountUsageAsync(string account, CancellationToken cancellationToken);
}

/// <summary>The accounting reader of a scheduler kind; null for a kind without one here.</summary>
public static class JobAccountingFactory
{
    public static IJobAccounting? Create(SchedulerOptions options, IProcessRunner runner, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        return SchedulerKinds.Find(options.Kind)?.Accounting?.Invoke(options, runner, time);
    }

    /// <summary>"1000M", "4G", "512K", "2T" (optionally followed by n or c, Slurm's old per-node/per-core mark) in MiB; null when unreadable.</summary>
    public static long? MemoryMb(string text)
    {
        var t = text.Trim();
        if (t.Length == 0)
        {
            return null;
        }

        var end = t.Length;
        while (end > 0 && !char.IsAsciiDigit(t[end - 1]) && t[end - 1] != '.')
        {
            end--;
        }

        if (!double.TryParse(t[..end], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        var unit = t[end..].ToUpperInvariant().TrimEnd('N', 'C');
        double factor = unit switch
        {
            "" or "M" or "MB" => 1,
            "K" or "KB" => 1.0 / 1024,
            "G" or "GB" => 1024,
            "T" or "TB" => 1024 * 1024,
            _ => double.NaN,
        };
        return double.IsNaN(factor) ? null : (long)Math.Round(value * factor);
    }
}
