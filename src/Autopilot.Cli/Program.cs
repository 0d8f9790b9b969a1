using Autopilot.Cli;

StartupClock.Begin();
return await CommandCatalog.BuildFor(args).Parse(args).InvokeAsync();
