using System.CommandLine;
using Autopilot.Configuration;
using Autopilot.Logging;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli.Commands;

/// <summary>
/// What every command does with the global options: load the configuration (the one way: commands
/// that run pools go through <see cref="CliContext.Load"/>, which calls this), set up logging.
/// </summary>
internal static class CliSupport
{
    public static LoadedConfig LoadConfig(ParseResult parseResult, bool checkSecrets = false) =>
        ConfigLoader.Load(new ConfigRequest
        {
            ConfigPath = parseResult.GetValue(GlobalOptions.Config),
            Overrides = parseResult.GetValue(GlobalOptions.Set) ?? [],
            CheckSecrets = checkSecrets,
        });

    public static ILoggerFactory CreateLogging(ParseResult parseResult, LoadedConfig config) =>
        AutopilotLogging.Create(config.Options.Log, config.Options.StateDir, parseResult.GetValue(GlobalOptions.Verbose), parseResult.GetValue(GlobalOptions.Quiet));

    /// <summary>Prints every configuration error, one per line, as <c>location: key: message</c>.</summary>
    public static void WriteErrors(TextWriter output, IEnumerable<ConfigError> errors)
    {
        foreach (var error in errors)
        {
            output.WriteLine(error.ToString());
        }
    }

    /// <summary>Printed by `check` and logged at every start when the effective user is root.</summary>
    public const string RootWarning =
        "running as root. Autopilot needs no privilege of its own: run it as the account that owns the pilots (a service account), so a mistake in a template, a bin_dir or the task database cannot act as root";

    /// <summary>For commands that need pools: why there are none.</summary>
    public static string NoPoolsMessage(LoadedConfig config) => config.Path is null
        ? $"no configuration file found (searched: {string.Join(", ", config.Searched)}); create one from autopilot.toml.example, pass --config FILE, or run `autopilot demo`"
        : $"{config.Path}: no [[pool]] defined";
}
