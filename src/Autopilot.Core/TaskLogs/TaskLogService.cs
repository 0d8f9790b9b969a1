using System.Text.RegularExpressions;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Processes;

namespace Autopilot.TaskLogs;

/// <summary>A task and the pool whose database holds it.</summary>
public sealed record PoolTask(string Pool, HyperShellTask Task);

/// <summary>What looking a task up found: one task, several (an ambiguous prefix), or none.</summary>
public sealed record TaskLookup(IReadOnlyList<PoolTask> Matches)
{
    public bool Found => Matches.Count == 1;

    public bool Ambiguous => Matches.Count > 1;
}

/// <summary>A task with both its logs read.</summary>
public sealed record TaskWithLogs(string Pool, HyperShellTask Task, TaskLogText Stdout, TaskLogText Stderr);

/// <summary>
/// The logic behind <c>autopilot logs</c>: which pools hold HyperShell tasks, finding a task by id
/// prefix across them, the recent tasks with filters, and reading a task's logs.
/// </summary>
public sealed class TaskLogService(AutopilotOptions options, IProcessRunner runner)
{
    /// <summary>How many candidates an ambiguous prefix lists.</summary>
    public const int MaxCandidates = 20;

    /// <summary>With a filter on log content, at most this many tasks per pool are read, newest first.</summary>
    public const int MaxScanned = 2000;

    private const int Page = 200;

    /// <summary>The pools <c>logs</c> reads: those with HyperShell demand (or only <paramref name="pool"/>).</summary>
    /// <exception cref="ArgumentException">The named pool does not exist or is not a HyperShell pool; or no pool is.</exception>
    public IReadOnlyList<PoolOptions> Pools(string? pool)
    {
        if (pool is not null)
        {
            var found = options.Pools.FirstOrDefault(p => p.Name == pool)
                ?? throw new ArgumentException($"no pool named '{pool}' (pools: {string.Join(", ", options.Pools.Select(p => p.Name))})");
            return found.Demand is HyperShellOptions
                ? [found]
                : throw new ArgumentException($"pool '{pool}' reads demand from {found.Demand.Kind}, not HyperShell: it has no task logs");
        }

        var pools = options.Pools.Where(p => p.Demand is HyperShellOptions).ToList();
        return pools.Count > 0 ? pools : throw new ArgumentException("no pool reads a HyperShell database, so there are no task logs to show");
    }

    /// <summary>Finds a task by full id or id prefix in every pool's database.</summary>
    public async Task<TaskLookup> FindAsync(string idOrPrefix, string? pool, CancellationToken cancellationToken)
    {
        if (!HyperShellTaskStore.IsIdPrefix(idOrPrefix))
        {
            throw new ArgumentException($"'{idOrPrefix}' is not a task id or id prefix (hex digits and '-')");
        }

        var matches = new List<PoolTask>();
        foreach (var p in Pools(pool))
        {
            var tasks = await new HyperShellTaskStore((HyperShellOptions)p.Demand).FindAsync(idOrPrefix, MaxCandidates + 1, cancellationToken).ConfigureAwait(false);
            matches.AddRange(tasks.Select(t => new PoolTask(p.Name, t)));
        }

        return new TaskLookup(matches);
    }

    /// <summary>Reads the task again (for --follow).</summary>
    public async Task<HyperShellTask?> RefreshAsync(PoolTask task, CancellationToken cancellationToken)
    {
        var p = Pools(task.Pool)[0];
        var tasks = await new HyperShellTaskStore((HyperShellOptions)p.Demand).FindAsync(task.Task.Id, 1, cancellationToken).ConfigureAwait(false);
        return tasks.Count == 1 ? tasks[0] : null;
    }

    /// <summary>A task's stdout and stderr.</summary>
    public async Task<TaskWithLogs> ReadLogsAsync(PoolTask task, CancellationToken cancellationToken)
    {
        var reader = Reader(task.Pool);
        var stdout = await reader.ReadAsync(task.Task.Outpath, task.Task.ClientHost, cancellationToken).ConfigureAwait(false);
        var stderr = await reader.ReadAsync(task.Task.Errpath, task.Task.ClientHost, cancellationToken).ConfigureAwait(false);
        return new TaskWithLogs(task.Pool, task.Task, stdout, stderr);
    }

    public TaskLogReader Reader(string pool)
    {
        var found = options.Pools.FirstOrDefault(p => p.Name == pool) ?? new PoolOptions { Name = pool };
        return new(found.Logs, runner, TaskLogFolders.For(found));
    }

    /// <summary>
    /// The most recent tasks across the pools, newest first. <paramref name="grep"/> keeps tasks whose
    /// id, command or log text matches.
    /// </summary>
    public async Task<IReadOnlyList<PoolTask>> RecentAsync(string? pool, int limit, bool failedOnly, Regex? grep, CancellationToken cancellationToken)
    {
        var all = new List<PoolTask>();
        foreach (var p in Pools(pool))
        {
            var store = new HyperShellTaskStore((HyperShellOptions)p.Demand);
            var kept = 0;
            for (var offset = 0; kept < limit && offset < (grep is null ? limit : MaxScanned); offset += Page)
            {
                var size = grep is null ? limit : Page;
                var page = await store.RecentAsync(size, offset, failedOnly, cancellationToken).ConfigureAwait(false);
                foreach (var task in page)
                {
                    if (kept >= limit)
                    {
                        break;
                    }

                    var candidate = new PoolTask(p.Name, task);
                    if (grep is null || await MatchesAsync(candidate, grep, cancellationToken).ConfigureAwait(false))
                    {
                        all.Add(candidate);
                        kept++;
                    }
                }

                if (page.Count < size || grep is null)
                {
                    break;
                }
            }
        }

        return all.OrderByDescending(t => t.Task.LastTime).ThenByDescending(t => t.Task.SubmitTime).Take(limit).ToList();
    }

    private async Task<bool> MatchesAsync(PoolTask task, Regex grep, CancellationToken ct)
    {
        if (grep.IsMatch(task.Task.Id) || grep.IsMatch(task.Task.CommandLine))
        {
            return true;
        }

        var logs = await ReadLogsAsync(task, ct).ConfigureAwait(false);
        return (logs.Stdout.Text is { } o && grep.IsMatch(o)) || (logs.Stderr.Text is { } e && grep.IsMatch(e));
    }
}
