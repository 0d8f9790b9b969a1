using Autopilot.Domain;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Lsf;

/// <summary>
/// Jobs named as asked become pilots; finished ones only when asked for. The one place that filters,
/// maps and builds LSF pilots, fed either straight by a parser (the tick path: no <see cref="LsfJob"/> per
/// job, and a job that is not ours costs no strings) or with parsed jobs (<see cref="LsfParsers.ToPilots"/>).
/// </summary>
internal sealed class LsfPilotCollector : ILsfJobSink
{
    private readonly IReadOnlySet<string> _wanted;
    private readonly bool _includeFinished;

    private readonly StateMapCache _states = new((stat, reason) => LsfStates.Map(stat, reason));

    // Jobs of one pool come in runs: the last name's verdict is reused while the name repeats.
    private string? _lastName;
    private bool _lastWanted;

    public LsfPilotCollector(IReadOnlyCollection<string> names, bool includeFinished)
    {
        _wanted = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        _includeFinished = includeFinished;
    }

    public SegmentedList<Pilot> Pilots { get; } = new();

    public void Add(LsfJob job)
    {
        if ((SameName(job.Name) ? _lastWanted : Wanted(job.Name)) && TryMap(job.Stat, job.PendReason, out var map))
        {
            Pilots.Add(Create(job, map));
        }
    }

    void ILsfJobSink.Add(LsfRecord record)
    {
        // The checks every record passes, ours or not, so both paths fail alike on a bad listing.
        var jobIdText = record.RequireJobId();
        var statText = record.RequireStat(jobIdText);
        var rawName = record.Value(LsfSlot.JobName);
        var baseName = LsfParsers.SplitArrayName(rawName, out var nameIndex);
        if (!(SameName(baseName) ? _lastWanted : Wanted(record.Pooled(baseName) ?? "")))
        {
            return;
        }

        var stat = record.Pooled(statText)!;
        if (!TryMap(stat, record.String(LsfSlot.PendReason), out var map))
        {
            return;
        }

        var jobId = record.JobId(jobIdText);
        var index = record.Index(nameIndex);
        var start = record.Time(LsfSlot.StartTime);
        Pilots.Add(Create(LsfRecord.ElementId(jobId, index), _lastName!, stat, map, record.Time(LsfSlot.SubmitTime), start, index, jobId, record.TimeLimit(start)));
    }

    public static Pilot Create(LsfJob job, (PilotState State, PendingKind Kind, string? Reason) map) =>
        Create(job.Id, job.Name, job.Stat, map, job.SubmitTime, job.StartTime, job.Index, job.JobId, job.TimeLimit);

    private static Pilot Create(
        string id, string name, string stat, (PilotState State, PendingKind Kind, string? Reason) map,
        DateTimeOffset? submit, DateTimeOffset? start, int? index, string jobId, TimeSpan? limit) =>
        new(id, name, map.State, stat, map.Reason, map.Kind, submit, start, index, index is null ? null : jobId, limit);

    private bool SameName(ReadOnlySpan<char> name) => _lastName is not null && name.SequenceEqual(_lastName);

    private bool Wanted(string name)
    {
        _lastName = name;
        return _lastWanted = _wanted.Contains(name);
    }

    /// <summary>False for a finished job when finished ones were not asked for.</summary>
    private bool TryMap(string stat, string? reason, out (PilotState State, PendingKind Kind, string? Reason) map)
    {
        map = _states.Get(stat, reason);
        return _includeFinished || map.State is not PilotState.Finished;
    }
}
