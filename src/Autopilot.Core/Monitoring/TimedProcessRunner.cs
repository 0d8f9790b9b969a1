using Autopilot.Processes;

namespace Autopilot.Monitoring;

/// <summary>Times every command of a scheduler adapter into autopilot_scheduler_command_duration_seconds{command}.</summary>
public sealed class TimedProcessRunner(IProcessRunner inner, AutopilotMetrics metrics) : IProcessRunner
{
    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await inner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            metrics.ObserveCommand(spec.FileName, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }
}
