using System.CommandLine;

namespace Autopilot.Cli;

/// <summary>Options every command accepts (recursive on the root command).</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "Configuration file (default: $AUTOPILOT_CONFIG, ./autopilot.toml, ~/.config/autopilot/autopilot.toml, /etc/autopilot/autopilot.toml)",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log debug detail (each command run, each query)",
        Recursive = true,
    };

    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "Log warnings and errors only",
        Recursive = true,
    };

    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Override a configuration value, e.g. --set pool.main.limits.max_pilots=5 (repeatable)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };
}
