using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Engine;
using Autopilot.Monitoring;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.State;
using Microsoft.Extensions.Logging;

namespace Autopilot.Hosting;

/// <summary>
/// The composition root: the real parts a tick runs with (scheduler and demand-source factories,
/// the pilot script writer, the SQLite state store with alerts). The CLI, the service host and the
/// engine tests all wire through here.
/// </summary>
public static class Composition
{
    /// <summary>
    /// The real parts: the factories, the template renderer, the SQLite state store (sending the
    /// events it records to the alert command and webhook when [alerts] sets one), scheduler commands
    /// timed into <paramref name="metrics"/> when given.
    /// </summary>
    public static TickComponents Production(IProcessRunner runner, ILoggerFactory loggers, TimeProvider time, AlertOptions? alerts = null, AutopilotMetrics? metrics = null)
    {
        var schedulerRunner = metrics is null ? runner : new TimedProcessRunner(runner, metrics);
        return new(
            (scheduler, stateDir) => SchedulerFactory.Create(scheduler, schedulerRunner, stateDir, loggers, time),
            pool => DemandSourceFactory.Create(pool.Demand, runner, loggers, time),
            PilotScripts.Write,
            async (stateDir, ct) => await OpenStoreAsync(stateDir, alerts, runner, loggers, time, ct).ConfigureAwait(false),
            metrics);
    }

    /// <summary>The state store, with alerts when [alerts] sets a command or webhook.</summary>
    public static async Task<IStateStore> OpenStoreAsync(string stateDir, AlertOptions? alerts, IProcessRunner runner, ILoggerFactory loggers, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        var store = await SqliteStateStore.OpenAsync(stateDir, ct, loggers.CreateLogger<SqliteStateStore>(), time).ConfigureAwait(false);
        return alerts is { Enabled: true }
            ? new AlertingStateStore(store, new AlertSender(alerts, stateDir, runner, loggers.CreateLogger("Autopilot.Alerts"), time))
            : store;
    }
}
