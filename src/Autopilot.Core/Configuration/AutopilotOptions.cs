using Autopilot.DemandSources;

namespace Autopilot.Configuration;

// The typed model of autopilot.toml. Every property maps to a snake_case TOML key
// (StateDir <-> state_dir). Defaults here are the documented defaults.

/// <summary>The whole configuration file.</summary>
public sealed record AutopilotOptions
{
    /// <summary>Where the file came from (null: embedded defaults).</summary>
    public string? SourcePath { get; init; }

    /// <summary>State store, lock file, pilot logs, rendered scripts, log files.</summary>
    public string StateDir { get; init; } = "~/.local/state/autopilot";

    /// <summary>Service-mode schedule; 5 fields, or 6 with seconds first.</summary>
    public string Schedule { get; init; } = "* * * * *";

    /// <summary>The IANA time zone the schedule is read in; null: the machine's local zone.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Pilots are named &lt;job_prefix&gt;-&lt;pool&gt;.</summary>
    public string JobPrefix { get; init; } = "autopilot";

    /// <summary>Folder holding pilot templates; relative template paths resolve here.</summary>
    public string? TemplateDir { get; init; }

    /// <summary>Cap on pilots across every pool (0: none).</summary>
    public int MaxPilots { get; init; }

    public LogOptions Log { get; init; } = new();

    public LeaderOptions Leader { get; init; } = new();

    public KubernetesOptions Kubernetes { get; init; } = new();

    public AlertOptions Alerts { get; init; } = new();

    public MetricsOptions Metrics { get; init; } = new();

    public IReadOnlyList<PoolOptions> Pools { get; init; } = [];

    /// <summary>The [pricing] table; null when absent (no cost, no budget pacing).</summary>
    public PricingOptions? Pricing { get; init; }

    /// <summary>The [budget.pool.*] and [budget.account.*] tables; null when absent.</summary>
    public BudgetOptions? Budget { get; init; }

    public AccountingOptions Accounting { get; init; } = new();
}

/// <summary>
/// Where events are sent as they happen (docs/operations.md, "Alerts"): a command, a webhook, or
/// both. Off while neither is set.
/// </summary>
public sealed record AlertOptions
{
    /// <summary>Argument array run per event (no shell); the event JSON on stdin and in AUTOPILOT_EVENT_* variables.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>https:// (or http:// to a loopback address) URL the event JSON is POSTed to.</summary>
    public string? Webhook { get; init; }

    /// <summary>Header sent with the webhook whose value is read from <see cref="WebhookSecretFile"/>.</summary>
    public string WebhookSecretHeader { get; init; } = "Authorization";

    /// <summary>File (0600 or stricter) holding the header's value, read at each send.</summary>
    public string? WebhookSecretFile { get; init; }

    /// <summary>The most alerts may hold up a tick, all attempts and retries included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Webhook attempts after the first that failed (1 s, 2 s, 4 s ... apart, within <see cref="Timeout"/>).</summary>
    public int Retries { get; init; } = 2;

    /// <summary>Event kinds sent (names as `events --json` gives them).</summary>
    public IReadOnlyList<string> Kinds { get; init; } = DefaultKinds;

    /// <summary>Pools whose events are sent; empty: every pool.</summary>
    public IReadOnlyList<string> Pools { get; init; } = [];

    /// <summary>At most one alert per kind and pool in this interval; later ones are dropped (logged).</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The kinds that need a person, sent unless <c>kinds</c> says otherwise.</summary>
    public static readonly IReadOnlyList<string> DefaultKinds =
    [
        "crashloop", "recovered", "submitfailed", "cancelfailed", "backoffstarted",
        "demandunreadable", "pilotsunreadable", "outcomesunreadable", "configrejected",
    ];

    public bool Enabled => Command.Count > 0 || Webhook is not null;
}

/// <summary>Prometheus metrics: an HTTP endpoint in `run`, a node_exporter textfile from `tick`.</summary>
public sealed record MetricsOptions
{
    /// <summary>Serve /metrics while `autopilot run` runs.</summary>
    public bool Enabled { get; init; }

    /// <summary>Address the endpoint listens on (loopback unless changed).</summary>
    public string Address { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 9467;

    /// <summary>node_exporter textfile-collector folder: `tick` writes autopilot.prom there at the end of each tick.</summary>
    public string? TextfileDir { get; init; }
}

public sealed record LogOptions
{
    /// <summary>verbose, debug, information, warning, error.</summary>
    public string Level { get; init; } = "information";

    /// <summary>Write daily rolling files under &lt;state_dir&gt;/logs.</summary>
    public bool File { get; init; } = true;

    /// <summary>How many daily files to keep.</summary>
    public int RetainedFiles { get; init; } = 14;
}

/// <summary>PostgreSQL advisory lock so only one of several controllers acts.</summary>
public sealed record LeaderOptions
{
    public bool Enabled { get; init; }

    /// <summary>The lock key is derived from this name.</summary>
    public string Name { get; init; } = "autopilot";

    public PostgresOptions Postgres { get; init; } = new();
}

/// <summary>Where the task server runs, for <c>autopilot kubectl-exec</c>.</summary>
public sealed record KubernetesOptions
{
    public string? Namespace { get; init; }
    public string? Selector { get; init; }
    public string? Container { get; init; }
    public string? Kubeconfig { get; init; }
    public string Kubectl { get; init; } = "kubectl";
    public IReadOnlyList<string> Shell { get; init; } = ["/bin/sh", "-c", "exec bash || exec sh"];
}

/// <summary>A secret read at use time: from a file (0600 or stricter) or an environment variable.</summary>
public sealed record SecretOptions
{
    public string? PasswordFile { get; init; }
    public string? PasswordEnv { get; init; }
}

/// <summary>One scaling unit: a demand source, a scheduler, a template, limits.</summary>
public sealed record PoolOptions
{
    public required string Name { get; init; }
    public bool Enabled { get; init; } = true;

