using System.CommandLine;

namespace Autopilot.Cli;

/// <summary>Every sub-command, in the order `autopilot --help` lists them. One line per command.</summary>
public static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        // Each command lives in Commands/<Name>Command.cs and exposes a static Build().
        yield return Commands.TickCommand.Build();
        yield return Commands.PlanCommand.Build();
        yield return Commands.JobsCommand.Build();
        yield return Commands.RunCommand.Build();
        yield return Commands.StatusCommand.Build();
        yield return Commands.EventsCommand.Build();
        yield return Commands.OperatorCommands.Pause();
        yield return Commands.OperatorCommands.Resume();
        yield return Commands.OperatorCommands.Drain();
        yield return Commands.DemoCommand.Build();
        yield return Commands.DemoWorkerCommand.Build();
        yield return Commands.CheckCommand.Build();
        yield return Commands.ConfigCommand.Build();
        yield return Commands.LogsCommand.Build();
        yield return Commands.KubectlExecCommand.Build();
        yield return Commands.WrapperCommand.Build();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Autopilot: scale pilot jobs on HPC schedulers to follow the work waiting in a task server.");
        root.Options.Add(GlobalOptions.Config);
        root.Options.Add(GlobalOptions.Verbose);
        root.Options.Add(GlobalOptions.Quiet);
        root.Options.Add(GlobalOptions.Set);
        foreach (var command in All())
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
