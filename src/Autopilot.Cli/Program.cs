using System.CommandLine;
using Autopilot.Cli;

StartupClock.Begin();
var parse = CommandCatalog.BuildFor(args).Parse(args);

// System.CommandLine ends the process 2 s after SIGTERM/SIGINT unless told otherwise. That would cut a
// tick in the middle of an sbatch and leave a pilot in the queue that no event records. `run` stops
// through the host (which handles the signals itself and lets the tick in progress finish within its
// shutdown timeout); `tick` gets as long as a submission may take to stop at a safe point.
// `kubectl-exec` waits for its helper, which has the terminal and gets the Ctrl-C itself.
var terminationTimeout = parse.CommandResult.Command.Name switch
{
    "run" or "kubectl-exec" => (TimeSpan?)null,
    "tick" => TimeSpan.FromSeconds(80),
    _ => TimeSpan.FromSeconds(2),
};
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = terminationTimeout });
