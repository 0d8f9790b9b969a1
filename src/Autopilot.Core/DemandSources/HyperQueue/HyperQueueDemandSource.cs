using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.HyperQueue;

/// <summary>
/// Demand from a HyperQueue server: waiting plus running tasks of the jobs that still have any,
/// read with <c>hq --server-dir DIR --output-mode json job list --filter waiting,running</c>.
/// Running tasks count because their workers live in our pilots; dropping them would cancel
/// the pilots doing the work.
/// </summary>
public sealed class HyperQueueDemandSource(HyperQueueOptions options, IProcessRunner runner, ILogger logger) : IDemandSource
{
    private readonly HyperQueueOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    public string Describe() =>
        _options.ServerDir is { Length: > 0 } dir ? $"hyperqueue {_options.Hq} --server-dir {dir}" : $"hyperqueue {_options.Hq}";

    /// <summary>The command run for one measurement (exposed for tests and <c>check</c>).</summary>
    public ProcessSpec Command()
    {
        var args = new List<string>();
        if (!string.IsNullOrWhiteSpace(_options.ServerDir))
        {
            args.Add("--server-dir");
            args.Add(PathExpander.Expand(_options.ServerDir));
        }

        // `job list` with this filter lists exactly the jobs HQ calls waiting or running
        // (any task waiting or running); finished jobs can only add zeros.
        args.AddRange(["--output-mode", "json", "job", "list", "--filter", "waiting,running"]);
        return new ProcessSpec(PathExpander.Expand(_options.Hq), args, Timeout: _options.Timeout, MaxOutputBytes: 64 * 1024 * 1024);
    }

    public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
    {
        var spec = Command();
        var result = await DemandCommand.RunAsync(runner, spec, DemandKinds.HyperQueue.Name, " (set demand.hq to the hq executable)", cancellationToken).ConfigureAwait(false);

        if (result.TimedOut)
        {
            throw new DemandException($"hyperqueue: {result.Describe()} (demand.timeout)");
        }

        if (result.OutputTruncated)
        {
            throw new DemandException($"hyperqueue: `{spec.Display()}` printed more than {spec.MaxOutputBytes} bytes; the job list was cut");
        }

        if (result.ExitCode != 0)
        {
            // HQ prints {"error": "..."} on stdout in JSON mode; stderr may be empty.
            var said = TryError(result.StandardOutput);
            throw new DemandException(said is null ? $"hyperqueue: {result.Describe()}" : $"hyperqueue: {result.Describe()}; hq said: {said}");
        }

        HyperQueueTaskCounts counts;
        try
        {
            counts = HyperQueueJobList.Parse(result.StandardOutput);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new DemandException($"hyperqueue: `{spec.Display()}` printed a job list that cannot be read: {ex.Message}", ex);
        }

        logger.LogDebug("hyperqueue: {Jobs} jobs, {Waiting} waiting, {Running} running", counts.Jobs, counts.Waiting, counts.Running);
        return Demand.Of(
            checked(counts.Waiting + counts.Running),
            new DemandMeasure("waiting", counts.Waiting),
            new DemandMeasure("running", counts.Running),
            new DemandMeasure("jobs", counts.Jobs));
    }

    private static string? TryError(string stdout)
    {
        try
        {
            HyperQueueJobList.Parse(stdout);
            return null;
        }
        catch (FormatException ex) when (ex.Message.StartsWith("hq reported an error: ", StringComparison.Ordinal))
        {
            return ex.Message["hq reported an error: ".Length..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
