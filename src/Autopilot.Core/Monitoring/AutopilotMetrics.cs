using System.Globalization;
using System.Text.RegularExpressions;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Engine;
using Autopilot.State;
using Prometheus;

namespace Autopilot.Monitoring;

/// <summary>
/// The Prometheus metrics of the autoscaler (docs/operations.md, "Metrics"), in a registry of their
/// own (no process or runtime collectors: the file and the endpoint carry only these). Fed once per
/// tick from its report; scheduler commands are timed by <see cref="TimedProcessRunner"/>.
/// </summary>
public sealed partial class AutopilotMetrics
{
    public const string TextfileName = "autopilot.prom";

    private static readonly string[] PilotStates = Enum.GetValues<PilotState>().Select(s => s.ToString().ToLowerInvariant()).ToArray();
    private static readonly string[] PauseReasons = [EventKinds.CrashLoopPause, EventKinds.OperatorPause, EventKinds.BudgetPause];

    private readonly Gauge _demand;
    private readonly Gauge _pilots;
    private readonly Gauge _desired;
    private readonly Gauge _oldestQueued;
    private readonly Gauge _poolOk;
    private readonly Counter _submissions;
    private readonly Counter _cancellations;
    private readonly Gauge _paused;
    private readonly Histogram _tickDuration;
    private readonly Histogram _commandDuration;
    private readonly Gauge _lastSuccess;

    /// <summary>The families labelled by pool (the label named "pool" in each).</summary>
    private readonly Gauge[] _poolGauges;
    private readonly Counter[] _poolCounters;

