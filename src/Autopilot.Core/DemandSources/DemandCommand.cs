using Autopilot.Processes;

namespace Autopilot.DemandSources;

/// <summary>Runs the program a demand source reads (hq, a site command); a program that cannot be started is a <see cref="DemandException"/>.</summary>
internal static class DemandCommand
{
    /// <param name="source">The kind, leading the message.</param>
    /// <param name="hint">Appended to the message when the program cannot be started (e.g. which key names it).</param>
    public static async Task<ProcessResult> RunAsync(IProcessRunner runner, ProcessSpec spec, string source, string hint, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessFailedException ex)
        {
            throw new DemandException($"{source}: {ex.Message}{hint}", ex);
        }
    }
}
