using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.DemandSources;
using Autopilot.Schedulers;

namespace Autopilot.Configuration;

/// <summary>
/// Binds the merged configuration into <see cref="AutopilotOptions"/> by hand (snake_case keys),
/// reporting every problem rather than stopping at the first. A bad value keeps its default so
/// later checks do not cascade.
/// </summary>
internal static partial class OptionsBinder
{
    public static readonly IReadOnlyList<string> LogLevels = ["verbose", "debug", "information", "warning", "error", "fatal"];
    public static readonly IReadOnlyList<string> PbsFlavors = ["auto", "pbspro", "torque"];

    public static AutopilotOptions Bind(BindContext ctx)
    {
        var d = new AutopilotOptions();
        var r = new SectionReader(ctx, "");
        var jobPrefix = r.String("job_prefix", d.JobPrefix);
        if (!SafeName().IsMatch(jobPrefix))
        {
            r.Error("job_prefix", $"'{jobPrefix}' may only contain letters, digits, '_', '.' and '-'");
            jobPrefix = d.JobPrefix;
        }

        var options = new AutopilotOptions
        {
            SourcePath = ctx.FilePath is null ? null : Path.GetFullPath(ctx.FilePath),
            StateDir = r.Path("state_dir", d.StateDir),
            Schedule = r.Cron("schedule", d.Schedule),
            TimeZone = r.TimeZone("time_zone"),
            JobPrefix = jobPrefix,
            TemplateDir = r.OptionalPath("template_dir"),
            MaxPilots = r.Int("max_pilots", d.MaxPilots, min: 0),
            Log = BindLog(r.Child("log")),
            Leader = BindLeader(r.Child("leader")),
            Kubernetes = BindKubernetes(r.Child("kubernetes")),
            Alerts = BindAlerts(r.Child("alerts")),
            Metrics = BindMetrics(r.Child("metrics")),
            Pools = BindPools(r),
        };
        options = BindCost(r, options);
        r.Finish();
        return options;
    }

    private static LogOptions BindLog(SectionReader r)
    {
        var d = new LogOptions();
        var options = new LogOptions
        {
            Level = r.Choice("level", d.Level, LogLevels, "log level"),
            File = r.Bool("file", d.File),
            RetainedFiles = r.Int("retained_files", d.RetainedFiles, min: 1),
        };
        r.Finish();
        return options;
    }

    private static LeaderOptions BindLeader(SectionReader r)
    {
        var d = new LeaderOptions();
        var options = new LeaderOptions
        {
            Enabled = r.Bool("enabled", d.Enabled),
            Name = r.String("name", d.Name),
            Postgres = PostgresOptions.Bind(r.Child("postgres")),
        };
        if (options.Enabled && options.Postgres.Database is null)
        {
            r.Error("postgres:database", "leader election is enabled but no database is named");
        }

        r.Finish();
        return options;
    }

    private static KubernetesOptions BindKubernetes(SectionReader r)
    {
        var d = new KubernetesOptions();
        var options = new KubernetesOptions
        {
            Namespace = r.OptionalString("namespace"),
            Selector = r.OptionalString("selector"),
            Container = r.OptionalString("container"),
            Kubeconfig = r.OptionalPath("kubeconfig"),
            Kubectl = r.String("kubectl", d.Kubectl),
            Shell = r.StringList("shell", d.Shell),
        };
        r.Finish();
        return options;
    }

