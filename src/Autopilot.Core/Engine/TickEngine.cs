using Autopilot.Configuration;
using Autopilot.DemandSources;
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

        // The global cap counts every active pilot of every pool, including pools not selected.
        var globalActive = 0;
        foreach (var listing in listings.Values)
        {
            globalActive += listing.Pilots?.Count(p => p.IsActive && !p.Foreign) ?? 0;
        }

        int? globalRoom = _options.MaxPilots > 0 ? Math.Max(0, _options.MaxPilots - globalActive) : null;
        var listed = clock.Elapsed;
        var cpuListed = Environment.CpuUsage.TotalTime;

        // Tokens of gone pilots go back to todo before the demand is read, so this tick sees them.
        var resetPools = pools.Where(p => p.Demand.Kind == "picas" && p.Demand.ResetStaleLocks).ToList();
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

    /// <summary>Metrics and the textfile; a textfile that cannot be written is a warning, never a failed tick.</summary>
    private async Task ObserveAsync(Autopilot.Monitoring.AutopilotMetrics metrics, TickReport report, TimeSpan duration)
    {
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
    /// Each pool's demand (its share group's slice, or its own source), the pools' own sources read at
    /// the same time, at most max_parallel_reads at once: a source that hangs costs its own timeout.
    /// </summary>
    private async Task<Dictionary<string, DemandRead>> ReadDemandsAsync(
        IReadOnlyList<PoolOptions> pools, SharedDemands shares, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxParallelReads));
        var reads = pools.Select(async pool =>
        {
            if (shares.TryGet(pool.Name, out var shared, out var sharedError))
            {
                return new DemandRead(shared, sharedError);
            }

            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var source = _components.CreateDemandSource(pool);
                var saturation = (long)Math.Max(1, pool.Limits.MaxPilots) * Math.Max(1, pool.Limits.TasksPerPilot);
                return new DemandRead(await source.MeasureAsync(saturation, cancellationToken).ConfigureAwait(false), null);
            }
            catch (Exception ex) when (ex is DemandException or SecretException or ArgumentException or NotSupportedException)
            {
                return new DemandRead(null, $"cannot read demand: {ex.Message}");
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

    private async Task<PoolTickResult> TickPoolAsync(
        PoolOptions pool, Listing listing, int? globalRoom, IStateStore store, bool dryRun, DateTimeOffset now, CancellationToken cancellationToken, DemandRead read)
    {
        var jobName = JobName(_options, pool);
        var (memory, clockNotes) = ClockGuard.Sanitize(await store.LoadMemoryAsync(pool.Name, cancellationToken).ConfigureAwait(false), pool.Policy, now);
        foreach (var note in clockNotes)
        {
            _logger.LogWarning("pool {Pool}: {Note}", pool.Name, note);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (demand, demandError) = (read.Demand, read.Error);

        var error = listing.Error ?? demandError;
        if (listing.Error is not null && demandError is not null)
        {
            error = $"{listing.Error}; {demandError}";
        }

        if (error is not null)
        {
            var summary = $"pool {pool.Name}: nothing done: {error}";
            _logger.LogError("{Summary}", summary);
            if (!dryRun)
            {
                var last = await store.LastTickAsync(pool.Name, cancellationToken).ConfigureAwait(false);
                var failures = last is { Ok: false } ? last.ConsecutiveFailures + 1 : 1;
                if (listing.Error is not null)
                {
                    await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.PilotsUnreadable, [], listing.Error), cancellationToken).ConfigureAwait(false);
                }

                if (demandError is not null)
                {
                    await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.DemandUnreadable, [], demandError), cancellationToken).ConfigureAwait(false);
                }

                // The pause state is carried through a failing tick: a failure is not a recovery from it.
                await store.SaveTickAsync(new PoolTickRecord(pool.Name, now, false, summary, null, demand?.Tasks, 0, 0, 0, failures, PausedBy(memory)), cancellationToken).ConfigureAwait(false);
            }

            return new PoolTickResult(pool.Name, jobName, demand, listing.Pilots, null, [], [], error, summary, PausedBy(memory));
        }

        var listed = listing.Pilots!;
        // A look-alike (a pilot's name without Autopilot's mark) is listed, never counted or cancelled.
        var pilots = listed.Where(p => p.State != PilotState.Finished && !p.Foreign).ToList();
        var (outcomes, awaiting, outcomeNote) = await EndedPilotsAsync(pool, listing.Scheduler!, memory, pilots, now, cancellationToken).ConfigureAwait(false);
        var books = store as IAccountingStore;
        var budget = books is null ? null : await Accounting.Budgets.StateAsync(_options, pool, books, now, cancellationToken).ConfigureAwait(false);
        var measured = clock.Elapsed;
        var input = new PolicyInput(pool.Name, demand, pilots, pool.Limits, pool.Policy, pool.Scheduler, memory, now, globalRoom, outcomes, budget);
        var plan = ScalingPolicy.Decide(input);
        _logger.LogDebug("pool {Pool}: memory read, outcomes and budget checked in {Measure:0.0} ms; policy decided in {Policy:0.000} ms",
            pool.Name, measured.TotalMilliseconds, (clock.Elapsed - measured).TotalMilliseconds);
        if (outcomeNote is not null)
        {
            plan = plan with { Notes = [.. plan.Notes, outcomeNote] };
        }

        var nextMemory = plan.Memory with { AwaitingOutcome = awaiting };
        var submitted = new List<string>();
        var cancelled = new List<string>();
        string? actionError = null;
        var submitFailed = false;

        if (!dryRun)
        {
            var scheduler = listing.Scheduler!;
            if (plan.Cancel.Count > 0)
            {
                var ids = plan.Cancel.Select(c => c.PilotId).ToList();
                try
                {
                    await scheduler.CancelAsync(ids, cancellationToken).ConfigureAwait(false);
                    cancelled.AddRange(ids);
                    var reasons = string.Join("; ", plan.Cancel.Select(c => c.Reason).Distinct());
                    await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.Cancelled, ids, reasons), CancellationToken.None).ConfigureAwait(false);
                }
                catch (SchedulerException ex)
                {
                    actionError = $"cancel failed: {ex.Message}";
                    await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.CancelFailed, ids, ex.Message), CancellationToken.None).ConfigureAwait(false);
                }
            }

            if (plan.Submit > 0 && !cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var script = _components.WriteScript(_options, pool, StateDir);
                    var logDir = Path.Combine(StateDirectory.PilotLogs(StateDir), pool.Name);
                    StateDirectory.Ensure(StateDirectory.PilotLogs(StateDir));
                    StateDirectory.Ensure(logDir);
                    var request = new SubmitRequest(pool.Name, jobName, script, plan.Submit, pool.Scheduler, logDir, pool.Scheduler.UseArrays);

                    // Once started, a submission runs to its own timeout: stopping half-way would leave
                    // pilots in the queue that this tick never recorded.
                    var submission = await scheduler.SubmitAsync(request, CancellationToken.None).ConfigureAwait(false);
                    await RecordedIds.RecordAsync(store, pool.Name, submission, _time.GetUtcNow()).ConfigureAwait(false);
                    submitted.AddRange(submission.JobIds);
                    nextMemory = Backoff.Succeeded(nextMemory);
                    await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.Submitted, submission.JobIds, plan.Reason), CancellationToken.None).ConfigureAwait(false);
                    if (memory.ConsecutiveSubmitFailures > 0)
                    {
                        await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.BackoffEnded, submission.JobIds,
                            $"a submission succeeded after {memory.ConsecutiveSubmitFailures} failed in a row"), CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is SchedulerException or TemplateException or IOException)
                {
                    if (ex is SchedulerException { SubmittedIds.Count: > 0 } partial)
                    {
                        // Some went in before the failure: they are pilots like any other, and the line,
                        // the events and --json all say so (with the error of the rest below).
                        await RecordedIds.RecordAsync(store, pool.Name, new SubmitResult(partial.SubmittedIds), _time.GetUtcNow()).ConfigureAwait(false);
                        submitted.AddRange(partial.SubmittedIds);
                        await store.AppendEventAsync(
                            new PoolEvent(now, pool.Name, EventKind.Submitted, partial.SubmittedIds, $"{plan.Reason} ({partial.SubmittedIds.Count} of {plan.Submit}; the rest failed)"),
                            CancellationToken.None).ConfigureAwait(false);
                    }

                    nextMemory = Backoff.Failed(nextMemory, pool.Policy, now);
                    submitFailed = true;
                    var wait = nextMemory.SubmitNotBefore is { } notBefore ? $", next try after {notBefore:HH:mm:ss}Z" : "";
                    actionError = (actionError is null ? "" : actionError + "; ") + $"submit failed ({nextMemory.ConsecutiveSubmitFailures} in a row{wait}): {ex.Message}";
                    await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.SubmitFailed, [], ex.Message), CancellationToken.None).ConfigureAwait(false);
                    if (memory.ConsecutiveSubmitFailures == 0 && nextMemory.SubmitNotBefore is { } until)
                    {
                        await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.BackoffStarted, [],
                            $"no submission before {until:yyyy-MM-dd HH:mm:ss}Z after a failed submission"), CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }

            if (books is not null)
            {
                await Accounting.AccountingRecorder.RecordAsync(books, _options.Accounting, pool, pilots, submitted, memory.SeenPilots, outcomes, demand!.Tasks, now, CancellationToken.None).ConfigureAwait(false);
            }

            await RecordPoolChangesAsync(pool.Name, memory, nextMemory, outcomeNote, store, now).ConfigureAwait(false);

            nextMemory = nextMemory with
            {
                SeenPilots = [.. pilots.Where(p => p.IsActive).Select(p => p.Id), .. submitted],
            };
            await store.SaveMemoryAsync(pool.Name, nextMemory, CancellationToken.None).ConfigureAwait(false);
        }


        var line = Summarise(pool.Name, demand!, pilots, plan, submitted, cancelled, dryRun);
        if (actionError is not null)
        {
            line += $"; {actionError}";
            _logger.LogError("{Summary}", line);
        }
        else
        {
            _logger.LogInformation("{Summary}", line);
        }

        var pausedBy = PausedBy(nextMemory) ?? (budget is { Over: true } ? EventKinds.BudgetPause : null);
        var lastTick = dryRun ? null : await store.LastTickAsync(pool.Name, CancellationToken.None).ConfigureAwait(false);
        if (budget is { Over: true })
        {
            // A warning once, when the pool goes over (the last tick record remembers), so `tick -q`
            // under cron mails once; every tick after that says it at information level.
            var overLevel = dryRun || lastTick?.PausedBy == EventKinds.BudgetPause ? LogLevel.Information : LogLevel.Warning;
            _logger.Log(overLevel, "pool {Pool}: over budget: {Budget}", pool.Name, Policy.BudgetPacing.Explain(budget, now));
            if (!dryRun && pausedBy == EventKinds.BudgetPause && lastTick?.PausedBy != EventKinds.BudgetPause)
            {
                await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.Paused, [], "over budget: " + Policy.BudgetPacing.Explain(budget, now)), CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (!dryRun)
        {
            var last = lastTick;
            var failures = actionError is null ? 0 : (last is { Ok: false } ? last.ConsecutiveFailures + 1 : 1);
            if (actionError is null && !EventKinds.IsSelfPause(pausedBy) && last is not null && (!last.Ok || EventKinds.IsSelfPause(last.PausedBy)))
            {
                // Once per transition (the last tick record remembers), so `tick -q` under cron mails once.
                var was = !last.Ok ? $"failing for {last.ConsecutiveFailures} tick(s)"
                    : last.PausedBy == EventKinds.BudgetPause ? "over budget" : "paused by the crash-loop rule";
                _logger.LogWarning("pool {Pool}: recovered: {Was} until now", pool.Name, was);
                await store.AppendEventAsync(new PoolEvent(now, pool.Name, EventKind.Recovered, [], $"ticks normally again after {was}"), CancellationToken.None).ConfigureAwait(false);
            }

            await store.SaveTickAsync(
                new PoolTickRecord(
                    pool.Name, now, actionError is null, line, plan.Rule.ToString(), demand!.Tasks,
                    pilots.Count(p => p.State == PilotState.Queued),
                    pilots.Count(p => p.State is PilotState.Running or PilotState.Completing),
                    pilots.Count(p => p.State == PilotState.Held),
                    failures,
                    pausedBy),
                CancellationToken.None).ConfigureAwait(false);
        }

        return new PoolTickResult(pool.Name, jobName, demand, listed, plan, submitted, cancelled, actionError, line, pausedBy, submitFailed);
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
