using Autopilot.Cli;

return await CommandCatalog.BuildRoot().Parse(args).InvokeAsync();
