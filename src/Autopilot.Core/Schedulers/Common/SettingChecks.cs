using System.Text.RegularExpressions;
using Autopilot.Configuration;

namespace Autopilot.Schedulers.Common;

/// <summary>
/// Checks shared by the PBS, Torque and LSF adapters: values that would be split, taken for a flag,
/// or interpreted by a site wrapper's shell are refused at `check` time, naming the key.
/// </summary>
internal static partial class SettingChecks
{
    /// <summary>Queue and account names: letters, digits and <c>_ . @ - + :</c>, not starting with '-'.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.@+:\-]*$")]
    private static partial Regex PlainName();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    public static void CheckPlain(List<SettingProblem> problems, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length == 0)
        {
            problems.Add(new(key, "empty; leave it out to use the site default"));
        }
        else if (value.StartsWith('-'))
        {
            problems.Add(new(key, $"'{value}' starts with '-' and would be read as a flag"));
        }
        else if (!PlainName().IsMatch(value))
        {
            problems.Add(new(key, $"'{value}' contains whitespace or shell metacharacters; allowed are letters, digits and _ . @ + : -"));
        }
    }

    public static void CheckJobName(List<SettingProblem> problems, string jobName, int maxLength, string scheduler, string? extraRule = null)
    {
        if (string.IsNullOrEmpty(jobName))
        {
            problems.Add(new(SettingProblem.JobName, "the job name is empty"));
            return;
        }

        if (jobName.StartsWith('-'))
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}' starts with '-'"));
        }

        if (!jobName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '+'))
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}' may only contain letters, digits and _ - . + for {scheduler}"));
        }

        if (jobName.Length > maxLength)
        {
            problems.Add(new(SettingProblem.JobName, $"job name '{jobName}' is {jobName.Length} characters; {scheduler} allows at most {maxLength}{extraRule}"));
        }
    }

    public static void CheckCommon(List<SettingProblem> problems, SchedulerOptions o)
    {
        if (o.Walltime <= TimeSpan.Zero)
        {
            problems.Add(new("scheduler.walltime", $"must be positive (got {o.Walltime})"));
        }

        if (o.Cpus < 1)
        {
            problems.Add(new("scheduler.cpus", $"must be at least 1 (got {o.Cpus})"));
        }

        if (o.Nodes < 1)
        {
            problems.Add(new("scheduler.nodes", $"must be at least 1 (got {o.Nodes})"));
        }

        if (o.MemoryMb < 0)
        {
            problems.Add(new("scheduler.memory", $"must not be negative (got {o.MemoryMb} MiB)"));
        }

        if (o.CommandTimeout <= TimeSpan.Zero)
        {
            problems.Add(new("scheduler.command_timeout", "must be positive"));
        }

        for (var i = 0; i < o.ExtraArgs.Count; i++)
        {
            var a = o.ExtraArgs[i];
            if (a.Length == 0 || a.Contains('\n') || a.Contains('\r') || a.Contains('\0'))
            {
                problems.Add(new("scheduler.extra_args", $"extra_args[{i}]: empty or contains a line break or NUL"));
            }
        }
    }

    /// <summary>drain_lead shorter than the walltime. The binder refuses it too; of the adapters, Slurm's never checked it.</summary>
    public static void CheckDrainLead(List<SettingProblem> problems, SchedulerOptions o)
    {
        if (o.DrainLead < TimeSpan.Zero || (o.Walltime > TimeSpan.Zero && o.DrainLead >= o.Walltime))
        {
            problems.Add(new("scheduler.drain_lead", $"{o.DrainLead} must be at least zero and shorter than the walltime {o.Walltime}"));
        }
    }

    /// <summary>Refuses a submission whose settings break the scheduler's rules: "<paramref name="refusal"/>: problem; problem".</summary>
    public static void Refuse(IReadOnlyList<SettingProblem> problems, string refusal)
    {
        if (problems.Count > 0)
        {
            throw new SchedulerException($"{refusal}: {string.Join("; ", problems)}");
        }
    }

    public static bool IsEnvName(string name) => EnvName().IsMatch(name);
}
