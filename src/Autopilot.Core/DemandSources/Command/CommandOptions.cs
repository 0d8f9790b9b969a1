using Autopilot.Configuration;

namespace Autopilot.DemandSources.Command;

/// <summary>[pool.demand] kind = "command": a program that prints the number of tasks.</summary>
public sealed record CommandOptions : DemandOptions
{
    public override string Kind => DemandKinds.Command.Name;

    /// <summary>The program and its arguments.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    internal static CommandOptions Bind(SectionReader r, bool chosen)
    {
        var d = new CommandOptions();
        var options = new CommandOptions
        {
            Timeout = BindTimeout(r, d),
            Command = r.StringList("command", d.Command),
        };
        if (chosen && options.Command.Count == 0)
        {
            r.Error("command", "the command demand source needs a command (an array: program and arguments)");
        }

        return options;
    }
}
