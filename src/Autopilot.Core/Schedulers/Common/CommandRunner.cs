using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.Schedulers.Common;

/// <summary>
/// Runs one adapter's scheduler commands: <c>bin_dir/command</c> with the pool's command timeout (the
/// adapter's defaults where the call's settings leave them out), the adapter's fixed environment under
/// the call's own, and a command that cannot start turned into a <see cref="SchedulerException"/> in
/// the adapter's words. What reaches the child's environment and what is redacted from the command line
/// is <see cref="IProcessRunner"/>'s business (<see cref="ChildEnvironment"/>), the same for every scheduler.
/// </summary>
/// <param name="defaults">bin_dir and command timeout for calls that carry no pool settings (list, cancel, outcomes).</param>
/// <param name="couldNotRun">The exception message when the command cannot start (not found, not executable).</param>
/// <param name="environment">Set (or, with a null value, removed) for every command; a call's own entries win.</param>
internal sealed class CommandRunner(
    IProcessRunner runner,
    SchedulerOptions defaults,
    Func<ProcessSpec, ProcessFailedException, string> couldNotRun,
    IReadOnlyDictionary<string, string?>? environment = null)
{
    public ProcessSpec Spec(SchedulerOptions options, string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string?>? env = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var binDir = options.BinDir ?? defaults.BinDir;
        var file = string.IsNullOrEmpty(binDir) ? command : Path.Combine(binDir, command);
        var timeout = options.CommandTimeout > TimeSpan.Zero ? options.CommandTimeout : defaults.CommandTimeout;
        return new ProcessSpec(file, args, Environment: Merge(env), Timeout: timeout);
    }

    public Task<ProcessResult> RunAsync(SchedulerOptions options, string command, IReadOnlyList<string> args, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? env = null) =>
        RunAsync(Spec(options, command, args, env), cancellationToken);

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessFailedException ex)
        {
            throw new SchedulerException(couldNotRun(spec, ex), ex);
        }
    }

    /// <summary>
    /// Runs a command whose answer is read from its output (a submission's job id): a failed run and an
    /// answer <paramref name="read"/> refuses with a <typeparamref name="TUnreadable"/> are each a
    /// <see cref="SchedulerException"/> in the adapter's words.
    /// </summary>
    public async Task<T> ReadAnswerAsync<T, TUnreadable>(
        ProcessSpec spec,
        Func<ProcessResult, T> read,
        Func<ProcessResult, string> failed,
        Func<ProcessResult, TUnreadable, string> unreadable,
        CancellationToken cancellationToken)
        where TUnreadable : Exception
    {
        var result = await RunAsync(spec, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new SchedulerException(failed(result));
        }

        try
        {
            return read(result);
        }
        catch (TUnreadable ex)
        {
            throw new SchedulerException(unreadable(result, ex), ex);
        }
    }

    private IReadOnlyDictionary<string, string?>? Merge(IReadOnlyDictionary<string, string?>? env)
    {
        if (environment is null || environment.Count == 0)
        {
            return env;
        }

        var merged = new Dictionary<string, string?>(environment, StringComparer.Ordinal);
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                merged[k] = v;
            }
        }

        return merged;
    }
}
