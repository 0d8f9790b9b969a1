using System.CommandLine;
using Autopilot.Cli.Commands;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Engine;
using Autopilot.Logging;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Security;
using Autopilot.State;
using Autopilot.Templates;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli;

/// <summary>
/// The composition root shared by the commands: loads the configuration (exit 2 with every
/// error when invalid), sets up logging, and wires the real schedulers, sources and store.
/// </summary>
public sealed class CliContext : IDisposable
{
    private CliContext(LoadedConfig config, Serilog.Core.Logger log, TextWriter stdout, TextWriter stderr)
    {
        Config = config;
        Log = log;
        Loggers = new Serilog.Extensions.Logging.SerilogLoggerFactory(log, dispose: true);
        Out = stdout;
        Err = stderr;
    }

    public LoadedConfig Config { get; }

    public AutopilotOptions Options => Config.Options;

    public ILoggerFactory Loggers { get; }

    /// <summary>The Serilog logger behind <see cref="Loggers"/> (the host of `run` logs through it).</summary>
    public Serilog.ILogger Log { get; }

    public TextWriter Out { get; }

    public TextWriter Err { get; }

    public TimeProvider Time { get; } = TimeProvider.System;

    public string StateDir => PathExpander.Expand(Options.StateDir);

    /// <summary>Loads the configuration for a command. Returns null (after printing every error) when it is invalid.</summary>
    public static CliContext? Load(ParseResult parse, bool requirePools = true)
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        StartupClock.Mark("command line");
        var loaded = ConfigLoader.Load(new ConfigRequest
        {
            ConfigPath = parse.GetValue(GlobalOptions.Config),
            Overrides = parse.GetValue(GlobalOptions.Set) ?? [],
        });
        var problems = StartProblems(loaded, requirePools);
        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                stderr.WriteLine(problem);
            }

            if (loaded.Errors.Count > 0)
            {
                stderr.WriteLine($"configuration invalid: {loaded.Errors.Count} error(s)");
            }

            return null;
        }

        var stateDir = PathExpander.Expand(loaded.Options.StateDir);
        try
        {
            StateDirectory.Secure(stateDir);
        }
        catch (UnsafeStateException ex)
        {
            stderr.WriteLine(ex.Message);
            return null;
        }

        StartupClock.Mark("configuration");
        var log = AutopilotLogging.CreateLogger(
            loaded.Options.Log,
            stateDir,
            parse.GetValue(GlobalOptions.Verbose),
            parse.GetValue(GlobalOptions.Quiet));
        // Not under -q (cron): MAILTO mails what needs a person now, not the same advice every minute;
        // every interactive start and `check` still say it.
        if (UnixFile.IsRoot && !parse.GetValue(GlobalOptions.Quiet))
        {
            log.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Autopilot.Cli").Warning("{Warning}", CliSupport.RootWarning);
        }

        StartupClock.Mark("logging");
        return new CliContext(loaded, log, stdout, stderr);
    }

    /// <summary>
    /// Why a loaded configuration cannot start a command (empty: it can): every error, no pool when
    /// the command needs one, or a file another user could change. `run` applies the same to a
    /// SIGHUP reload.
    /// </summary>
    public static IReadOnlyList<string> StartProblems(LoadedConfig loaded, bool requirePools = true)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (loaded.Errors.Count > 0)
        {
            return [.. loaded.Errors.Select(e => e.ToString())];
        }

        if (requirePools && loaded.Options.Pools.Count == 0)
        {
            return [loaded.Path is null
                ? $"no configuration file found (searched: {string.Join(", ", loaded.Searched)}); pass --config or run `autopilot demo`"
                : $"{loaded.Path}: no [[pool]] defined"];
        }

        return [.. TrustedFiles.Check(loaded).Select(e => e.ToString())];
    }

    public IProcessRunner Runner() => new ProcessRunner(Loggers.CreateLogger<ProcessRunner>(), Time);

    public TickComponents Components() => Production(Runner(), Loggers, Time);

    public TickEngine Engine(AutopilotOptions? options = null) =>
        new(options ?? Options, Components(), Time, Loggers.CreateLogger<TickEngine>());

    public ManualControl Manual()
    {
        var components = Components();
        return new ManualControl(Options, components, new TickEngine(Options, components, Time, Loggers.CreateLogger<TickEngine>()), Time);
    }

    /// <summary>The real parts: the factories, the template renderer, the SQLite state store.</summary>
    public static TickComponents Production(IProcessRunner runner, ILoggerFactory loggers, TimeProvider time) =>
        new(
            (scheduler, stateDir) => SchedulerFactory.Create(scheduler, runner, stateDir, loggers, time),
            pool => DemandSourceFactory.Create(pool.Demand, runner, loggers, time),
            PilotScripts.Write,
            async (stateDir, ct) => await SqliteStateStore.OpenAsync(stateDir, ct, loggers.CreateLogger<SqliteStateStore>(), time).ConfigureAwait(false));

    /// <summary>The state store, for the commands that read or change it outside a tick.</summary>
    public Task<SqliteStateStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        SqliteStateStore.OpenAsync(StateDir, cancellationToken, Loggers.CreateLogger<SqliteStateStore>(), Time);

    public void Dispose() => Loggers.Dispose();
}
