using System.Text.RegularExpressions;
using Autopilot.Configuration;
using Autopilot.State;
using Autopilot.TaskLogs;

namespace Autopilot.Accounting;

/// <summary>What a pilot's worker did, from the task server: its id there (null: it never said, so it ran no task), busy time and tasks started.</summary>
public sealed record WorkerUsage(string? ClientId, double BusySeconds, int Tasks);

/// <summary>Reads busy time per pilot from a pool's task server (docs/report.md, "Busy time").</summary>
public interface ITaskUsage
{
    /// <summary>Where it reads, for messages.</summary>
    string Source { get; }

    /// <summary>The usage of <paramref name="rows"/> by pilot id (a pilot whose worker ran no task: 0); a pilot nothing can be said of is left out.</summary>
    Task<IReadOnlyDictionary<string, WorkerUsage>> ReadAsync(IReadOnlyList<PilotRecord> rows, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// HyperShell: a client's id is a random UUID it makes at start, and its host is the node's name, so
/// neither names the pilot. The pilot template runs the client with HYPERSHELL_LOGGING_STYLE=system,
/// whose log lines carry that id (<c>... INFO [client id] [hypershell.client] Running task (...)</c>)
/// into the pilot's own log file: the first such id there maps the pilot to its client, and the row
/// keeps it. Busy time is then read from the <c>task</c> table by <c>client_id</c>.
/// </summary>
public sealed partial class HyperShellTaskUsage(DemandSources.HyperShell.HyperShellOptions demand, string pilotLogFolder, TimeZoneInfo? sqliteZone = null) : ITaskUsage
{
    /// <summary>How much of a pilot's log is searched for its client id (the client logs it on its first task).</summary>
    public const int LogHeadBytes = 1 << 20;

    private readonly HyperShellTaskStore _tasks = new(demand, sqliteZone);

    public string Source => _tasks.Describe();

    public async Task<IReadOnlyDictionary<string, WorkerUsage>> ReadAsync(IReadOnlyList<PilotRecord> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var clients = new Dictionary<string, string>(StringComparer.Ordinal);
        // The folder is listed once a tick, and only while some pilot is not mapped yet.
        var logs = rows.Any(r => r.ClientId is null) ? LogFiles(pilotLogFolder) : [];
        foreach (var row in rows)
        {
            if ((row.ClientId ?? FindClientId(logs, row.PilotId)) is { } id)
            {
                clients[row.PilotId] = id;
            }
        }

        // The client logs its id with its first task: a pilot whose log names none ran none (so
        // far). A pilot without a log file here is unknown, not idle: it is left out.
        var result = rows.Where(r => !clients.ContainsKey(r.PilotId) && logs.Any(f => NamesPilot(Path.GetFileName(f), r.PilotId)))
            .ToDictionary(r => r.PilotId, _ => new WorkerUsage(null, 0, 0), StringComparer.Ordinal);
        foreach (var chunk in clients.Chunk(500))
        {
            var times = await _tasks.TaskTimesAsync([.. chunk.Select(c => c.Value)], cancellationToken).ConfigureAwait(false);
            var busy = BusyByClient(times, now);
            foreach (var (pilot, client) in chunk)
            {
                var (seconds, tasks) = busy.GetValueOrDefault(client);
                result[pilot] = new WorkerUsage(client, seconds, tasks);
            }
        }

        return result;
    }

    /// <summary>
    /// Busy seconds and tasks started per client (pure). Busy is the union of the task intervals: a
    /// client running two tasks at once for an hour was busy one hour, so busy never exceeds the run
    /// time. A task still running counts until <paramref name="now"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, (double Seconds, int Tasks)> BusyByClient(IEnumerable<ClientTaskTime> times, DateTimeOffset now)
    {
        var result = new Dictionary<string, (double, int)>(StringComparer.Ordinal);
        foreach (var group in times.GroupBy(t => t.ClientId, StringComparer.Ordinal))
        {
            double seconds = 0;
            DateTimeOffset? openStart = null, openEnd = null;
            var count = 0;
            foreach (var t in group.OrderBy(t => t.Start))
            {
                count++;
                var end = t.Completion ?? now;
                if (end < t.Start)
                {
                    end = t.Start;
                }

                if (openEnd is { } e && t.Start <= e)
                {
                    openEnd = end > e ? end : e;
                    continue;
                }

                if (openStart is { } s0 && openEnd is { } e0)
                {
                    seconds += (e0 - s0).TotalSeconds;
                }

                (openStart, openEnd) = (t.Start, end);
            }

            if (openStart is { } s1 && openEnd is { } e1)
            {
                seconds += (e1 - s1).TotalSeconds;
            }

            result[group.Key] = (seconds, count);
        }

        return result;
    }

    private static string[] LogFiles(string folder)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable now: no pilot is mapped this tick, and the folder is listed again next tick.
            return [];
        }
    }