    private static AlertOptions BindAlerts(SectionReader r)
    {
        var d = new AlertOptions();
        var options = new AlertOptions
        {
            Command = r.StringList("command", d.Command),
            Webhook = r.OptionalString("webhook"),
            WebhookSecretHeader = r.String("webhook_secret_header", d.WebhookSecretHeader),
            WebhookSecretFile = r.OptionalPath("webhook_secret_file"),
            Timeout = r.Duration("timeout", d.Timeout, positive: true),
            Retries = r.Int("retries", d.Retries, min: 0, max: 10),
            Kinds = r.StringList("kinds", d.Kinds),
            Pools = r.StringList("pools", d.Pools),
            MinInterval = r.Duration("min_interval", d.MinInterval),
        };
        if (options.Command.Count > 0 && string.IsNullOrWhiteSpace(options.Command[0]))
        {
            r.Error("command", "the first element is the program to run and must not be empty");
        }

        if (options.Webhook is { } url)
        {
            // TLS is verified and cannot be turned off; plain http only to this host, where nothing is on the wire.
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)))
            {
                r.Error("webhook", $"'{url}' must be an https:// URL (http:// only to a loopback address)");
            }
            else if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                r.Error("webhook", "the URL must not carry credentials; put them in webhook_secret_file");
            }
        }

        if (!HeaderName().IsMatch(options.WebhookSecretHeader))
        {
            r.Error("webhook_secret_header", $"'{options.WebhookSecretHeader}' is not an HTTP header name");
        }

        foreach (var kind in options.Kinds)
        {
            if (!Autopilot.State.EventKinds.TryParse(kind, out _))
            {
                r.Error("kinds", $"'{kind}' is not an event kind (one of {string.Join(", ", Enum.GetValues<Autopilot.State.EventKind>().Select(Autopilot.State.EventKinds.Name))})");
            }
        }

        r.Finish();
        return options;
    }

    private static MetricsOptions BindMetrics(SectionReader r)
    {
        var d = new MetricsOptions();
        var options = new MetricsOptions
        {
            Enabled = r.Bool("enabled", d.Enabled),
            Address = r.String("address", d.Address),
            Port = r.Int("port", d.Port, min: 1, max: 65535),
            TextfileDir = r.OptionalPath("textfile_dir"),
        };
        if (!System.Net.IPAddress.TryParse(options.Address, out _) && options.Address is not ("localhost" or "*" or "+"))
        {
            r.Error("address", $"'{options.Address}' is not an IP address (127.0.0.1, ::1, 0.0.0.0), localhost or *");
        }

        r.Finish();
        return options;
    }

    private static IReadOnlyList<PoolOptions> BindPools(SectionReader root)
    {
        var ctx = root.Context;
        var pools = new List<PoolOptions>();
        if (!root.Has("pool"))
        {
            return pools;
        }

        var node = ctx.Node("pool")!;
        if (node.IsTable && node.Origin.Kind == ConfigOriginKind.File)
        {
            ctx.Error("pool", "pools are an array of tables: write [[pool]], not [pool]");
            return pools;
        }

        if (node.IsValue)
        {
            ctx.Error("pool", "pools are an array of tables: write [[pool]] sections");
            return pools;
        }

        // ChildKeys lists integer names first, in numeric order, so the pools come in index order.
        var indexed = new List<string>();
        foreach (var child in ctx.ChildKeys("pool"))
        {
            if (!int.TryParse(child, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                ctx.Error("pool:" + child, "expected a pool index (pool:0, pool:1, ...)");
                continue;
            }

            indexed.Add("pool:" + child);
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new List<string>();
        foreach (var key in indexed)
        {
            if (ctx.Node(key) is { IsTable: false } poolNode)
            {
                ctx.Error(key, $"expected a table, got {poolNode.Describe()}");
                continue;
            }

            var pool = BindPool(new SectionReader(ctx, key));
            if (pool.Name.Length > 0)
            {
                if (seen.TryGetValue(pool.Name, out var first))
                {
                    ctx.Error(key + ":name", $"duplicate pool name '{pool.Name}' (first defined at {first})");
                }
                else
                {
                    seen[pool.Name] = ctx.Location(key + ":name");
                }
            }

            pools.Add(pool);
            keys.Add(key);
        }

        CheckShares(ctx, keys, pools);
        return pools;
    }

    private static PoolOptions BindPool(SectionReader r)
    {
        var name = r.OptionalString("name") ?? "";
        if (name.Length == 0)
        {
            r.Error("name", "every pool needs a name");
        }
        else if (!PoolName().IsMatch(name))
        {
            // The name becomes a job name and a folder under the state folder: "..", ".x" or "-x" would
            // escape the folder, hide it, or read as an option.
            r.Error("name", $"pool name '{name}' may only contain letters, digits, '_', '.' and '-', and may not start with '.' or '-' (it becomes part of the job name and a folder name)");
        }

        var d = new PoolOptions { Name = name };
        var scheduler = BindScheduler(r.Child("scheduler"));
        var pool = new PoolOptions
        {
            Name = name,
            Enabled = r.Bool("enabled", d.Enabled),
            Template = PathExpander.Expand(r.String("template", d.Template)),
            Wrapper = r.OptionalString("wrapper") is { } wrapper ? PathExpander.Expand(wrapper) : null,
            IdleTimeout = r.Duration("idle_timeout", d.IdleTimeout, positive: true),
            TemplateVars = r.StringMap("template_vars", key =>
                !PlaceholderName().IsMatch(key) ? $"template variable names are lowercase letters, digits and '_', starting with a letter (got '{key}')"
                : Templates.TemplateValues.BuiltIn.Contains(key) ? $"'{key}' is a built-in template value and cannot be redefined"
                : null),
            Demand = BindDemand(r.Child("demand")),
            Scheduler = scheduler,
            Limits = BindLimits(r.Child("limits")),
            Policy = BindPolicy(r.Child("policy"), scheduler),
            Logs = BindLogs(r.Child("logs")),
            Share = r.Has("share") ? BindShare(r.Child("share")) : null,
        };
        r.Finish();
        return pool;
    }

    private static DemandOptions BindDemand(SectionReader r)
    {
        var errors = r.Context.Errors.Count;
        var kind = DemandKinds.Find(r.Choice("kind", DemandKinds.Default.Name, DemandKinds.Names, "demand kind"));
        if (kind is null || r.Context.Errors.Count > errors)
        {
            // An unknown kind is the one error worth reading: the other keys belong to a kind we cannot tell.
            return new PoolOptions { Name = "" }.Demand;
        }

        var options = kind.Bind(r, chosen: true);
        // One [pool.demand] table may also carry the keys of other kinds (the example file lists them
        // all): they are not used, but a bad value is still reported.
        foreach (var other in DemandKinds.All.Where(k => k != kind))
        {
            var fork = r.Fork();
            other.Bind(fork, chosen: false);
            r.Accept(fork.Known);
            r.Context.Errors.AddRange(fork.Context.Errors.Where(e => !r.Context.Errors.Contains(e)));
        }

        r.Finish();
        return options;
    }

    private static SchedulerOptions BindScheduler(SectionReader r)
    {
        var d = new SchedulerOptions();
        var options = new SchedulerOptions
        {
            Kind = r.Choice("kind", d.Kind, SchedulerKinds.Names, "scheduler kind"),
            Queue = r.OptionalString("queue"),
            Account = r.OptionalString("account"),
            Walltime = r.Walltime("walltime", d.Walltime),
            Cpus = r.Int("cpus", d.Cpus, min: 1),
            MemoryMb = r.MemoryMb("memory", d.MemoryMb),
            Nodes = r.Int("nodes", d.Nodes, min: 1),
            ParallelEnvironment = r.OptionalString("parallel_environment"),
            ExtraArgs = r.StringList("extra_args", d.ExtraArgs),
            UseArrays = r.Bool("use_arrays", d.UseArrays),
            DrainLead = r.Duration("drain_lead", d.DrainLead),
            CommandTimeout = r.Duration("command_timeout", d.CommandTimeout, positive: true),
            Flavor = r.Choice("flavor", d.Flavor, PbsFlavors, "PBS flavor"),
            BinDir = r.OptionalPath("bin_dir"),
        };
        // Refused at load, not only by `check`: such a pool would never see its own pilots.
        foreach (var problem in SchedulerKinds.Find(options.Kind)?.ExtraArgs?.Check(options.ExtraArgs) ?? [])
        {
            r.Error("extra_args", problem.Message);
        }

        if (options.DrainLead >= options.Walltime)
        {
            r.Error(r.Has("drain_lead") || !r.Has("walltime") ? "drain_lead" : "walltime",
                $"drain_lead ({ConfigValues.FormatDuration(options.DrainLead)}) must be shorter than walltime ({ConfigValues.FormatWalltime(options.Walltime)})");
        }

        r.Finish();
        return options;
    }

    private static LimitOptions BindLimits(SectionReader r)
    {
        var d = new LimitOptions();
        var options = new LimitOptions
        {
            MinPilots = r.Int("min_pilots", d.MinPilots, min: 0),
            MaxPilots = r.Int("max_pilots", d.MaxPilots, min: 1),
            TasksPerPilot = r.Int("tasks_per_pilot", d.TasksPerPilot, min: 1),
            MaxQueued = r.Int("max_queued", d.MaxQueued, min: 1),
            MaxSubmitPerTick = r.Int("max_submit_per_tick", d.MaxSubmitPerTick, min: 1),
            ScaleToZeroAfter = r.Duration("scale_to_zero_after", d.ScaleToZeroAfter),
        };
        if (options.MinPilots > options.MaxPilots)
        {
            r.Error(r.Has("min_pilots") ? "min_pilots" : "max_pilots",
                $"min_pilots ({options.MinPilots}) is greater than max_pilots ({options.MaxPilots})");
        }

        r.Finish();
        return options;
    }

    private static PolicyOptions BindPolicy(SectionReader r, SchedulerOptions scheduler)
    {
        var d = new PolicyOptions();
        var ramp = r.Double("ramp_up_fraction", d.RampUpFraction);
        if (!(ramp > 0 && ramp <= 1))
        {
            r.Error("ramp_up_fraction", $"must be in (0, 1], got {ramp.ToString(CultureInfo.InvariantCulture)}");
            ramp = d.RampUpFraction;
        }

        var options = new PolicyOptions
        {
            ScaleInAfter = r.Duration("scale_in_after", d.ScaleInAfter),
            RampUpFraction = ramp,
            Backoff = r.DurationList("backoff", d.Backoff),
            MinPilotRuntime = r.Duration("min_pilot_runtime", d.MinPilotRuntime),
            CrashLoopThreshold = r.Int("crash_loop_threshold", d.CrashLoopThreshold, min: 0),
            MaxQueueAge = r.Duration("max_queue_age", d.MaxQueueAge),
            CancelStaleQueued = r.Bool("cancel_stale_queued", d.CancelStaleQueued),
            MinUsefulWalltime = r.Duration("min_useful_walltime", d.MinUsefulWalltime),
        };
        // The policy submits only when walltime - drain_lead leaves min_useful_walltime (docs/policy.md,
        // WalltimeTooShort); a pool that can never pass that rule is refused here, not every tick.
        // drain_lead >= walltime is reported by the scheduler section already.
        var useful = scheduler.Walltime - scheduler.DrainLead;
        if (scheduler.DrainLead < scheduler.Walltime && options.MinUsefulWalltime > useful)
        {
            r.Error("min_useful_walltime",
                $"scheduler.walltime ({ConfigValues.FormatWalltime(scheduler.Walltime)}) minus scheduler.drain_lead ({ConfigValues.FormatDuration(scheduler.DrainLead)}) "
                + $"leaves {ConfigValues.FormatDuration(useful)}, less than min_useful_walltime ({ConfigValues.FormatDuration(options.MinUsefulWalltime)}): "
                + "no pilot would ever be submitted; lengthen walltime or shorten drain_lead or min_useful_walltime");
        }

        if (options.CancelStaleQueued && options.MaxQueueAge == TimeSpan.Zero)
        {
            r.Error("cancel_stale_queued", "cancel_stale_queued needs max_queue_age");
        }

        r.Finish();
        return options;
    }

    private static LogsOptions BindLogs(SectionReader r)
    {
        var d = new LogsOptions();
        var options = new LogsOptions
        {
            Ssh = r.Bool("ssh", d.Ssh),
            SshCommand = r.String("ssh_command", d.SshCommand),
            SshArgs = r.StringList("ssh_args", d.SshArgs),
            TaskDirs = r.StringList("task_dirs", d.TaskDirs).Select(dir => r.Context.ResolvePath(r.Key("task_dirs"), dir)).ToList(),
        };
        r.Finish();
        return options;
    }

    internal static void CheckSecretKeys(SectionReader r, string? passwordFile, string? passwordEnv)
    {
        if (passwordFile is not null && passwordEnv is not null)
        {
            r.Error("password_env", "set password_file or password_env, not both");
        }

        if (passwordEnv is not null && !EnvName().IsMatch(passwordEnv))
        {
            r.Error("password_env", $"'{passwordEnv}' is not an environment variable name (give the variable's name, not the password)");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    internal static partial Regex SafeName();

    [GeneratedRegex("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")]
    private static partial Regex HeaderName();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
    internal static partial Regex PoolName();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    internal static partial Regex PlaceholderName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

}
