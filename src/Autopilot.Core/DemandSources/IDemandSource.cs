namespace Autopilot.DemandSources;

/// <summary>
/// Where a pool's work waits (HyperShell, PiCaS, HyperQueue, an SQL query, a command).
/// A source that cannot be read throws <see cref="DemandException"/>: never "zero demand".
/// Sources hold no connection between calls.
/// </summary>
public interface IDemandSource
{
    /// <summary>Short description for logs and <c>plan</c>, without secrets (e.g. "hypershell sqlite /data/main.db").</summary>
    string Describe();

    /// <summary>
    /// Measures the demand. Counting may stop at <paramref name="saturation"/> tasks (then
    /// <see cref="Domain.Demand.Saturated"/> is true): the pool cannot use more.
    /// </summary>
    Task<Domain.Demand> MeasureAsync(long saturation, CancellationToken cancellationToken);
}

/// <summary>The demand could not be read; the message says which source and why, with no secret in it.</summary>
public sealed class DemandException(string message, Exception? inner = null) : Exception(message, inner);