    /// <summary>The HyperShell client id in the pilot's log files (those of <paramref name="files"/> that name its id); null when none says it yet.</summary>
    public static string? FindClientId(IReadOnlyList<string> files, string pilotId)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (pilotId.Length == 0)
        {
            return null;
        }

        foreach (var file in files.Where(f => NamesPilot(Path.GetFileName(f), pilotId)).Order(StringComparer.Ordinal))
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var buffer = new byte[(int)Math.Min(LogHeadBytes, stream.Length)];
                var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                if (ClientIdIn(System.Text.Encoding.UTF8.GetString(buffer, 0, read)) is { } id)
                {
                    return id;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone or unreadable now: asked again next tick.
            }
        }

        return null;
    }

    /// <summary>The first client id of a HyperShell "system" style log line in <paramref name="text"/>.</summary>
    public static string? ClientIdIn(string text)
    {
        var m = SystemStyleLine().Match(text);
        return m.Success ? m.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>
    /// A pilot's log file names its id as a whole token: Slurm <c>NAME-123.out</c> or
    /// <c>NAME-123_4.out</c>, Grid Engine <c>NAME.o123</c>/<c>NAME.e123</c> (array: <c>.o123.4</c>),
    /// local <c>NAME-local-7.out</c>.
    /// </summary>
    public static bool NamesPilot(string fileName, string pilotId)
    {
        var at = 0;
        while ((at = fileName.IndexOf(pilotId, at, StringComparison.Ordinal)) >= 0)
        {
            var before = at == 0 ? '\0' : fileName[at - 1];
            var after = at + pilotId.Length < fileName.Length ? fileName[at + pilotId.Length] : '\0';
            var startOk = before == '-' || (before is 'o' or 'e' && at >= 2 && fileName[at - 2] == '.');
            if (startOk && after is '\0' or '.')
            {
                return true;
            }

            at++;
        }

        return false;
    }

    [GeneratedRegex(@" \[([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\] \[hypershell\.")]
    private static partial Regex SystemStyleLine();
}

/// <summary>Records busy time and tasks run on the rows of pilots whose task time can still grow.</summary>
public static class TaskUsageRecorder
{
    /// <summary>Rows that ended longer ago than this are final: their tasks have long been written.</summary>
    public static readonly TimeSpan SettleAfter = TimeSpan.FromMinutes(30);

    public static async Task<string?> RecordAsync(IAccountingStore store, ITaskUsage usage, PoolOptions pool, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(pool);
        var rows = await store.PilotsWithTasksOpenAsync(pool.Name, now - SettleAfter, cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return null;
        }

        IReadOnlyDictionary<string, WorkerUsage> found;
        try
        {
            found = await usage.ReadAsync(rows, now, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TaskLogException or DemandSources.DemandException)
        {
            return $"cannot read busy time from {usage.Source}: {ex.Message}; asking again next tick";
        }

        var changed = new List<PilotRecord>();
        foreach (var row in rows)
        {
            if (found.TryGetValue(row.PilotId, out var w))
            {
                var next = row with { ClientId = w.ClientId, BusySeconds = Math.Round(w.BusySeconds, 3), Tasks = w.Tasks };
                if (next != row)
                {
                    changed.Add(next);
                }
            }
        }

        await store.SavePilotsAsync(changed, cancellationToken).ConfigureAwait(false);
        return null;
    }
}
