using System.CommandLine;

namespace Autopilot.Cli;

/// <summary>Every sub-command, in the order `autopilot --help` lists them. One line per command.</summary>
public static class CommandCatalog
{
    // Each command lives in Commands/<Name>Command.cs and exposes a static Build(); the name is
    // repeated here so that a run of one command builds only that one (a test keeps them equal).
    private static readonly (string Name, Func<Command> Build)[] Entries =
    [
        ("tick", Commands.TickCommand.Build),
        ("plan", Commands.PlanCommand.Build),
        ("jobs", Commands.JobsCommand.Build),
        ("run", Commands.RunCommand.Build),
        ("status", Commands.StatusCommand.Build),
        ("events", Commands.EventsCommand.Build),
        ("report", Commands.ReportCommand.Build),
        ("pause", Commands.OperatorCommands.Pause),
        ("resume", Commands.OperatorCommands.Resume),
        ("drain", Commands.OperatorCommands.Drain),
        ("submit", Commands.SubmitCommand.Build),
        ("cancel", Commands.CancelCommand.Build),
        ("picas", Commands.PicasCommand.Build),
        ("demo", Commands.DemoCommand.Build),
        ("demo-worker", Commands.DemoWorkerCommand.Build),
        ("check", Commands.CheckCommand.Build),
        ("config", Commands.ConfigCommand.Build),
        ("logs", Commands.LogsCommand.Build),
        ("kubectl-exec", Commands.KubectlExecCommand.Build),
        ("wrapper", Commands.WrapperCommand.Build),
    ];

    /// <summary>The command names, in catalog order.</summary>
    public static IEnumerable<string> Names()
    {
        foreach (var (name, _) in Entries)
        {
            yield return name;
        }
    }

    public static IEnumerable<Command> All()
    {
        foreach (var (_, build) in Entries)
        {
            yield return build();
        }
    }

    public static RootCommand BuildRoot() => Root(All());

    /// <summary>
    /// The root for these arguments: when the first one names a command, the root holds only that
    /// command (it parses, runs and prints help exactly as with all of them); otherwise every command.
    /// Building all of them costs each cron `autopilot tick` several milliseconds of start-up.
    /// </summary>
    public static RootCommand BuildFor(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count > 0)
        {
            foreach (var (name, build) in Entries)
            {
                if (string.Equals(name, args[0], StringComparison.Ordinal))
                {
                    return Root([build()]);
                }
            }
        }

        return BuildRoot();
    }

    private static RootCommand Root(IEnumerable<Command> commands)
    {
        var root = new RootCommand("Autopilot: scale pilot jobs on HPC schedulers to follow the work waiting in a task server.");
        root.Options.Add(GlobalOptions.Config);
        root.Options.Add(GlobalOptions.Verbose);
        root.Options.Add(GlobalOptions.Quiet);
        root.Options.Add(GlobalOptions.Set);
        foreach (var command in commands)
        {
            GuardedAction.Apply(command);
            root.Subcommands.Add(command);
        }

        return root;
    }
}
