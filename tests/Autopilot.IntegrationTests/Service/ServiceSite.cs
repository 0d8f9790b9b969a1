using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Local;

namespace Autopilot.IntegrationTests.Service;

/// <summary>
/// A throw-away site for one `autopilot run`: a temp folder with a HyperShell SQLite task database
/// (pending tasks), a pilot script, a state directory and a configuration file. Disposing it
/// cancels every local pilot it started and deletes the folder.
/// </summary>
public sealed class ServiceSite : IDisposable
{
    public ServiceSite(string prefix, long pendingTasks)
    {
        Dir = Directory.CreateTempSubdirectory("ap-svc-").FullName;
        JobPrefix = TestServices.UniqueName(prefix);
        Database = Path.Combine(Dir, "main.db");
        HyperShellTestDatabase.CreateSqlite(Database);
        if (pendingTasks > 0)
        {
            HyperShellTestDatabase.InsertSqlite(Database, new HyperShellTaskBatch(HyperShellTaskState.Pending, pendingTasks));
        }

        Pilot = Path.Combine(Dir, "pilot.sh");
        File.WriteAllText(Pilot, "#!/bin/sh\n# test pilot: holds its slot, does nothing\nsleep 120\n");
        File.SetUnixFileMode(Pilot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ConfigPath = Path.Combine(Dir, "autopilot.toml");
    }

    public string Dir { get; }

    /// <summary>Unique per site, so pilots of parallel runs (and other tests) never mix.</summary>
    public string JobPrefix { get; }

    public string Database { get; }

    public string Pilot { get; }

    public string ConfigPath { get; }

    private readonly HashSet<string> _stateDirs = new(StringComparer.Ordinal);

    public string StateDir(string name = "state")
    {
        var dir = Path.Combine(Dir, name);
        _stateDirs.Add(dir);
        return dir;
    }

    /// <summary>
    /// A configuration: top-level keys, then one local pool per name reading the task database
    /// (tasks_per_pilot 5 by default, so a few pending tasks need one pilot and do not saturate the count).
    /// <paramref name="extraTop"/> and <paramref name="extraPool"/> are TOML lines added as given.
    /// </summary>
    public string Config(string stateDir, IReadOnlyList<string> pools, int maxPilots = 1, int tasksPerPilot = 5, string extraTop = "", string extraPool = "", string schedule = "*/1 * * * * *", string? scheduler = null) =>
        $$"""
        state_dir = "{{stateDir}}"
        schedule = "{{schedule}}"
        job_prefix = "{{JobPrefix}}"
        {{extraTop}}

        """ + string.Concat(pools.Select(pool => $$"""

        [[pool]]
        name = "{{pool}}"
        template = "{{Pilot}}"
        [pool.demand]
        kind = "hypershell"
        backend = "sqlite"
        path = "{{Database}}"
        [pool.scheduler]
        {{scheduler ?? "kind = \"local\""}}
        walltime = "00:30:00"
        drain_lead = "1m"
        [pool.limits]
        max_pilots = {{maxPilots}}
        tasks_per_pilot = {{tasksPerPilot}}
        {{extraPool}}

        """));

    public string WriteConfig(string text, string? path = null)
    {
        path ??= ConfigPath;
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        foreach (var stateDir in _stateDirs.Where(Directory.Exists))
        {
            try
            {
                var records = Path.Combine(stateDir, "local");
                if (!Directory.Exists(records))
                {
                    continue;
                }

                // The local scheduler keeps one folder of records per job name.
                var names = Directory.GetDirectories(records).Select(Path.GetFileName).OfType<string>().Where(n => n.StartsWith(JobPrefix, StringComparison.Ordinal)).ToList();
                var local = new LocalScheduler(stateDir);
                var pilots = local.ListAsync(new PilotQuery(names), default).GetAwaiter().GetResult();
                var mine = pilots.Where(p => p.State != PilotState.Finished).Select(p => p.Id).ToList();
                if (mine.Count > 0)
                {
                    local.CancelAsync(mine, default).GetAwaiter().GetResult();
                }
            }
            catch (SchedulerException)
            {
                // Best effort: the pilots end at their walltime anyway.
            }
        }

        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException)
        {
            // A pilot still writing its log; the temp folder is cleaned by the system.
        }
    }
}
