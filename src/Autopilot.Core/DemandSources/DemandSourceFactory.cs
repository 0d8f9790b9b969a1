using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources;

/// <summary>Creates the demand source for a pool, through its kind in <see cref="DemandKinds"/>.</summary>
public static class DemandSourceFactory
{
    public static IDemandSource Create(DemandOptions options, IProcessRunner runner, ILoggerFactory loggers, TimeProvider time) =>
        DemandKinds.Of(options).Create(options, new DemandServices(runner, loggers, time));
}
