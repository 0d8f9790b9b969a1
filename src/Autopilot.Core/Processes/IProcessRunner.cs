namespace Autopilot.Processes;

/// <summary>Runs external commands (scheduler CLIs, kubectl, ssh, command demand sources).</summary>
public interface IProcessRunner
{
    /// <summary>
    /// Runs the command to completion. A non-zero exit is returned, not thrown; a command that cannot
    /// be started (not found, not executable) throws <see cref="ProcessFailedException"/>; cancellation
    /// kills the process tree and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken);
}
