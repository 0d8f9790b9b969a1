using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Schedulers;
using Autopilot.State;

namespace Autopilot.Engine;

/// <summary>
/// Tells PBS/Torque and LSF pilots from look-alikes by the job ids this state folder recorded at
/// submission (<see cref="ISubmittedJobStore"/>; docs/operations.md, "What identifies a pilot"). Slurm
/// and Grid Engine pilots carry a mark the scheduler lists instead; their ids are recorded all the same.
/// </summary>
public static class RecordedIds
{
    /// <summary>What `jobs` shows as the reason of a look-alike told apart by its id.</summary>
    public const string ForeignReason = "id not recorded by this state folder: a look-alike, or submitted before the upgrade";

    /// <summary>The schedulers whose pilots are told from look-alikes by a recorded id.</summary>
    public static bool Applies(string kind) => SchedulerKinds.Find(kind)?.TellsPilotsByRecordedIds == true;

    /// <summary>The recorded keys of the pools that need them (one query), or an empty set when none does.</summary>
    public static async Task<IReadOnlySet<string>> KeysFor(ISubmittedJobStore store, IReadOnlyList<PoolOptions> pools, CancellationToken cancellationToken)
    {
        var names = pools.Where(p => Applies(p.Scheduler.Kind)).Select(p => p.Name).ToList();
        return names.Count == 0
            ? new HashSet<string>()
            : await store.RecordedKeysAsync(names, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Listed pilots whose id and array id are both unrecorded become <see cref="Pilot.Foreign"/>.</summary>
    public static IReadOnlyList<Pilot> MarkForeign(IReadOnlyList<Pilot> pilots, IReadOnlySet<string> keys)
    {
        List<Pilot>? marked = null;
        for (var i = 0; i < pilots.Count; i++)
        {
            var p = pilots[i];
            if (p.Foreign || keys.Contains(SubmittedJobs.Key(p.Id)) || (p.ArrayJobId is { } parent && keys.Contains(SubmittedJobs.Key(parent))))
            {
                marked?.Add(p);
                continue;
            }

            marked ??= new List<Pilot>(pilots.Take(i));
            marked.Add(p with { Foreign = true, PendingReason = ForeignReason });
        }

        return marked ?? pilots;
    }

    /// <summary>
    /// Records a submission's ids at once, before anything else can fail: a pilot whose id is not
    /// recorded would be foreign from the next tick on (listed, never counted or cancelled).
    /// </summary>
    public static async Task RecordAsync(IStateStore store, string pool, SubmitResult submission, DateTimeOffset now)
    {
        if (store is ISubmittedJobStore recorded)
        {
            var ids = submission.ArrayJobId is { } array ? [.. submission.JobIds, array] : submission.JobIds;
            await recorded.RecordSubmittedAsync(pool, ids, now, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Marks the ids of this tick's own pilots as seen and prunes the long-unseen ones, for the pools listed.</summary>
    public static Task SeenAsync(ISubmittedJobStore store, IReadOnlyDictionary<string, TickEngine.Listing> listings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var listed = listings.Where(l => l.Value.Pilots is not null).Select(l => l.Key).ToList();
        var seen = SubmittedJobs.Keys(listings.Values
            .SelectMany(l => l.Pilots ?? [])
            .Where(p => !p.Foreign)
            .SelectMany(p => p.ArrayJobId is { } parent ? [p.Id, parent] : new[] { p.Id }));
        return store.SeenAsync(listed, seen, now, SubmittedJobs.Keep, cancellationToken);
    }
}
