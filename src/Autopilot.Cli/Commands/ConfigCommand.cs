using System.CommandLine;
using Autopilot.Configuration;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot config`: the effective configuration (defaults, file, environment, --set merged), secrets masked.</summary>
internal static class ConfigCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of TOML" };
        var origin = new Option<bool>("--origin") { Description = "Show where each value comes from (file:line:col, env variable, --set, default)" };
        var command = new Command("config", "Print the effective configuration (defaults, file, environment and --set merged; secrets masked).\n\nExample: autopilot config --origin");
        command.Options.Add(json);
        command.Options.Add(origin);
        command.SetAction((parseResult, _) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var config = CliSupport.LoadConfig(parseResult);
            var withOrigins = parseResult.GetValue(origin) ? config : null;
            if (parseResult.GetValue(json))
            {
                output.Write(ConfigDump.ToJson(config.Options, withOrigins));
            }
            else
            {
                output.WriteLine(config.Path is null ? "# no configuration file found: embedded defaults" : $"# {config.Path}");
                output.Write(ConfigDump.ToToml(config.Options, withOrigins));
            }

            if (!config.IsValid)
            {
                CliSupport.WriteErrors(error, config.Errors);
                return Task.FromResult(CheckCommand.ExitInvalid);
            }

            return Task.FromResult(0);
        });
        return command;
    }
}
