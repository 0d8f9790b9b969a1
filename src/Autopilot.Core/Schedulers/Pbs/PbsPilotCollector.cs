using Autopilot.Domain;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.Pbs;

/// <summary>
/// Turns the jobs of a listing into pilots: those named as asked, owned by the user when given.
/// Array parents are dropped when any of their subjobs is listed (the subjobs are the pilots); a
/// parent listed alone stands for its array. Fed by a parser it takes each job straight from the
/// builder, so a 100,000-job listing makes no <see cref="PbsJob"/> per job (a tick's listing path);
/// fed <see cref="PbsJob"/>s it serves <see cref="PbsParsers.ToPilots"/> with the same rules.
/// </summary>
internal sealed class PbsPilotCollector : IPbsJobSink
{
    private readonly IReadOnlySet<string> _wanted;
    private readonly PbsFlavor _flavor;
    private readonly string? _user;
    private readonly bool _includeFinished;
    private readonly SegmentedList<Pilot> _pilots = new();

    private readonly StateMapCache _states;
    private string? _lastParent;
    private bool _anyParent;
    private HashSet<string>? _finishedSubjobParents;

    public PbsPilotCollector(IReadOnlyCollection<string> names, PbsFlavor flavor, string? user = null, bool includeFinished = false)
    {
        ArgumentNullException.ThrowIfNull(names);
        _wanted = names as IReadOnlySet<string> ?? new HashSet<string>(names, StringComparer.Ordinal);
        _flavor = flavor;
        _user = user;
        _includeFinished = includeFinished;
        _states = new StateMapCache((state, comment) => PbsStates.Map(state, flavor, comment));
    }

    public void Add(PbsJobBuilder job)
    {
        var id = job.RequireId();
        var state = job.RequireState();
        if (Accept(id, job.JobName, state, job.JobOwner, job.JobComment, out var map) is { } name)
        {
            Keep(id, name, state, map, job.QueueTime, job.StartTime, job.RequestedWalltime);
        }
    }

    public void Add(PbsJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (Accept(job.Id, job.Name, job.State, job.Owner, job.Comment, out var map) is { } name)
        {
            Keep(job.Id, name, job.State, map, job.QueueTime, job.StartTime, job.Walltime);
        }
    }

    /// <summary>The pilots collected so far, array parents with listed subjobs removed.</summary>
    public IReadOnlyList<Pilot> Pilots()
    {
        if (!_anyParent)
        {
            return _pilots;
        }

        // Only a listing that shows array parents needs to know which of them have subjobs listed.
        var parentsWithSubjobs = new HashSet<string>(_finishedSubjobParents ?? [], StringComparer.Ordinal);
        foreach (var pilot in _pilots)
        {
            if (pilot.ArrayJobId is { } parent)
            {
                parentsWithSubjobs.Add(parent);
            }
        }

        return _pilots.Where(p => !(PbsJobIds.IsArrayParent(p.Id) && parentsWithSubjobs.Contains(p.Id))).ToList();
    }

    /// <summary>
    /// The requested name a listed job carries, or null when it is not one of ours. Torque names an
    /// array's subjobs &lt;name&gt;-&lt;index&gt; (PBS_JOBNAME differs per element), so job 7[3] of
    /// array "autopilot-main" is listed as "autopilot-main-3" and must still count as that pool's pilot.
    /// </summary>
    internal static string? OurName(string id, string name, IReadOnlySet<string> wanted, PbsFlavor flavor)
    {
        if (wanted.Contains(name))
        {
            return name;
        }

        if (flavor == PbsFlavor.Torque && PbsJobIds.ArrayIndex(id) is { } index)
        {
            var suffix = "-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (name.EndsWith(suffix, StringComparison.Ordinal) && name[..^suffix.Length] is var stem && wanted.Contains(stem))
            {
                return stem;
            }
        }

        return null;
    }

    /// <summary>The pool name the job is a pilot of, or null when it is not kept (not ours, not the user's, finished).</summary>
    private string? Accept(string id, string listedName, string state, string? owner, string? comment, out (PilotState State, PendingKind Kind, string? Reason) map)
    {
        map = default;
        if (OurName(id, listedName, _wanted, _flavor) is not { } name)
        {
            return null;
        }

        if (_user is not null && !PbsJobIds.IsOwnedBy(owner, _user))
        {
            return null;
        }

        map = _states.Get(state, comment);

        if (!_includeFinished && map.State is PilotState.Finished)
        {
            // A finished subjob still shows that its parent has subjobs listed.
            if (PbsJobIds.ArrayParentId(id) is { } finishedParent)
            {
                (_finishedSubjobParents ??= new HashSet<string>(StringComparer.Ordinal)).Add(finishedParent);
            }

            return null;
        }

        return name;
    }

    private void Keep(string id, string name, string rawState, (PilotState State, PendingKind Kind, string? Reason) map, DateTimeOffset? queued, DateTimeOffset? started, TimeSpan? walltime)
    {
        var parent = PbsJobIds.ArrayParentId(id, _lastParent);
        _lastParent = parent ?? _lastParent;
        _anyParent |= parent is null && PbsJobIds.IsArrayParent(id);
        var (state, kind, reason) = map;
        _pilots.Add(new Pilot(id, name, state, rawState, reason, kind, queued, started, PbsJobIds.ArrayIndex(id), parent, walltime));
    }
}
