using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Schedulers;
using Autopilot.State;

namespace Autopilot.Engine;

/// <summary>
/// The parts a tick is built from. Production wiring uses the factories; tests swap one seam
/// (a scheduler that fails, a fixed script) without touching the tick logic.
/// </summary>
public sealed record TickComponents(
    Func<SchedulerOptions, string, IScheduler> CreateScheduler,
    Func<PoolOptions, IDemandSource> CreateDemandSource,
    Func<AutopilotOptions, PoolOptions, string, string> WriteScript,
    Func<string, CancellationToken, Task<IStateStore>> OpenStore);
