using System.CommandLine;
using Autopilot.Cli.Commands;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Engine;
using Autopilot.Hosting;
using Autopilot.Logging;
using Autopilot.Monitoring;
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
        var loaded = CliSupport.LoadConfig(parse);
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
            return [CliSupport.NoPoolsMessage(loaded)];
        }

        return [.. TrustedFiles.Check(loaded).Select(e => e.ToString())];
    }

    public IProcessRunner Runner() => new ProcessRunner(Loggers.CreateLogger<ProcessRunner>(), Time);

    /// <summary>The real parts for <paramref name="options"/> (default: the loaded ones): alerts from its [alerts], metrics when given.</summary>
    public TickComponents Components(AutopilotOptions? options = null, AutopilotMetrics? metrics = null) =>
        Composition.Production(Runner(), Loggers, Time, (options ?? Options).Alerts, metrics);

    public TickEngine Engine(AutopilotOptions? options = null, AutopilotMetrics? metrics = null) =>
        new(options ?? Options, Components(options, metrics), Time, Loggers.CreateLogger<TickEngine>());

    public ManualControl Manual()
    {
        var components = Components();
        return new ManualControl(Options, components, new TickEngine(Options, components, Time, Loggers.CreateLogger<TickEngine>()), Time);
    }

    /// <summary>The metrics a command keeps: null when neither the endpoint nor the textfile is configured.</summary>
    public AutopilotMetrics? Metrics(AutopilotOptions? options = null, bool endpoint = false)
    {
        var m = (options ?? Options).Metrics;
        if (!(endpoint && m.Enabled) && m.TextfileDir is null)
        {
            return null;
        }

        var metrics = new AutopilotMetrics(m.TextfileDir is null ? null : PathExpander.Expand(m.TextfileDir));
        if (metrics.TextfileDir is not null)
        {
            metrics.ContinueFrom(Path.Combine(metrics.TextfileDir, AutopilotMetrics.TextfileName));
            // A pool removed while nothing ran must not come back with `run`'s start.
            metrics.KeepPoolsOf(options ?? Options);
        }

        return metrics;
    }

    /// <summary>The state store, for the commands that read or change it outside a tick.</summary>
    public Task<SqliteStateStore> OpenStoreAsync(CancellationToken cancellationToken) =>
        SqliteStateStore.OpenAsync(StateDir, cancellationToken, Loggers.CreateLogger<SqliteStateStore>(), Time);

    /// <summary>The state store for a command that records events (pause, resume, drain, ...): alerts sent as in a tick.</summary>
    public Task<IStateStore> OpenRecordingStoreAsync(CancellationToken cancellationToken) =>
        Composition.OpenStoreAsync(StateDir, Options.Alerts, Runner(), Loggers, Time, cancellationToken);

    public void Dispose() => Loggers.Dispose();
}