    /// <summary>Pilot template path (absolute, or relative to template_dir / bin-templates).</summary>
    public string Template { get; init; } = "local/hypershell-pilot.sh";

    /// <summary>Site wrapper template for the HyperShell CLI (e.g. wrappers/hs-site.sh), rendered by <c>autopilot wrapper</c>; null: none.</summary>
    public string? Wrapper { get; init; }

    /// <summary>A pilot with no work for this long exits (HyperShell client -T); this is how pools shrink.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Extra placeholder values for the template.</summary>
    public IReadOnlyDictionary<string, string> TemplateVars { get; init; } = new Dictionary<string, string>();

    public DemandOptions Demand { get; init; } = new DemandSources.HyperShell.HyperShellOptions();
    public SchedulerOptions Scheduler { get; init; } = new();
    public LimitOptions Limits { get; init; } = new();
    public PolicyOptions Policy { get; init; } = new();
    public LogsOptions Logs { get; init; } = new();

    /// <summary>[pool.share]: this pool shares one demand with the other pools of its group; null: it does not.</summary>
    public ShareOptions? Share { get; init; }
}

/// <summary>A pool's place in a share group (docs/policy.md, "Sharing and overflow").</summary>
public sealed record ShareOptions
{
    public required string Group { get; init; }

    /// <summary>Preference: the lowest order fills first.</summary>
    public int Order { get; init; } = 1;

    /// <summary>Pilots waiting this long for the cluster send new demand to the next pool.</summary>
    public TimeSpan OverflowAfter { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>The pool's neutral submission settings, translated by each scheduler adapter.</summary>
public sealed record SchedulerOptions
{
    /// <summary>slurm, pbs, torque, lsf, sge, local.</summary>
    public string Kind { get; init; } = Schedulers.SchedulerKinds.Local.Name;

    /// <summary>Partition (Slurm) or queue (PBS, LSF, Grid Engine).</summary>
    public string? Queue { get; init; }

    /// <summary>Account (Slurm -A, PBS -A), project (LSF -P, Grid Engine -P).</summary>
    public string? Account { get; init; }

    public TimeSpan Walltime { get; init; } = TimeSpan.FromHours(1);
    public int Cpus { get; init; } = 1;

    /// <summary>Memory per pilot in MiB (config accepts 512M, 4G, ...); 0: scheduler default.</summary>
    public long MemoryMb { get; init; }

    public int Nodes { get; init; } = 1;

    /// <summary>Grid Engine parallel environment for cpus &gt; 1.</summary>
    public string? ParallelEnvironment { get; init; }

    /// <summary>Extra scheduler arguments, appended as-is (argument array).</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>Submit bursts as one job array.</summary>
    public bool UseArrays { get; init; } = true;

    /// <summary>How long before walltime the pilot is told to drain.</summary>
    public TimeSpan DrainLead { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Each scheduler command is killed after this long.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>PBS flavour: auto (qstat --version), pbspro, torque.</summary>
    public string Flavor { get; init; } = "auto";

    /// <summary>Directory for command overrides (e.g. site wrappers); null uses PATH.</summary>
    public string? BinDir { get; init; }
}

/// <summary>Counts that bound what a pool may do.</summary>
public sealed record LimitOptions
{
    public int MinPilots { get; init; }
    public int MaxPilots { get; init; } = 10;
    public int TasksPerPilot { get; init; } = 1;
    public int MaxQueued { get; init; } = 2;
    public int MaxSubmitPerTick { get; init; } = 4;
    /// <summary>After demand has been zero this long, every queued pilot is cancelled.</summary>
    public TimeSpan ScaleToZeroAfter { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Time-based behaviour of the policy.</summary>
public sealed record PolicyOptions
{
    /// <summary>Scale in only after demand stayed below supply this long.</summary>
    public TimeSpan ScaleInAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Fraction of the shortfall submitted per tick (1: all of it).</summary>
    public double RampUpFraction { get; init; } = 1.0;

    /// <summary>Delays after consecutive submission failures.</summary>
    public IReadOnlyList<TimeSpan> Backoff { get; init; } =
        [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(60)];

    /// <summary>Pilots shorter than this count as failed for the crash-loop detector.</summary>
    public TimeSpan MinPilotRuntime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>This many failed pilots in a row pause the pool (0: never).</summary>
    public int CrashLoopThreshold { get; init; } = 3;

    /// <summary>A pilot queued longer is reported (and cancelled when <see cref="CancelStaleQueued"/>); zero: off.</summary>
    public TimeSpan MaxQueueAge { get; init; }

    public bool CancelStaleQueued { get; init; }

    /// <summary>Never submit a pilot whose walltime is shorter than this.</summary>
    public TimeSpan MinUsefulWalltime { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Where <c>autopilot logs</c> finds task output.</summary>
public sealed record LogsOptions
{
    /// <summary>Fetch task logs from the client host over ssh when not local.</summary>
    public bool Ssh { get; init; }
    public string SshCommand { get; init; } = "ssh";
    public IReadOnlyList<string> SshArgs { get; init; } = ["-o", "BatchMode=yes"];

    /// <summary>
    /// Folders holding task output besides HyperShell's own &lt;site&gt;/lib/task: `logs` reads (locally
    /// or over ssh) only files under these, whatever path the task database names.
    /// </summary>
    public IReadOnlyList<string> TaskDirs { get; init; } = [];
}
