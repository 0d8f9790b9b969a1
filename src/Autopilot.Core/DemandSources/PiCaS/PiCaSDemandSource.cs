using Autopilot.Configuration;
using Autopilot.Domain;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>
/// Demand from PiCaS tokens in CouchDB: tokens in <c>todo</c> (lock == 0, done == 0), plus
/// <c>locked</c> ones (lock &gt; 0, done == 0) when <see cref="PiCaSOptions.IncludeLocked"/> so
/// running work keeps its pilots. Reads either the map views (<c>?limit=0</c> → <c>total_rows</c>)
/// or, with <see cref="PiCaSOptions.Reduce"/>, one reduce view grouped by state
/// (PiCaS' <c>overview_total?group=true</c>).
/// </summary>
public sealed class PiCaSDemandSource : IDemandSource
{
    private readonly PiCaSOptions _options;
    private readonly TimeProvider _time;
    private readonly PiCaSConnection _connection;

    public PiCaSDemandSource(PiCaSOptions options, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = time;
        _connection = new PiCaSConnection(options, logger);
    }

    public string Describe()
    {
        var what = _options.Reduce
            ? $"{_options.DesignDoc}/{_options.View} (reduce)"
            : _options.IncludeLocked
                ? $"{_options.DesignDoc}/{_options.View}+{_options.LockedView}"
                : $"{_options.DesignDoc}/{_options.View}";
        return $"picas {_connection.DisplayUrl} {what}";
    }

    public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
    {
        using var session = _connection.Open(_time, cancellationToken);
        if (_options.Reduce)
        {
            var body = await session.GetViewAsync(_options.View, "group=true").ConfigureAwait(false);
            var counts = Parse(session, () => PiCaSViewParser.ParseStateCounts(body), _options.View);
            var todo = counts.GetValueOrDefault("todo");
            var locked = counts.GetValueOrDefault("locked");
            var measures = new List<DemandMeasure> { new("todo", todo), new("locked", locked) };
            foreach (var state in new[] { "done", "error" })
            {
                if (counts.TryGetValue(state, out var n))
                {
                    measures.Add(new DemandMeasure(state, n));
                }
            }

            var tasks = _options.IncludeLocked ? checked(todo + locked) : todo;
            return new Demand(tasks, false, measures);
        }

        var todoBody = await session.GetViewAsync(_options.View, "limit=0").ConfigureAwait(false);
        var todoCount = Parse(session, () => PiCaSViewParser.ParseTotalRows(todoBody), _options.View);
        if (!_options.IncludeLocked)
        {
            return Demand.Of(todoCount, new DemandMeasure("todo", todoCount));
        }

        var lockedBody = await session.GetViewAsync(_options.LockedView, "limit=0").ConfigureAwait(false);
        var lockedCount = Parse(session, () => PiCaSViewParser.ParseTotalRows(lockedBody), _options.LockedView);
        return Demand.Of(checked(todoCount + lockedCount), new DemandMeasure("todo", todoCount), new DemandMeasure("locked", lockedCount));
    }

    private T Parse<T>(PiCaSConnection.Session session, Func<T> parse, string view)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new DemandException(session.Redact($"picas {_connection.DisplayUrl}: view {_options.DesignDoc}/{view} did not give token counts: {ex.Message}"));
        }
    }
}
