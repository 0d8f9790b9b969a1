using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Schedulers;
using Autopilot.State;

namespace Autopilot.Engine;

/// <summary>
/// The parts a tick is built from. Production wiring uses the factories; tests swap one seam
/// (a scheduler that fails, a fixed script) without touching the tick logic.
/// </summary>
/// <param name="Metrics">Fed with every tick's report, and its textfile written, when metrics are on; null: off.</param>
/// <param name="CreateAccounting">The scheduler accounting reader that completes pilot rows (null, or returning null: rows keep the ticks' view).</param>
/// <param name="CreateTaskUsage">The busy-time reader of a pool's task server, given the pool and the state directory (null, or returning null: busy time not recorded).</param>
public sealed record TickComponents(
    Func<SchedulerOptions, string, IScheduler> CreateScheduler,
    Func<PoolOptions, IDemandSource> CreateDemandSource,
    Func<AutopilotOptions, PoolOptions, string, string> WriteScript,
    Func<string, CancellationToken, Task<IStateStore>> OpenStore,
    Autopilot.Monitoring.AutopilotMetrics? Metrics = null,
    Func<SchedulerOptions, IJobAccounting?>? CreateAccounting = null,
    Func<PoolOptions, string, Accounting.ITaskUsage?>? CreateTaskUsage = null);
