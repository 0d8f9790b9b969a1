namespace Autopilot.State;

/// <summary>
/// The job ids this state folder submitted (docs/operations.md, "What identifies a pilot"). PBS/Torque
/// and LSF have no per-job mark Autopilot can read back cheaply, so a listed job of a pilot's name is a
/// pilot only when its id (or its array's id) is recorded here; any other is a look-alike. Rows are
/// keyed by <see cref="SubmittedJobs.Key"/> and pruned once not listed for <see cref="SubmittedJobs.Keep"/>.
/// </summary>
public interface ISubmittedJobStore
{
    /// <summary>Records the ids of one submission (elements and the array's own id alike), in one transaction.</summary>
    Task RecordSubmittedAsync(string pool, IReadOnlyCollection<string> jobIds, DateTimeOffset submitted, CancellationToken cancellationToken);

    /// <summary>The recorded keys of these pools: one indexed query, however many jobs are listed.</summary>
    Task<IReadOnlySet<string>> RecordedKeysAsync(IReadOnlyCollection<string> pools, CancellationToken cancellationToken);

    /// <summary>
    /// Marks <paramref name="seenKeys"/> as listed at <paramref name="now"/>, then deletes the rows of
    /// <paramref name="listedPools"/> (pools whose listing was read) not listed, or when never listed not
    /// submitted, since <paramref name="now"/> minus <paramref name="keep"/>.
    /// </summary>
    Task SeenAsync(IReadOnlyCollection<string> listedPools, IReadOnlyCollection<string> seenKeys, DateTimeOffset now, TimeSpan keep, CancellationToken cancellationToken);
}

/// <summary>How a job id is recorded and matched.</summary>
public static class SubmittedJobs
{
    /// <summary>How long a recorded id is kept after it was last listed (or submitted, when never listed).</summary>
    public static readonly TimeSpan Keep = TimeSpan.FromDays(7);

    /// <summary>
    /// The part of an id that names the job on its server: the leading sequence number. PBS
    /// <c>123[].server</c>, <c>123[4].server.domain</c> and a bare <c>123</c> (some qsub builds print no
    /// suffix, or a shorter one than qstat lists) are all <c>123</c>; LSF <c>123</c> and <c>123[4]</c> too.
    /// An id with no leading digits (local pilots) is its own key.
    /// </summary>
    public static string Key(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        var end = 0;
        while (end < jobId.Length && char.IsAsciiDigit(jobId[end]))
        {
            end++;
        }

        return end == 0 ? jobId : jobId[..end];
    }

    /// <summary>The keys of one submission: its elements' and its array's.</summary>
    public static IReadOnlyCollection<string> Keys(IEnumerable<string> jobIds, string? arrayJobId = null)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in jobIds)
        {
            keys.Add(Key(id));
        }

        if (arrayJobId is not null)
        {
            keys.Add(Key(arrayJobId));
        }

        return keys;
    }
}
