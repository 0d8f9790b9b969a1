using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.Command;

/// <summary>
/// Demand from any executable that prints one non-negative number on stdout (surrounding
/// whitespace ignored). A fraction is rounded up: half a task still needs a pilot.
/// </summary>
public sealed class CommandDemandSource : IDemandSource
{
    private readonly CommandOptions _options;
    private readonly IProcessRunner _runner;
    private readonly ILogger _logger;

    public CommandDemandSource(CommandOptions options, IProcessRunner runner, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Command.Count == 0 || string.IsNullOrWhiteSpace(options.Command[0]))
        {
            throw new DemandException("command: demand.command is empty; give the program and its arguments as an array, e.g. command = [\"/opt/site/queue-length\", \"--queue\", \"main\"]");
        }

        _options = options;
        _runner = runner;
        _logger = logger;
    }

    public string Describe() => $"command {Spec().Display()}";

    public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
    {
        var spec = Spec();
        var result = await DemandCommand.RunAsync(_runner, spec, DemandKinds.Command.Name, "", cancellationToken).ConfigureAwait(false);

        if (!result.Succeeded)
        {
            throw new DemandException($"command: {result.Describe()}");
        }

        var text = result.StandardOutput.Trim();
        if (text.Length == 0)
        {
            throw new DemandException($"command: `{spec.Display()}` printed nothing; expected one non-negative number{Stderr(result)}");
        }

        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var number))
        {
            throw new DemandException($"command: `{spec.Display()}` printed '{Shorten(text)}'; expected one non-negative number{Stderr(result)}");
        }

        if (number < 0)
        {
            throw new DemandException($"command: `{spec.Display()}` printed a negative number ({text}); expected one non-negative number");
        }

        if (number > long.MaxValue)
        {
            throw new DemandException($"command: `{spec.Display()}` printed {Shorten(text)}, too large");
        }

        var tasks = (long)decimal.Ceiling(number);
        _logger.LogDebug("command: {Command} printed {Tasks}", spec.Display(), tasks);
        return Demand.Of(tasks, new DemandMeasure("command", tasks));
    }

    private ProcessSpec Spec() =>
        new(PathExpander.Expand(_options.Command[0]), _options.Command.Skip(1).ToArray(), Timeout: _options.Timeout, MaxOutputBytes: 64 * 1024);

    private static string Stderr(ProcessResult result)
    {
        var lines = result.StandardError.Trim().Split('\n', 6);
        var head = string.Join(" | ", lines.Take(5).Select(l => l.TrimEnd('\r')));
        return head.Length == 0 ? "" : $" (stderr: {Shorten(head)})";
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= 200 ? text : text[..200] + "...";
    }
}
