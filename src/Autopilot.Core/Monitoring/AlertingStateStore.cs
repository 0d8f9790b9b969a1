using Autopilot.Policy;
using Autopilot.State;

namespace Autopilot.Monitoring;

/// <summary>
/// The state store with alerts: every event appended is also handed to the <see cref="AlertSender"/>
/// when the store is closed at the end of the tick (or of the operator command), so alerts are sent
/// together, after the state is safe, and hold the tick up for at most the alert timeout.
/// </summary>
public sealed class AlertingStateStore(IStateStore inner, AlertSender sender) : IStateStore, ISubmittedJobStore, IAccountingStore
{
    // Accounting passes straight through too: without it, budgets and `report` would silently see nothing.
    private IAccountingStore Books => inner as IAccountingStore
        ?? throw new StateStoreException("the state store cannot keep accounting rows");

    // The recorded job ids pass straight through: without them PBS/Torque/LSF could not tell a pilot from a look-alike.
    private ISubmittedJobStore Recorded => inner as ISubmittedJobStore
        ?? throw new StateStoreException("the state store cannot record submitted job ids");

    private readonly List<PoolEvent> _events = [];

    public Task<PoolMemory> LoadMemoryAsync(string pool, CancellationToken cancellationToken) => inner.LoadMemoryAsync(pool, cancellationToken);

    public Task SaveMemoryAsync(string pool, PoolMemory memory, CancellationToken cancellationToken) => inner.SaveMemoryAsync(pool, memory, cancellationToken);

    public async Task AppendEventAsync(PoolEvent poolEvent, CancellationToken cancellationToken)
    {
        await inner.AppendEventAsync(poolEvent, cancellationToken).ConfigureAwait(false);
        _events.Add(poolEvent);
    }

    public Task<IReadOnlyList<PoolEvent>> EventsAsync(DateTimeOffset since, string? pool, CancellationToken cancellationToken) => inner.EventsAsync(since, pool, cancellationToken);

    public Task SaveTickAsync(PoolTickRecord record, CancellationToken cancellationToken) => inner.SaveTickAsync(record, cancellationToken);

    public Task<PoolTickRecord?> LastTickAsync(string pool, CancellationToken cancellationToken) => inner.LastTickAsync(pool, cancellationToken);

    public Task RecordSubmittedAsync(string pool, IReadOnlyCollection<string> jobIds, DateTimeOffset submitted, CancellationToken cancellationToken) =>
        Recorded.RecordSubmittedAsync(pool, jobIds, submitted, cancellationToken);

    public Task<IReadOnlySet<string>> RecordedKeysAsync(IReadOnlyCollection<string> pools, CancellationToken cancellationToken) =>
        Recorded.RecordedKeysAsync(pools, cancellationToken);

    public Task SeenAsync(IReadOnlyCollection<string> listedPools, IReadOnlyCollection<string> seenKeys, DateTimeOffset now, TimeSpan keep, CancellationToken cancellationToken) =>
        Recorded.SeenAsync(listedPools, seenKeys, now, keep, cancellationToken);

    public Task<IReadOnlyList<PilotRecord>> OpenPilotsAsync(string pool, IReadOnlyCollection<string> ids, CancellationToken cancellationToken) =>
        Books.OpenPilotsAsync(pool, ids, cancellationToken);

    public Task SavePilotsAsync(IReadOnlyList<PilotRecord> records, CancellationToken cancellationToken) => Books.SavePilotsAsync(records, cancellationToken);

    public Task<IReadOnlyList<PilotRecord>> PilotsSinceAsync(DateTimeOffset since, CancellationToken cancellationToken) => Books.PilotsSinceAsync(since, cancellationToken);

    public Task AddSampleAsync(PoolSample sample, TimeSpan retention, CancellationToken cancellationToken) => Books.AddSampleAsync(sample, retention, cancellationToken);

    public Task<IReadOnlyList<PilotRecord>> UncompletedPilotsAsync(string pool, DateTimeOffset endedAfter, int limit, CancellationToken cancellationToken) =>
        Books.UncompletedPilotsAsync(pool, endedAfter, limit, cancellationToken);

    public Task<IReadOnlyList<PilotRecord>> PilotsWithTasksOpenAsync(string pool, DateTimeOffset endedAfter, CancellationToken cancellationToken) =>
        Books.PilotsWithTasksOpenAsync(pool, endedAfter, cancellationToken);

    public Task<IReadOnlyList<PoolSample>> SamplesAsync(DateTimeOffset since, string? pool, CancellationToken cancellationToken) => Books.SamplesAsync(since, pool, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        try
        {
            if (_events.Count > 0)
            {
                await sender.SendAsync(_events, CancellationToken.None).ConfigureAwait(false);
                _events.Clear();
            }
        }
        finally
        {
            sender.Dispose();
        }
    }
}
