using System.Globalization;
using Autopilot.Configuration;

namespace Autopilot.Templates;

/// <summary>The placeholder values a pool's pilot template may use.</summary>
public static class TemplateValues
{
    /// <summary>Names every template can use; a pool's template_vars may not redefine them.</summary>
    public static readonly IReadOnlyList<string> BuiltIn =
    [
        "pool", "job_name", "walltime", "walltime_seconds", "cpus", "nodes", "memory_mb", "queue", "account",
        "state_dir", "log_dir", "drain_lead_seconds", "idle_timeout", "scheduler_kind",
        "demand_kind", "db_backend", "db_file", "db_url", "db_host", "db_port", "db_name", "db_user", "db_schema",
    ];

    public static IReadOnlyDictionary<string, string> For(AutopilotOptions options, PoolOptions pool)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pool);
        var s = pool.Scheduler;
        var demand = pool.Demand;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pool.TemplateVars)
        {
            values[key] = value;
        }

        // Built-ins are set last: a template_vars entry cannot change the job name or the walltime.
        values["pool"] = pool.Name;
        values["job_name"] = $"{options.JobPrefix}-{pool.Name}";
        values["walltime"] = ConfigValues.FormatWalltime(s.Walltime);
        values["walltime_seconds"] = Seconds(s.Walltime);
        values["cpus"] = s.Cpus.ToString(CultureInfo.InvariantCulture);
        values["nodes"] = s.Nodes.ToString(CultureInfo.InvariantCulture);
        values["memory_mb"] = s.MemoryMb.ToString(CultureInfo.InvariantCulture);
        values["queue"] = s.Queue ?? "";
        values["account"] = s.Account ?? "";
        // Expanded here: a shell-quoted '~/...' would not be expanded by the pilot's shell.
        var stateDir = PathExpander.Expand(options.StateDir);
        values["state_dir"] = stateDir;
        // Same folder the engine gives the scheduler for pilot stdout/stderr.
        values["log_dir"] = Path.Combine(State.StateDirectory.PilotLogs(stateDir), pool.Name);
        values["drain_lead_seconds"] = Seconds(s.DrainLead);
        values["idle_timeout"] = Seconds(pool.IdleTimeout);
        values["scheduler_kind"] = s.Kind;
        values["demand_kind"] = demand.Kind;
        demand.AddTemplateValues(values);
        return values;
    }

    private static string Seconds(TimeSpan value) => ((long)Math.Round(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