    public AutopilotMetrics(string? textfileDir = null)
    {
        TextfileDir = textfileDir;
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        _demand = f.CreateGauge("autopilot_pool_demand_tasks", "Tasks waiting for the pool (pending + in flight, capped at max_pilots x tasks_per_pilot), as last measured.", "pool");
        _pilots = f.CreateGauge("autopilot_pool_pilots", "The pool's pilot jobs in the scheduler, by state.", "pool", "state");
        _desired = f.CreateGauge("autopilot_pool_desired_pilots", "Pilots the policy wants for the pool (queued + running).", "pool");
        _oldestQueued = f.CreateGauge("autopilot_pool_oldest_queued_pilot_seconds", "How long the pool's longest-waiting queued or held pilot has been in the queue (0: none).", "pool");
        _poolOk = f.CreateGauge("autopilot_pool_up", "1 when the pool's last tick could read demand and pilots and act, 0 when it could not.", "pool");
        _submissions = f.CreateCounter("autopilot_submissions_total", "Pilots submitted (result=submitted) and failed submissions (result=failed).", "pool", "result");
        _cancellations = f.CreateCounter("autopilot_cancellations_total", "Queued pilots cancelled.", "pool");
        _paused = f.CreateGauge("autopilot_pool_paused", "1 while the pool's submissions are paused, by reason (crash_loop: the crash-loop rule; operator: autopilot pause).", "pool", "reason");
        _tickDuration = f.CreateHistogram("autopilot_tick_duration_seconds", "Wall time of a whole tick over every pool.",
            new HistogramConfiguration { Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] });
        _commandDuration = f.CreateHistogram("autopilot_scheduler_command_duration_seconds", "Wall time of each scheduler command (sbatch, squeue, qstat, ...).",
            new HistogramConfiguration { LabelNames = ["command"], Buckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _lastSuccess = f.CreateGauge("autopilot_last_successful_tick_timestamp_seconds", "Unix time of the last tick in which every pool could be read and acted on.");
        _poolGauges = [_demand, _pilots, _desired, _oldestQueued, _poolOk, _paused];
        _poolCounters = [_submissions, _cancellations];
    }

    public CollectorRegistry Registry { get; }

    /// <summary>node_exporter textfile-collector folder written after each tick; null: none.</summary>
    public string? TextfileDir { get; }

    public void ObserveCommand(string command, TimeSpan duration) =>
        _commandDuration.WithLabels(Path.GetFileName(command)).Observe(duration.TotalSeconds);

    /// <summary>Takes in a tick's report (not a dry run, not a tick that found the lock held).</summary>
    public void Observe(TickReport report, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (report.LockBusy || report.DryRun)
        {
            return;
        }

        _tickDuration.Observe(duration.TotalSeconds);
        foreach (var pool in report.Pools)
        {
            _poolOk.WithLabels(pool.Pool).Set(pool.Ok ? 1 : 0);
            if (pool.Demand is { } demand)
            {
                _demand.WithLabels(pool.Pool).Set(demand.Tasks);
            }

            if (pool.Pilots is { } pilots)
            {
                foreach (var state in PilotStates)
                {
                    _pilots.WithLabels(pool.Pool, state).Set(pilots.Count(p => p.State.ToString().Equals(state, StringComparison.OrdinalIgnoreCase)));
                }

                var waiting = pilots.Where(p => p.State is PilotState.Queued or PilotState.Held && p.SubmitTime is not null).Select(p => report.Time - p.SubmitTime!.Value).ToList();
                _oldestQueued.WithLabels(pool.Pool).Set(waiting.Count == 0 ? 0 : Math.Max(0, waiting.Max().TotalSeconds));
            }

            if (pool.Plan is { } plan)
            {
                _desired.WithLabels(pool.Pool).Set(plan.Desired);
            }

            _submissions.WithLabels(pool.Pool, "submitted").Inc(pool.Submitted.Count);
            _submissions.WithLabels(pool.Pool, "failed").Inc(pool.SubmitFailed ? 1 : 0);
            _cancellations.WithLabels(pool.Pool).Inc(pool.Cancelled.Count);
            foreach (var reason in PauseReasons)
            {
                _paused.WithLabels(pool.Pool, reason).Set(pool.PausedBy == reason ? 1 : 0);
            }
        }

        if (report.Ok)
        {
            _lastSuccess.Set(report.Time.ToUnixTimeMilliseconds() / 1000.0);
        }
    }

    /// <summary>
    /// Removes every series of a pool the configuration no longer watches, so a pool removed (or
    /// disabled) by a reload or an edit between cron ticks stops looking alive: its autopilot_pool_up,
    /// its paused flags (and the alerts on them), its counters. Watched: the enabled pools of
    /// <paramref name="options"/>, and those <paramref name="report"/> ticked (`tick --pool` names a
    /// disabled one too). Decided from the configuration, never from one report alone: a tick limited
    /// to some pools keeps the others' series.
    /// </summary>
    public void KeepPoolsOf(AutopilotOptions options, TickReport? report = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watched = options.Pools.Where(p => p.Enabled).Select(p => p.Name)
            .Concat(report?.Pools.Select(p => p.Pool) ?? [])
            .ToHashSet(StringComparer.Ordinal);
        foreach (var family in _poolGauges)
        {
            Forget(family, watched);
        }

        foreach (var family in _poolCounters)
        {
            Forget(family, watched);
        }
    }

    private static void Forget<TChild>(Collector<TChild> family, HashSet<string> watched)
        where TChild : ChildBase
    {
        var pool = Array.IndexOf(family.LabelNames, "pool");
        foreach (var labels in family.GetAllLabelValues().Where(l => !watched.Contains(l[pool])).ToList())
        {
            family.RemoveLabelled(labels);
        }
    }

    /// <summary>
    /// Carries the series over from the textfile a previous `tick` wrote, so that in cron mode (a
    /// process per tick) the counters keep counting up as Prometheus expects, and the pools' gauges
    /// keep their last values (as in `run`) when this tick does not measure them: a `tick --pool`
    /// limited to other pools, a pool whose demand or pilots cannot be read. The last-success time too.
    /// </summary>
    public void ContinueFrom(string textfile)
    {
        if (!File.Exists(textfile))
        {
            return;
        }

        foreach (var line in File.ReadLines(textfile))
        {
            var m = SampleLine().Match(line);
            if (!m.Success || !double.TryParse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
            {
                continue;
            }

            var labels = LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => Unescape(l.Groups[2].Value), StringComparer.Ordinal);
            var name = m.Groups["name"].Value;
            if (name == _lastSuccess.Name)
            {
                _lastSuccess.Set(value);
            }
            else if (_poolCounters.FirstOrDefault(c => c.Name == name) is { } counter && LabelValues(counter, labels) is { } counterLabels)
            {
                counter.WithLabels(counterLabels).IncTo(value);
            }
            else if (_poolGauges.FirstOrDefault(g => g.Name == name) is { } gauge && LabelValues(gauge, labels) is { } gaugeLabels)
            {
                gauge.WithLabels(gaugeLabels).Set(value);
            }
        }
    }

    /// <summary>The values of the family's labels in its order; null when the line lacks one.</summary>
    private static string[]? LabelValues(Collector family, Dictionary<string, string> labels)
    {
        var values = new string[family.LabelNames.Length];
        for (var i = 0; i < values.Length; i++)
        {
            if (!labels.TryGetValue(family.LabelNames[i], out var value))
            {
                return null;
            }

            values[i] = value;
        }

        return values;
    }

    /// <summary>The metrics in the Prometheus text format.</summary>
    public async Task<string> ExportAsync(CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes &lt;textfile_dir&gt;/autopilot.prom whole (temporary file, then rename): node_exporter never reads half a file.</summary>
    public async Task WriteTextfileAsync(CancellationToken cancellationToken)
    {
        if (TextfileDir is null)
        {
            return;
        }

        Directory.CreateDirectory(TextfileDir);
        AtomicFile.Write(Path.Combine(TextfileDir, TextfileName), await ExportAsync(cancellationToken).ConfigureAwait(false));
    }

    private static string Unescape(string value) =>
        value.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\S+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
