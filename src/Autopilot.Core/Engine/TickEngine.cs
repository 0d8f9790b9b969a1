using Autopilot.Configuration;
using Autopilot.DemandSources;
using Autopilot.DemandSources.PiCaS;
using Autopilot.Domain;
using Autopilot.Policy;
using Autopilot.Schedulers;
using Autopilot.State;
using Autopilot.Templates;
using Microsoft.Extensions.Logging;

namespace Autopilot.Engine;

/// <summary>
/// One cycle over the pools: read demand and pilots, decide with the pure policy, act, remember.
/// Fail closed: a pool whose demand or pilot list cannot be read does nothing this tick.
/// </summary>
public sealed class TickEngine
{
    private readonly AutopilotOptions _options;
    private readonly TickComponents _components;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public TickEngine(AutopilotOptions options, TickComponents components, TimeProvider time, ILogger<TickEngine> logger)
    {
        _options = options;
        _components = components;
        _time = time;
        _logger = logger;
    }

    public string StateDir => PathExpander.Expand(_options.StateDir);

    public static string JobName(AutopilotOptions options, PoolOptions pool) => $"{options.JobPrefix}-{pool.Name}";

    public async Task<TickReport> RunAsync(TickRequest request, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var pools = _options.Pools
            .Where(p => request.Pool is null ? p.Enabled : string.Equals(p.Name, request.Pool, StringComparison.Ordinal))
            .ToList();
        if (request.Pool is not null && pools.Count == 0)
        {
            throw new ArgumentException($"no pool named '{request.Pool}' in the configuration (pools: {string.Join(", ", _options.Pools.Select(p => p.Name))})");
        }

        using var tickLock = request.TakeLock ? TickLock.TryAcquire(StateDirectory.LockFile(StateDir)) : null;
        if (request.TakeLock && tickLock is null)
        {
            _logger.LogInformation("another tick is running (lock {Lock} is held); nothing to do", StateDirectory.LockFile(StateDir));
            return new TickReport(now, [], LockBusy: true, request.DryRun);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpu0 = Environment.CpuUsage.TotalTime;
        await using var store = await _components.OpenStore(StateDir, cancellationToken).ConfigureAwait(false);
        var storeOpened = clock.Elapsed;
        var cpuStore = Environment.CpuUsage.TotalTime;
        var recorded = store as ISubmittedJobStore;
        var listings = await ListPilotsAsync(_options.Pools.Where(p => p.Enabled || pools.Contains(p)).ToList(), request.IncludeFinished, recorded, cancellationToken).ConfigureAwait(false);
        if (recorded is not null && !request.DryRun)
        {
            await RecordedIds.SeenAsync(recorded, listings, now, cancellationToken).ConfigureAwait(false);
        }

        var globalRoom = GlobalRoom(listings);
        var listed = clock.Elapsed;
        var cpuListed = Environment.CpuUsage.TotalTime;

        // Tokens of gone pilots go back to todo before the demand is read, so this tick sees them.
        var resetPools = pools.Where(p => p.Demand is PiCaSOptions { ResetStaleLocks: true }).ToList();
        if (resetPools.Count > 0)
        {
            await new StaleLocks(_options, this, _logger, _time).RunAsync(resetPools, listings, null, request.DryRun, store, cancellationToken).ConfigureAwait(false);
        }

        var shares = await SharedDemands.ReadAsync(pools, _options.Pools, listings, _components, now, cancellationToken).ConfigureAwait(false);
        var demands = await ReadDemandsAsync(pools, shares, cancellationToken).ConfigureAwait(false);
        var results = new List<PoolTickResult>();
        foreach (var pool in pools)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var listing = listings[pool.Name];
            var result = await TickPoolAsync(pool, listing, globalRoom, store, request.DryRun, now, cancellationToken, demands[pool.Name]).ConfigureAwait(false) with
            {
                Cluster = pool.Scheduler.ClusterLabel,
            };
            if (globalRoom is not null)
            {
                globalRoom = Math.Max(0, globalRoom.Value - result.Submitted.Count);
            }

            results.Add(result);
        }

        // Where a tick's time goes (docs/performance.md, "Whole-process tick"): wall, and this process's
        // CPU (all threads; a child such as squeue is not in it).
        var cpuEnd = Environment.CpuUsage.TotalTime;
        _logger.LogDebug(
            "tick timings: state store open {Store:0.0} ms (cpu {StoreCpu:0}), pilot listing {List:0.0} ms (cpu {ListCpu:0}), pools {Pools:0.0} ms (cpu {PoolsCpu:0}), total {Total:0.0} ms (cpu {TotalCpu:0})",
            storeOpened.TotalMilliseconds, (cpuStore - cpu0).TotalMilliseconds,
            (listed - storeOpened).TotalMilliseconds, (cpuListed - cpuStore).TotalMilliseconds,
            (clock.Elapsed - listed).TotalMilliseconds, (cpuEnd - cpuListed).TotalMilliseconds,
            clock.Elapsed.TotalMilliseconds, (cpuEnd - cpu0).TotalMilliseconds);
        var report = new TickReport(now, results, LockBusy: false, request.DryRun);
        if (_components.Metrics is { } metrics && !request.DryRun)
        {
            // Only called with metrics on: a cron tick without them JIT-compiles none of it.
            await ObserveAsync(metrics, report, clock.Elapsed).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>Room under the global max_pilots (null: no global cap). It counts every active pilot of every pool, including pools not selected.</summary>
    private int? GlobalRoom(Dictionary<string, Listing> listings) =>
        _options.MaxPilots > 0 ? Math.Max(0, _options.MaxPilots - listings.Values.Sum(l => l.Pilots?.Count(p => p.IsActive && !p.Foreign) ?? 0)) : null;

    /// <summary>Metrics and the textfile; a textfile that cannot be written is a warning, never a failed tick.</summary>
    private async Task ObserveAsync(Autopilot.Monitoring.AutopilotMetrics metrics, TickReport report, TimeSpan duration)
    {
        metrics.KeepPoolsOf(_options, report);
        metrics.Observe(report, duration);
        try
        {
            await metrics.WriteTextfileAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("cannot write the metrics textfile in {Dir}: {Message}", metrics.TextfileDir, ex.Message);
        }
    }

    /// <summary>One pool's pilots as the tick sees them: <see cref="Pilots"/> is null (and <see cref="Error"/> says why) when unreadable.</summary>
    public sealed record Listing(IScheduler? Scheduler, IReadOnlyList<Pilot>? Pilots, string? Error);

    /// <summary>
    /// One listing call per scheduler (kind, command folder, cluster, ssh host), however many pools use it. This is what
    /// "our pilots" means everywhere (tick, manual cancel, stale PiCaS locks): jobs the scheduler lists under a pool's name,
    /// and for PBS/Torque and LSF whose id <paramref name="recorded"/> holds; another is <see cref="Pilot.Foreign"/>.
    /// </summary>
    /// <param name="recorded">The ids this state folder submitted; null only where look-alikes need not be told apart (live job numbers for PiCaS locks).</param>
    public async Task<Dictionary<string, Listing>> ListPilotsAsync(IReadOnlyList<PoolOptions> pools, bool includeFinished, ISubmittedJobStore? recorded, CancellationToken cancellationToken)
    {
        var keys = recorded is null ? null : await RecordedIds.KeysFor(recorded, pools, cancellationToken).ConfigureAwait(false);

        // Schedulers (hosts, clusters) are read at the same time, at most max_parallel_reads at once:
        // one that hangs costs the tick its own timeout, not the sum of everyone's.
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxParallelReads));
        var reads = GroupByScheduler(pools).Select(async group =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await ListGroupAsync(group, includeFinished, keys, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        var result = new Dictionary<string, Listing>(StringComparer.Ordinal);
        foreach (var listed in await Task.WhenAll(reads).ConfigureAwait(false))
        {
            foreach (var one in listed)
            {
                result[one.Pool] = one.Listing;
            }
        }

        return result;
    }

    /// <summary>One pool's part of a listing. A class, not a tuple: generic code over a struct is left to the JIT by ReadyToRun.</summary>
    private sealed record PoolListing(string Pool, Listing Listing);

    /// <summary>One pool's demand, or why it could not be read.</summary>
    private sealed record DemandRead(Demand? Demand, string? Error);

    /// <summary>One scheduler's listing, split by pool.</summary>
    private async Task<List<PoolListing>> ListGroupAsync(
        List<PoolOptions> group, bool includeFinished, IReadOnlySet<string>? keys, CancellationToken cancellationToken)
    {
        var result = new List<PoolListing>(group.Count);
        IScheduler scheduler;
        try
        {
            scheduler = _components.CreateScheduler(group[0].Scheduler, StateDir);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            result.AddRange(group.Select(pool => new PoolListing(pool.Name, new Listing(null, null, ex.Message))));
            return result;
        }

        var names = group.Select(p => JobName(_options, p)).ToList();
        try
        {
            // Over ssh the pilots belong to the remote account.
            var pilots = await scheduler.ListAsync(new PilotQuery(names, includeFinished, group[0].Scheduler.Ssh?.User), cancellationToken).ConfigureAwait(false);
            if (keys is not null && RecordedIds.Applies(scheduler.Kind))
            {
                pilots = RecordedIds.MarkForeign(pilots, keys);
            }

            foreach (var pool in group)
            {
                var name = JobName(_options, pool);
                result.Add(new PoolListing(pool.Name, new Listing(scheduler, pilots.Where(p => p.Name == name).ToList(), null)));
            }
        }
        catch (SchedulerException ex)
        {
            result.AddRange(group.Select(pool => new PoolListing(pool.Name, new Listing(scheduler, null, $"cannot list pilots: {ex.Message}"))));
        }

        return result;
    }

    /// <summary>
    /// The pools per scheduler (kind, command folder, cluster, ssh host), in order of first appearance. A loop rather
    /// than GroupBy over a tuple key: that is generic code over a struct which ReadyToRun leaves to
    /// the JIT at every start of a cron tick (docs/performance.md, "Whole-process tick").
    /// </summary>
    private static List<List<PoolOptions>> GroupByScheduler(IReadOnlyList<PoolOptions> pools)
    {
        var groups = new List<List<PoolOptions>>();
        foreach (var pool in pools)
        {
            var group = groups.Find(g => Remote.RemoteRunners.SameScheduler(g[0].Scheduler, pool.Scheduler));
            if (group is null)
            {
                groups.Add(group = []);
            }

            group.Add(pool);
        }

        return groups;
    }

    /// <summary>
    /// One pool's tick in four steps: <see cref="MeasureAsync"/> (memory, demand, pilots, outcomes,
    /// budget), <see cref="Decide"/> (the pure policy), <see cref="ActAsync"/> (cancel, submit) and
    /// <see cref="RecordAsync"/> (memory, events, the tick line and record). Fail closed: when the
    /// demand or the pilot list cannot be read, nothing is decided or done (<see cref="RecordUnreadableAsync"/>).
    /// </summary>
    private async Task<PoolTickResult> TickPoolAsync(
        PoolOptions pool, Listing listing, int? globalRoom, IStateStore store, bool dryRun, DateTimeOffset now, CancellationToken cancellationToken, DemandRead demand)
    {
        var tick = new PoolTick(pool, JobName(_options, pool), store, dryRun, now);
        var measured = await MeasureAsync(tick, listing, demand, cancellationToken).ConfigureAwait(false);
        if (measured.Error is not null)
        {
            return await RecordUnreadableAsync(tick, measured, cancellationToken).ConfigureAwait(false);
        }

        var plan = Decide(tick, measured, globalRoom);
        var acted = dryRun
            ? new Acted([], [], null, false, plan.Memory with { AwaitingOutcome = measured.Awaiting })
            : await ActAsync(tick, measured, plan, cancellationToken).ConfigureAwait(false);
        return await RecordAsync(tick, measured, plan, acted).ConfigureAwait(false);
    }

    /// <summary>The fixed facts of one pool's tick.</summary>
    private sealed record PoolTick(PoolOptions Pool, string JobName, IStateStore Store, bool DryRun, DateTimeOffset Now)
    {
        public string Name => Pool.Name;

        public Task EventAsync(EventKind kind, IReadOnlyList<string> ids, string message, CancellationToken cancellationToken) =>
            Store.AppendEventAsync(new PoolEvent(Now, Pool.Name, kind, ids, message), cancellationToken);
    }

    /// <summary>What the measure step read. <see cref="Error"/> set: the demand or the pilots are unknown, and nothing past it was read.</summary>
    private sealed record Measured(
        PoolMemory Memory, Listing Listing, Demand? Demand, string? DemandError, string? Error,
        IReadOnlyList<Pilot> Pilots, IReadOnlyList<PilotOutcome>? Outcomes, IReadOnlyDictionary<string, DateTimeOffset> Awaiting, string? OutcomeNote,
        IAccountingStore? Books, BudgetState? Budget, System.Diagnostics.Stopwatch Clock);

    /// <summary>What the act step did: the ids it submitted and cancelled, its error, the memory to keep.</summary>
    private sealed record Acted(IReadOnlyList<string> Submitted, IReadOnlyList<string> Cancelled, string? Error, bool SubmitFailed, PoolMemory Memory);

    /// <summary>Step 1, measure: the pool's memory (clock-checked), its demand (read already, with the other pools'), its pilots and how ended ones ended, its budget.</summary>
    private async Task<Measured> MeasureAsync(PoolTick tick, Listing listing, DemandRead read, CancellationToken cancellationToken)
    {
        var pool = tick.Pool;
        var (memory, clockNotes) = ClockGuard.Sanitize(await tick.Store.LoadMemoryAsync(pool.Name, cancellationToken).ConfigureAwait(false), pool.Policy, tick.Now);
        foreach (var note in clockNotes)
        {
            _logger.LogWarning("pool {Pool}: {Note}", pool.Name, note);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (demand, demandError) = (read.Demand, read.Error);
        var error = listing.Error is not null && demandError is not null ? $"{listing.Error}; {demandError}" : listing.Error ?? demandError;
        if (error is not null)
        {
            return new Measured(memory, listing, demand, demandError, error, [], null, new Dictionary<string, DateTimeOffset>(), null, null, null, clock);
        }

        // A look-alike (a pilot's name without Autopilot's mark) is listed, never counted or cancelled.
        var pilots = listing.Pilots!.Where(p => p.State != PilotState.Finished && !p.Foreign).ToList();
        var (outcomes, awaiting, outcomeNote) = await EndedPilotsAsync(pool, listing.Scheduler!, memory, pilots, tick.Now, cancellationToken).ConfigureAwait(false);
        var books = tick.Store as IAccountingStore;
        var budget = books is null ? null : await Accounting.Budgets.StateAsync(_options, pool, books, tick.Now, cancellationToken).ConfigureAwait(false);
        if (budget is not null && _options.Accounting.SchedulerUsageCheck && pool.Scheduler.Account is { } account
            && _components.CreateAccounting?.Invoke(pool.Scheduler) is { } schedulerBooks)
        {
            budget = budget with { SchedulerUsage = await schedulerBooks.AccountUsageAsync(account, cancellationToken).ConfigureAwait(false) ?? $"{pool.Scheduler.Kind} has no per-account usage to compare with" };
        }

        return new Measured(memory, listing, demand, null, null, pilots, outcomes, awaiting, outcomeNote, books, budget, clock);
    }

    /// <summary>
    /// Each pool's demand (<see cref="ReadDemandAsync"/>), the pools read at the same time, at most
    /// max_parallel_reads at once: a source that hangs costs its own timeout.
    /// </summary>
    private async Task<Dictionary<string, DemandRead>> ReadDemandsAsync(IReadOnlyList<PoolOptions> pools, SharedDemands shares, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxParallelReads));
        var reads = pools.Select(async pool =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var (demand, error) = await ReadDemandAsync(pool, shares, cancellationToken).ConfigureAwait(false);
                return new DemandRead(demand, error);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        var read = await Task.WhenAll(reads).ConfigureAwait(false);
        var result = new Dictionary<string, DemandRead>(StringComparer.Ordinal);
        for (var i = 0; i < pools.Count; i++)
        {
            result[pools[i].Name] = read[i];
        }

        return result;
    }

    /// <summary>The pool's demand: its share of a group's demand, or its own source's count; a source that cannot be read gives an error, never zero.</summary>
    private async Task<(Demand? Demand, string? Error)> ReadDemandAsync(PoolOptions pool, SharedDemands shares, CancellationToken cancellationToken)
    {
        if (shares.TryGet(pool.Name, out var shared, out var sharedError))
        {
            return (shared, sharedError);
        }

        try
        {
            var source = _components.CreateDemandSource(pool);
            var saturation = (long)Math.Max(1, pool.Limits.MaxPilots) * Math.Max(1, pool.Limits.TasksPerPilot);
            return (await source.MeasureAsync(saturation, cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (ex is DemandException or SecretException or ArgumentException or NotSupportedException)
        {
            return (null, $"cannot read demand: {ex.Message}");
        }
    }

    /// <summary>Step 2, decide: the pure policy (Policy/ScalingPolicy.cs) turns what was measured into a plan.</summary>
    private Plan Decide(PoolTick tick, Measured m, int? globalRoom)
    {
        var pool = tick.Pool;
        var measured = m.Clock.Elapsed;
        var input = new PolicyInput(pool.Name, m.Demand, m.Pilots, pool.Limits, pool.Policy, pool.Scheduler, m.Memory, tick.Now, globalRoom, m.Outcomes, m.Budget);
        var plan = ScalingPolicy.Decide(input);
        _logger.LogDebug("pool {Pool}: memory read, outcomes and budget checked in {Measure:0.0} ms; policy decided in {Policy:0.000} ms",
            pool.Name, measured.TotalMilliseconds, (m.Clock.Elapsed - measured).TotalMilliseconds);
        return m.OutcomeNote is null ? plan : plan with { Notes = [.. plan.Notes, m.OutcomeNote] };
    }

    /// <summary>Step 3, act: cancel, then submit, as the plan says (never in a dry run).</summary>
    private async Task<Acted> ActAsync(PoolTick tick, Measured m, Plan plan, CancellationToken cancellationToken)
    {
        var scheduler = m.Listing.Scheduler!;
        var cancelled = new List<string>();
        string? error = null;
        if (plan.Cancel.Count > 0)
        {
            var ids = plan.Cancel.Select(c => c.PilotId).ToList();
            try
            {
                await scheduler.CancelAsync(ids, cancellationToken).ConfigureAwait(false);
                cancelled.AddRange(ids);
                await tick.EventAsync(EventKind.Cancelled, ids, string.Join("; ", plan.Cancel.Select(c => c.Reason).Distinct()), CancellationToken.None).ConfigureAwait(false);
            }
            catch (SchedulerException ex)
            {
                error = $"cancel failed: {ex.Message}";
                await tick.EventAsync(EventKind.CancelFailed, ids, ex.Message, CancellationToken.None).ConfigureAwait(false);
            }
        }

        var memory = plan.Memory with { AwaitingOutcome = m.Awaiting };
        if (plan.Submit == 0 || cancellationToken.IsCancellationRequested)
        {
            return new Acted([], cancelled, error, false, memory);
        }

        var submitted = await SubmitAsync(tick, m, plan, scheduler).ConfigureAwait(false);
        return submitted.Error is null
            ? new Acted(submitted.Ids, cancelled, error, false, Backoff.Succeeded(memory))
            : await SubmitFailedAsync(tick, m, memory, submitted, cancelled, error).ConfigureAwait(false);
    }

    /// <summary>Submits the plan's pilots and records their ids; the ids that went in before a failure count too.</summary>
    private async Task<(IReadOnlyList<string> Ids, Exception? Error)> SubmitAsync(PoolTick tick, Measured m, Plan plan, IScheduler scheduler)
    {
        var pool = tick.Pool;
        try
        {
            var script = _components.WriteScript(_options, pool, StateDir);
            var logDir = Path.Combine(StateDirectory.PilotLogs(StateDir), pool.Name);
            StateDirectory.Ensure(StateDirectory.PilotLogs(StateDir));
            StateDirectory.Ensure(logDir);
            var request = new SubmitRequest(pool.Name, tick.JobName, script, plan.Submit, pool.Scheduler, logDir, pool.Scheduler.UseArrays);

            // Once started, a submission runs to its own timeout: stopping half-way would leave
            // pilots in the queue that this tick never recorded.
            var submission = await scheduler.SubmitAsync(request, CancellationToken.None).ConfigureAwait(false);
            await RecordedIds.RecordAsync(tick.Store, pool.Name, submission, _time.GetUtcNow()).ConfigureAwait(false);
            await tick.EventAsync(EventKind.Submitted, submission.JobIds, plan.Reason, CancellationToken.None).ConfigureAwait(false);
            if (m.Memory.ConsecutiveSubmitFailures > 0)
            {
                await tick.EventAsync(EventKind.BackoffEnded, submission.JobIds,
                    $"a submission succeeded after {m.Memory.ConsecutiveSubmitFailures} failed in a row", CancellationToken.None).ConfigureAwait(false);
            }

            return (submission.JobIds, null);
        }
        catch (Exception ex) when (ex is SchedulerException or TemplateException or IOException)
        {
            if (ex is SchedulerException { SubmittedIds.Count: > 0 } partial)
            {
                // Some went in before the failure: they are pilots like any other, and the line,
                // the events and --json all say so (with the error of the rest below).
                await RecordedIds.RecordAsync(tick.Store, pool.Name, new SubmitResult(partial.SubmittedIds), _time.GetUtcNow()).ConfigureAwait(false);
                await tick.EventAsync(EventKind.Submitted, partial.SubmittedIds,
                    $"{plan.Reason} ({partial.SubmittedIds.Count} of {plan.Submit}; the rest failed)", CancellationToken.None).ConfigureAwait(false);
                return (partial.SubmittedIds, ex);
            }

            return ([], ex);
        }
    }

    /// <summary>A failed submission: back off, say until when, and record it.</summary>
    private async Task<Acted> SubmitFailedAsync(
        PoolTick tick, Measured m, PoolMemory memory, (IReadOnlyList<string> Ids, Exception? Error) submitted, IReadOnlyList<string> cancelled, string? cancelError)
    {
        var message = submitted.Error!.Message;
        memory = Backoff.Failed(memory, tick.Pool.Policy, tick.Now);
        var wait = memory.SubmitNotBefore is { } notBefore ? $", next try after {notBefore:HH:mm:ss}Z" : "";
        var error = (cancelError is null ? "" : cancelError + "; ") + $"submit failed ({memory.ConsecutiveSubmitFailures} in a row{wait}): {message}";
        await tick.EventAsync(EventKind.SubmitFailed, [], message, CancellationToken.None).ConfigureAwait(false);
        if (m.Memory.ConsecutiveSubmitFailures == 0 && memory.SubmitNotBefore is { } until)
        {
            await tick.EventAsync(EventKind.BackoffStarted, [],
                $"no submission before {until:yyyy-MM-dd HH:mm:ss}Z after a failed submission", CancellationToken.None).ConfigureAwait(false);
        }

        return new Acted(submitted.Ids, cancelled, error, true, memory);
    }

    /// <summary>Step 4, record: accounting, memory and events (not in a dry run), the tick's line, budget and recovery notices, the tick record.</summary>
    private async Task<PoolTickResult> RecordAsync(PoolTick tick, Measured m, Plan plan, Acted acted)
    {
        var (pool, store, now) = (tick.Pool, tick.Store, tick.Now);
        var memory = acted.Memory;
        if (!tick.DryRun)
        {
            if (m.Books is not null)
            {
                await Accounting.AccountingRecorder.RecordAsync(m.Books, _options.Accounting, pool, m.Pilots, acted.Submitted, m.Memory.SeenPilots, m.Outcomes, m.Demand!.Tasks, now, CancellationToken.None).ConfigureAwait(false);
                await CompleteAccountingAsync(pool, m.Books, now, CancellationToken.None).ConfigureAwait(false);
            }

            await RecordPoolChangesAsync(pool.Name, m.Memory, memory, m.OutcomeNote, store, now).ConfigureAwait(false);
            memory = memory with { SeenPilots = [.. m.Pilots.Where(p => p.IsActive).Select(p => p.Id), .. acted.Submitted] };
            await store.SaveMemoryAsync(pool.Name, memory, CancellationToken.None).ConfigureAwait(false);
        }

        var line = Summarise(pool.Name, m.Demand!, m.Pilots, plan, acted.Submitted, acted.Cancelled, tick.DryRun);
        if (acted.Error is not null)
        {
            line += $"; {acted.Error}";
            _logger.LogError("{Summary}", line);
        }
        else
        {
            _logger.LogInformation("{Summary}", line);
        }

        var pausedBy = PausedBy(memory) ?? (m.Budget is { Over: true } ? EventKinds.BudgetPause : null);
        var lastTick = tick.DryRun ? null : await store.LastTickAsync(pool.Name, CancellationToken.None).ConfigureAwait(false);
        await NoticeBudgetAsync(tick, m.Budget, pausedBy, lastTick).ConfigureAwait(false);
        if (!tick.DryRun)
        {
            await SaveTickAsync(tick, m.Pilots, plan, m.Demand!, acted.Error, line, pausedBy, lastTick).ConfigureAwait(false);
        }

        return new PoolTickResult(pool.Name, tick.JobName, m.Demand, m.Listing.Pilots, plan, acted.Submitted, acted.Cancelled, acted.Error, line, pausedBy, acted.SubmitFailed);
    }

    /// <summary>Over budget: a warning once, when the pool goes over (the last tick record remembers), so `tick -q` under cron mails once; information after that.</summary>
    private async Task NoticeBudgetAsync(PoolTick tick, BudgetState? budget, string? pausedBy, PoolTickRecord? lastTick)
    {
        if (budget is not { Over: true })
        {
            return;
        }

        var overLevel = tick.DryRun || lastTick?.PausedBy == EventKinds.BudgetPause ? LogLevel.Information : LogLevel.Warning;
        _logger.Log(overLevel, "pool {Pool}: over budget: {Budget}", tick.Name, Policy.BudgetPacing.Explain(budget, tick.Now));
        if (!tick.DryRun && pausedBy == EventKinds.BudgetPause && lastTick?.PausedBy != EventKinds.BudgetPause)
        {
            await tick.EventAsync(EventKind.Paused, [], "over budget: " + Policy.BudgetPacing.Explain(budget, tick.Now), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The tick record (with the failure count), and a recovery notice once per transition.</summary>
    private async Task SaveTickAsync(
        PoolTick tick, IReadOnlyList<Pilot> pilots, Plan plan, Demand demand, string? actionError, string line, string? pausedBy, PoolTickRecord? last)
    {
        var failures = actionError is null ? 0 : (last is { Ok: false } ? last.ConsecutiveFailures + 1 : 1);
        if (actionError is null && !EventKinds.IsSelfPause(pausedBy) && last is not null && (!last.Ok || EventKinds.IsSelfPause(last.PausedBy)))
        {
            // Once per transition (the last tick record remembers), so `tick -q` under cron mails once.
            var was = !last.Ok ? $"failing for {last.ConsecutiveFailures} tick(s)"
                : last.PausedBy == EventKinds.BudgetPause ? "over budget" : "paused by the crash-loop rule";
            _logger.LogWarning("pool {Pool}: recovered: {Was} until now", tick.Name, was);
            await tick.EventAsync(EventKind.Recovered, [], $"ticks normally again after {was}", CancellationToken.None).ConfigureAwait(false);
        }

        await tick.Store.SaveTickAsync(
            new PoolTickRecord(
                tick.Name, tick.Now, actionError is null, line, plan.Rule.ToString(), demand.Tasks,
                pilots.Count(p => p.State == PilotState.Queued),
                pilots.Count(p => p.State is PilotState.Running or PilotState.Completing),
                pilots.Count(p => p.State == PilotState.Held),
                failures,
                pausedBy),
            CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Fail closed: the demand or the pilots could not be read, so nothing is decided or done; the failure is logged and recorded.</summary>
    private async Task<PoolTickResult> RecordUnreadableAsync(PoolTick tick, Measured m, CancellationToken cancellationToken)
    {
        var summary = $"pool {tick.Name}: nothing done: {m.Error}";
        _logger.LogError("{Summary}", summary);
        if (!tick.DryRun)
        {
            var last = await tick.Store.LastTickAsync(tick.Name, cancellationToken).ConfigureAwait(false);
            var failures = last is { Ok: false } ? last.ConsecutiveFailures + 1 : 1;
            if (m.Listing.Error is not null)
            {
                await tick.EventAsync(EventKind.PilotsUnreadable, [], m.Listing.Error, cancellationToken).ConfigureAwait(false);
            }

            if (m.DemandError is not null)
            {
                await tick.EventAsync(EventKind.DemandUnreadable, [], m.DemandError, cancellationToken).ConfigureAwait(false);
            }

            // The pause state is carried through a failing tick: a failure is not a recovery from it.
            await tick.Store.SaveTickAsync(new PoolTickRecord(tick.Name, tick.Now, false, summary, null, m.Demand?.Tasks, 0, 0, 0, failures, PausedBy(m.Memory)), cancellationToken).ConfigureAwait(false);
        }

        return new PoolTickResult(tick.Name, tick.JobName, m.Demand, m.Listing.Pilots, null, [], [], m.Error, summary, PausedBy(m.Memory));
    }

    /// <summary>
    /// The rows of pilots that ended get the scheduler's own times, cores and memory, and the rows of
    /// pilots whose tasks can still grow get their busy time from the task server. Neither may fail
    /// the tick: a failure is a warning, and the same rows are asked about next tick.
    /// </summary>
    private async Task CompleteAccountingAsync(PoolOptions pool, IAccountingStore books, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var accounting = _components.CreateAccounting?.Invoke(pool.Scheduler);
        var usage = _components.CreateTaskUsage?.Invoke(pool, StateDir);
        if (accounting is not null
            && await Accounting.AccountingCompletion.CompleteAsync(books, accounting, pool, now, cancellationToken).ConfigureAwait(false) is { } warning)
        {
            _logger.LogWarning("pool {Pool}: {Warning}", pool.Name, warning);
        }

        if (usage is not null
            && await Accounting.TaskUsageRecorder.RecordAsync(books, usage, pool, now, cancellationToken).ConfigureAwait(false) is { } busyWarning)
        {
            _logger.LogWarning("pool {Pool}: {Warning}", pool.Name, busyWarning);
        }
    }

    /// <summary>Why the pool's submissions are paused after this tick, as metrics and exit codes name it; null when they are not.</summary>
    public static string? PausedBy(PoolMemory memory) =>
        memory.PausedReason is not null ? EventKinds.OperatorPause
        : memory.CrashLoopReason is not null ? EventKinds.CrashLoopPause
        : null;

    /// <summary>Events for what changed in the pool's memory this tick: a crash-loop pause (with its one warning line), outcomes that could not be read.</summary>
    private async Task RecordPoolChangesAsync(string pool, PoolMemory before, PoolMemory after, string? outcomeNote, IStateStore store, DateTimeOffset now)
    {
        if (before.CrashLoopReason is null && after.CrashLoopReason is { } crash)
        {
            // A warning, so `tick -q` prints it: the one line cron mails when a pool pauses itself.
            _logger.LogWarning("pool {Pool}: paused by the crash-loop rule: {Reason}", pool, crash);
            await store.AppendEventAsync(new PoolEvent(now, pool, EventKind.CrashLoop, [], crash), CancellationToken.None).ConfigureAwait(false);
        }

        if (outcomeNote is not null)
        {
            await store.AppendEventAsync(new PoolEvent(now, pool, EventKind.OutcomesUnreadable, [], outcomeNote), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Pilots seen last tick and gone now have ended: ask accounting once how (for the crash-loop
    /// detector). Each pilot is fed to the policy at most once; one accounting has not shown yet is
    /// asked about again for up to 30 minutes. Accounting that cannot be read only adds a note.
    /// </summary>
    private async Task<(IReadOnlyList<PilotOutcome>? Outcomes, IReadOnlyDictionary<string, DateTimeOffset> Awaiting, string? Note)> EndedPilotsAsync(
        PoolOptions pool, IScheduler scheduler, PoolMemory memory, IReadOnlyList<Pilot> pilots, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var current = pilots.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        var awaiting = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (id, since) in memory.AwaitingOutcome)
        {
            if (now - since < TimeSpan.FromMinutes(30) && !current.Contains(id))
            {
                awaiting.Add(id, since);
            }
        }

        foreach (var id in memory.SeenPilots.Where(id => !current.Contains(id)))
        {
            awaiting.TryAdd(id, now);
        }

        if (awaiting.Count == 0 || pool.Policy.CrashLoopThreshold <= 0)
        {
            return (null, new Dictionary<string, DateTimeOffset>(), null);
        }

        try
        {
            var report = await scheduler.OutcomesAsync(new OutcomeQuery([JobName(_options, pool)], now - TimeSpan.FromDays(1)), cancellationToken).ConfigureAwait(false);
            if (!report.Available)
            {
                return (null, new Dictionary<string, DateTimeOffset>(), $"pilot outcomes unknown (no accounting: {report.Note}); the crash-loop detector is blind");
            }

            var found = report.Outcomes.Where(o => awaiting.ContainsKey(o.Id)).GroupBy(o => o.Id).Select(g => g.Last()).ToList();
            foreach (var outcome in found)
            {
                awaiting.Remove(outcome.Id);
            }

            return (found, awaiting, null);
        }
        catch (SchedulerException ex)
        {
            _logger.LogWarning("pool {Pool}: cannot read pilot outcomes: {Message}", pool.Name, ex.Message);
            return (null, awaiting, $"pilot outcomes unreadable this tick: {ex.Message}");
        }
    }

    /// <summary>The one line per pool per tick: demand, pilots, action, rule.</summary>
    public static string Summarise(string pool, Demand demand, IReadOnlyList<Pilot> pilots, Plan plan, IReadOnlyList<string> submitted, IReadOnlyList<string> cancelled, bool dryRun)
    {
        var queued = pilots.Count(p => p.State == PilotState.Queued);
        var running = pilots.Count(p => p.State is PilotState.Running or PilotState.Completing);
        var held = pilots.Count(p => p.State == PilotState.Held);
        string action;
        if (dryRun)
        {
            action = plan.ChangesAnything
                ? $"would submit {plan.Submit}, cancel {plan.Cancel.Count}"
                : "no change";
        }
        else
        {
            action = submitted.Count == 0 && cancelled.Count == 0
                ? "no change"
                : string.Join(", ", new[]
                {
                    submitted.Count > 0 ? $"submitted {submitted.Count} ({Ids(submitted)})" : null,
                    cancelled.Count > 0 ? $"cancelled {cancelled.Count} ({Ids(cancelled)})" : null,
                }.Where(s => s is not null));
        }

        var heldText = held > 0 ? $", {held} held" : "";
        return $"pool {pool}: demand {demand.Tasks}{(demand.Saturated ? "+" : "")}, pilots {queued} queued, {running} running{heldText}, desired {plan.Desired}: {action} [{plan.Rule}: {plan.Reason}]";
    }

    private static string Ids(IReadOnlyList<string> ids) =>
        ids.Count <= 4 ? string.Join(' ', ids) : $"{ids[0]} ... {ids[^1]}";
}
