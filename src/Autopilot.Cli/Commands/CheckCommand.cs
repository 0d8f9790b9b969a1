using System.CommandLine;
using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Security;
using Autopilot.State;
using Autopilot.Templates;
using Microsoft.Extensions.Logging;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot check`: the configuration, each pool's scheduler commands and template, optionally its demand source.</summary>
internal static class CheckCommand
{
    public const int ExitValid = 0;
    public const int ExitInvalid = 2;

    public static Command Build()
    {
        var connect = new Option<bool>("--connect")
        {
            Description = "Also ask each pool's demand source for its current demand, and test each remote pool's ssh connection, commands and listing",
        };
        var submitTest = new Option<string?>("--submit-test")
        {
            Description = "Also render each pool's pilot script (or POOL's) and ask the scheduler to validate one submission without running it",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "POOL",
        };
        var command = new Command("check", "Validate the configuration, scheduler commands, pilot templates and site wrappers (exit 0 valid, 2 invalid).\n\nExample: autopilot check --connect --submit-test main");
        command.Options.Add(connect);
        command.Options.Add(submitTest);
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult,
            parseResult.GetValue(connect),
            parseResult.GetResult(submitTest) is null ? null : new SubmitTestRequest(parseResult.GetValue(submitTest)),
            cancellationToken));
        return command;
    }

    /// <summary>`--submit-test [POOL]`: every enabled pool, or the one named.</summary>
    private sealed record SubmitTestRequest(string? Pool);

    private static async Task<int> RunAsync(ParseResult parseResult, bool connect, SubmitTestRequest? submitTest, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var config = CliSupport.LoadConfig(parseResult, checkSecrets: true);
        var problems = new List<ConfigError>(config.Errors);
        if (UnixFile.IsRoot)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync("warning: " + CliSupport.RootWarning).ConfigureAwait(false);
        }

        problems.AddRange(TrustedFiles.Check(config));
        var logConfig = CheckStateDir(config, problems);
        var warnings = new List<ConfigError>();
        var summaries = new List<string>();
        using var loggers = CliSupport.CreateLogging(parseResult, logConfig);
        var runner = new ProcessRunner(loggers.CreateLogger<ProcessRunner>());
        var options = config.Options;
        var environmentPath = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (submitTest?.Pool is { } wanted && options.Pools.All(p => p.Name != wanted))
        {
            problems.Add(new ConfigError(config.Path ?? "default", "", $"--submit-test: no pool named '{wanted}' (pools: {string.Join(", ", options.Pools.Select(p => p.Name))})"));
        }

        for (var i = 0; i < options.Pools.Count; i++)
        {
            var pool = options.Pools[i];
            var key = $"pool:{i}";
            string Where(string k) => LocationOf(config, k);
            var jobName = $"{options.JobPrefix}-{pool.Name}";

            // A kind the configuration already rejected would only be reported twice.
            var schedulerKindBad = config.Errors.Any(e => e.Key.Equals(key + ":scheduler:kind", StringComparison.OrdinalIgnoreCase));
            var demandKindBad = config.Errors.Any(e => e.Key.Equals(key + ":demand:kind", StringComparison.OrdinalIgnoreCase));

            var commandText = CheckScheduler(config, pool, key, jobName, schedulerKindBad, runner, loggers, environmentPath, problems, warnings);
            if (!schedulerKindBad && pool.Scheduler.Ssh is not null && SchedulerKinds.Find(pool.Scheduler.Kind) is { Commands: var remoteCommands })
            {
                commandText = await CheckRemoteAsync(pool, key, connect, remoteCommands, runner, loggers, options, problems, warnings, Where, cancellationToken).ConfigureAwait(false);
            }

            var templatePath = CheckTemplates(config, pool, key, problems);
            var demandText = await CheckDemandAsync(config, pool, key, demandKindBad, connect, runner, loggers, problems, cancellationToken).ConfigureAwait(false);

            var submitTestLine = "";
            if (submitTest is not null && !schedulerKindBad && templatePath is not null
                && (submitTest.Pool is null ? pool.Enabled : submitTest.Pool == pool.Name)
                && !problems.Any(p => p.Key.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)))
            {
                var verdict = await TestSubmitAsync(options, pool, runner, loggers, cancellationToken).ConfigureAwait(false);
                if (verdict.Ok)
                {
                    submitTestLine = $"; submit test: {verdict.Message}";
                }
                else
                {
                    var settingKey = key + (pool.Scheduler.Queue is null ? ":scheduler:kind" : ":scheduler:queue");
                    problems.Add(new ConfigError(Where(settingKey), key + ":scheduler", $"submit test refused by {pool.Scheduler.Kind}: {verdict.Message}"));
                }
            }

            CheckIdleTimeout(config, pool, key, warnings);
            summaries.Add(Summary(pool, jobName, demandText, templatePath, submitTestLine, commandText));
        }

        CheckAlerts(config, problems, environmentPath);

        return Report(output, config, problems, warnings, summaries);
    }

    /// <summary>The state folder, when it exists, must be safe; returns the configuration to log with (no log file when it is not).</summary>
    private static LoadedConfig CheckStateDir(LoadedConfig config, List<ConfigError> problems)
    {
        var stateDir = PathExpander.Expand(config.Options.StateDir);
        var logConfig = config;
        try
        {
            if (Directory.Exists(stateDir))
            {
                StateDirectory.Verify(stateDir);
            }
        }
        catch (UnsafeStateException ex)
        {
            problems.Add(new ConfigError(config.LocationOf("state_dir"), "state_dir", ex.Message));

            // Log files would go into the folder just refused (where a planted link would be followed).
            logConfig = config with { Options = config.Options with { Log = config.Options.Log with { File = false } } };
        }

        return logConfig;
    }

    /// <summary>The pool's scheduler: the adapter's rules for its settings, then its commands; returns the "; runs ..." part of its summary.</summary>
    private static string CheckScheduler(
        LoadedConfig config, PoolOptions pool, string key, string jobName, bool schedulerKindBad, ProcessRunner runner, ILoggerFactory loggers,
        string environmentPath, List<ConfigError> problems, List<ConfigError> warnings)
    {
        var options = config.Options;
        string Where(string k) => LocationOf(config, k);
        // Scheduler: the adapter's own rules, then its commands on PATH.
        try
        {
            if (schedulerKindBad)
            {
                throw new SkipCheck();
            }

            var scheduler = SchedulerFactory.Create(pool.Scheduler, runner, options.StateDir, loggers, TimeProvider.System);
            foreach (var problem in scheduler.ValidateSettings(pool.Scheduler, jobName))
            {
                var settingKey = problem.ConfigKey(key);
                if (config.Errors.Any(e => e.Key.Equals(settingKey, StringComparison.OrdinalIgnoreCase)))
                {
                    continue; // Loading already refused this setting (extra_args rules): once is enough.
                }

                problems.Add(new ConfigError(Where(settingKey), settingKey, $"{pool.Scheduler.Kind}: {problem.Message}"));
            }
        }
        catch (SkipCheck)
        {
        }
        catch (Exception ex) when (ex is ArgumentException or NotImplementedException or NotSupportedException or InvalidOperationException)
        {
            problems.Add(new ConfigError(Where(key + ":scheduler:kind"), key + ":scheduler:kind",
                $"scheduler '{pool.Scheduler.Kind}' is not available: {Plain(ex)}"));
        }

        var commandText = "";
        // A remote pool's commands are on its host: CheckRemoteAsync looks there.
        if (!schedulerKindBad && pool.Scheduler.Ssh is null && SchedulerKinds.Find(pool.Scheduler.Kind) is { Commands: var commands })
        {
            var found = new List<string>();
            foreach (var command in commands)
            {
                var path = FindCommand(command.Name, pool.Scheduler.BinDir, environmentPath);
                var where = pool.Scheduler.BinDir is null ? "on PATH" : $"in bin_dir {pool.Scheduler.BinDir}";
                if (path is not null)
                {
                    found.Add(path);
                }
                else if (command.WithoutIt is null)
                {
                    problems.Add(new ConfigError(Where(key + ":scheduler:kind"), key + ":scheduler:kind",
                        $"command '{command.Name}' (needed by the {pool.Scheduler.Kind} scheduler) is not {where}"));
                }
                else
                {
                    warnings.Add(new ConfigError(Where(key + ":scheduler:kind"), key + ":scheduler:kind", $"command '{command.Name}' is not {where}: {command.WithoutIt}"));
                }
            }

            commandText = found.Count > 0 ? $"; runs {string.Join(' ', found)}" : "";
        }
        return commandText;
    }

    /// <summary>
    /// A remote pool's commands live on its host: without --connect they are not looked for (a note
    /// says so); with it, one ssh call proves the connection and host key and finds each command, and
    /// the pool's listing is read through ssh as a tick reads it.
    /// </summary>
    private static async Task<string> CheckRemoteAsync(
        PoolOptions pool, string key, bool connect, IReadOnlyList<SchedulerCommand> commands, IProcessRunner runner, ILoggerFactory loggers, AutopilotOptions options,
        List<ConfigError> problems, List<ConfigError> warnings, Func<string, string> where, CancellationToken cancellationToken)
    {
        var sshKey = key + ":scheduler:ssh";
        var target = Autopilot.Remote.SshProcessRunner.Describe(pool.Scheduler.Ssh!);
        if (!connect)
        {
            warnings.Add(new ConfigError(where(sshKey), sshKey, $"the scheduler commands run on {target} over ssh: run `check --connect` to test the connection and look for them there"));
            return $"; over ssh on {target}";
        }

        var stateDir = PathExpander.Expand(options.StateDir);
        Autopilot.Remote.RemoteCheckResult check;
        try
        {
            check = await Autopilot.Remote.RemoteCheck.RunAsync(pool.Scheduler, runner, stateDir, commands.Select(c => c.Name).ToList(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or ProcessFailedException)
        {
            problems.Add(new ConfigError(where(sshKey), sshKey, ex.Message));
            return "";
        }

        if (check.Error is not null)
        {
            problems.Add(new ConfigError(where(sshKey), sshKey, $"cannot run commands on {check.Target}: {check.Error}"));
            return "";
        }

        var place = pool.Scheduler.BinDir is null ? $"on {check.Target}'s PATH" : $"in bin_dir {pool.Scheduler.BinDir} on {check.Target}";
        foreach (var command in commands.Where(c => check.Missing.Contains(c.Name)))
        {
            var list = command.WithoutIt is null ? problems : warnings;
            list.Add(new ConfigError(where(key + ":scheduler:kind"), key + ":scheduler:kind",
                $"command '{command.Name}' (needed by the {pool.Scheduler.Kind} scheduler) is not {place}{(command.WithoutIt is null ? "" : ": " + command.WithoutIt)}"));
        }

        // The listing a tick makes, through the same connection: the scheduler answers over ssh.
        var listing = "";
        try
        {
            var scheduler = SchedulerFactory.Create(pool.Scheduler, runner, stateDir, loggers, TimeProvider.System);
            var pilots = await scheduler.ListAsync(new PilotQuery([$"{options.JobPrefix}-{pool.Name}"], User: pool.Scheduler.Ssh!.User), cancellationToken).ConfigureAwait(false);
            listing = $", listing answered ({pilots.Count} pilot(s))";
        }
        catch (Exception ex) when (ex is SchedulerException or ArgumentException)
        {
            problems.Add(new ConfigError(where(sshKey), sshKey, $"listing pilots on {check.Target} failed: {ex.Message}"));
        }

        return $"; over ssh on {check.Target} (connected{listing}): runs {string.Join(' ', check.Found.Select(f => f.Path))}";
    }

    /// <summary>The pool's template and site wrapper; returns the template's path, or null when it is not found.</summary>
    private static string? CheckTemplates(LoadedConfig config, PoolOptions pool, string key, List<ConfigError> problems)
    {
        var options = config.Options;
        string Where(string k) => LocationOf(config, k);
        // Template: found, and renders with this pool's values.
        string? templatePath = null;
        try
        {
            templatePath = TemplateRenderer.Resolve(pool.Template, options.TemplateDir);
            TemplateRenderer.Render(templatePath, TemplateValues.For(options, pool), options.TemplateDir);
        }
        catch (TemplateException ex)
        {
            var location = ex.Line > 0 ? $"{ex.Path}:{ex.Line}:{ex.Column}" : Where(key + ":template");
            var message = ex.Line > 0 && ex.Message.StartsWith(location + ": ", StringComparison.Ordinal) ? ex.Message[(location.Length + 2)..] : ex.Message;
            problems.Add(new ConfigError(location, key + ":template", message));
        }

        // Site wrapper (optional): found, and renders with this pool's values.
        if (pool.Wrapper is not null)
        {
            try
            {
                Wrappers.SiteWrapper.Render(options, pool);
            }
            catch (TemplateException ex)
            {
                var location = ex.Line > 0 ? $"{ex.Path}:{ex.Line}:{ex.Column}" : Where(key + ":wrapper");
                var message = ex.Line > 0 && ex.Message.StartsWith(location + ": ", StringComparison.Ordinal) ? ex.Message[(location.Length + 2)..] : ex.Message;
                problems.Add(new ConfigError(location, key + ":wrapper", message));
            }
        }
        return templatePath;
    }

    /// <summary>The pool's demand source: its kind is available; with --connect, it answers. Returns its description.</summary>
    private static async Task<string> CheckDemandAsync(
        LoadedConfig config, PoolOptions pool, string key, bool demandKindBad, bool connect, ProcessRunner runner, ILoggerFactory loggers,
        List<ConfigError> problems, CancellationToken cancellationToken)
    {
        string Where(string k) => LocationOf(config, k);
        // Demand source: the kind is available; with --connect, it answers.
        string demandText = pool.Demand.Kind;
        try
        {
            if (demandKindBad)
            {
                throw new SkipCheck();
            }

            var source = DemandSourceFactory.Create(pool.Demand, runner, loggers, TimeProvider.System);
            demandText = source.Describe();
            if (connect)
            {
                var demand = await DemandKind.ProbeAsync(source, pool.Demand, cancellationToken).ConfigureAwait(false);
                demandText += $" (answered: demand {demand.Tasks}{(demand.Saturated ? "+" : "")})";
            }
        }
        catch (SkipCheck)
        {
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var what = ex is ArgumentException or NotImplementedException or NotSupportedException
                ? $"demand source '{pool.Demand.Kind}' is not available: {Plain(ex)}"
                : ex is OperationCanceledException
                    ? $"demand source did not answer within {ConfigValues.FormatDuration(pool.Demand.Timeout + DemandKind.ProbeGrace)}"
                    : $"demand source did not answer: {ex.Message}";
            problems.Add(new ConfigError(Where(key + ":demand:kind"), key + ":demand:kind", what));
        }
        return demandText;
    }

    private static void CheckIdleTimeout(LoadedConfig config, PoolOptions pool, string key, List<ConfigError> warnings)
    {
        string Where(string k) => LocationOf(config, k);
        if (pool.IdleTimeout < pool.Policy.MinPilotRuntime)
        {
            var idleKey = key + ":idle_timeout";
            warnings.Add(new ConfigError(Where(idleKey), idleKey,
                $"idle_timeout ({ConfigValues.FormatDuration(pool.IdleTimeout)}) is shorter than policy.min_pilot_runtime ({ConfigValues.FormatDuration(pool.Policy.MinPilotRuntime)}): "
                + "pilots that find no work leave sooner than the crash-loop detector's idea of a short run; lower min_pilot_runtime or raise idle_timeout"));
        }
    }

    private static string Summary(PoolOptions pool, string jobName, string demandText, string? templatePath, string submitTestLine, string commandText)
    {
        var s = pool.Scheduler;
        return
            $"  pool {pool.Name}{(pool.Enabled ? "" : " (disabled)")}: {s.Kind} scheduler" +
            (s.Queue is null ? "" : $" queue {s.Queue}") +
            $", job name {jobName}, walltime {ConfigValues.FormatWalltime(s.Walltime)}, {s.Cpus} cpu(s)" +
            (s.MemoryMb > 0 ? $", {s.MemoryMb} MiB" : "") +
            $"; pilots {pool.Limits.MinPilots}..{pool.Limits.MaxPilots}, {pool.Limits.TasksPerPilot} task(s) per pilot, max {pool.Limits.MaxQueued} queued" +
            $"; demand {demandText}; template {templatePath ?? pool.Template}{submitTestLine}{commandText}";
    }

    /// <summary>Prints the warnings, then the problems or the summary; the exit code.</summary>
    private static int Report(TextWriter output, LoadedConfig config, List<ConfigError> problems, List<ConfigError> warnings, List<string> summaries)
    {
        var options = config.Options;
        // Warnings do not change the exit code: the pool works, but not as its owner may think.
        foreach (var warning in warnings)
        {
            output.WriteLine($"warning: {warning}");
        }

        if (problems.Count > 0)
        {
            CliSupport.WriteErrors(output, problems);
            output.WriteLine($"{problems.Count} problem{(problems.Count == 1 ? "" : "s")} found");
            return ExitInvalid;
        }

        if (config.Path is null)
        {
            output.WriteLine(CliSupport.NoPoolsMessage(config));
            return ExitValid;
        }

        output.WriteLine($"{config.Path}: valid, {options.Pools.Count} pool{(options.Pools.Count == 1 ? "" : "s")}{(options.Pools.Count == 0 ? " (nothing to scale: add a [[pool]])" : "")}");
        output.WriteLine($"  state_dir {options.StateDir}, schedule \"{options.Schedule}\", job_prefix {options.JobPrefix}");
        foreach (var line in summaries)
        {
            output.WriteLine(line);
        }

        return ExitValid;
    }

    /// <summary>[alerts]: the command can be run, the webhook's secret file is there and private.</summary>
    private static void CheckAlerts(LoadedConfig config, List<ConfigError> problems, string environmentPath)
    {
        var alerts = config.Options.Alerts;
        if (alerts.Command.Count > 0 && !string.IsNullOrWhiteSpace(alerts.Command[0]))
        {
            var program = alerts.Command[0];
            var isPath = program.Contains('/', StringComparison.Ordinal);
            if ((isPath ? FindCommand(Path.GetFileName(program), Path.GetDirectoryName(PathExpander.Expand(program)), "") : FindCommand(program, null, environmentPath)) is null)
            {
                problems.Add(new ConfigError(LocationOf(config, "alerts:command"), "alerts:command",
                    $"alert command '{program}' is not {(isPath ? "an executable file" : "on PATH")}"));
            }
        }

        if (alerts.WebhookSecretFile is not null)
        {
            try
            {
                Secrets.Read(alerts.WebhookSecretFile, null, "alerts.webhook_secret_file");
            }
            catch (SecretException ex)
            {
                problems.Add(new ConfigError(LocationOf(config, "alerts:webhook_secret_file"), "alerts:webhook_secret_file", ex.Message));
            }
        }
    }

    /// <summary>Renders the pool's script into a private temporary folder and asks its scheduler to validate one pilot.</summary>
    private static async Task<SubmitTest> TestSubmitAsync(AutopilotOptions options, PoolOptions pool, ProcessRunner runner, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("autopilot-check-");
        try
        {
            var stateDir = PathExpander.Expand(options.StateDir);
            var script = Engine.PilotScripts.Write(options, pool, dir.FullName);
            var scheduler = SchedulerFactory.Create(pool.Scheduler, runner, stateDir, loggers, TimeProvider.System);
            var request = new SubmitRequest(pool.Name, $"{options.JobPrefix}-{pool.Name}", script, 1, pool.Scheduler,
                Path.Combine(State.StateDirectory.PilotLogs(stateDir), pool.Name), UseArray: false);
            return await scheduler.TestSubmitAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SchedulerException or TemplateException or IOException)
        {
            return new SubmitTest(true, false, null, ex.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    // ArgumentException appends " (Parameter 'x')", which means nothing to the person reading `check`.
    private static string Plain(Exception ex) =>
        ex is ArgumentException arg && arg.ParamName is not null
            ? ex.Message.Replace($" (Parameter '{arg.ParamName}')", "", StringComparison.Ordinal)
            : ex.Message;

    private sealed class SkipCheck : Exception;

    /// <summary>A file named <paramref name="name"/> that is executable: in <paramref name="binDir"/> when set (the only place the adapter looks), else on PATH.</summary>
    internal static string? FindCommand(string name, string? binDir, string path)
    {
        var folders = binDir is null ? path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries) : [binDir];
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows()
                || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string LocationOf(LoadedConfig config, string key) => config.LocationOf(key);
}
