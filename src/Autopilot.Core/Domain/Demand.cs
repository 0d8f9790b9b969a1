namespace Autopilot.Domain;

/// <summary>One named figure a demand source measured, shown by <c>plan</c> (e.g. "pending" 30).</summary>
public sealed record DemandMeasure(string Name, long Value);

/// <summary>
/// Work waiting for pilots, as one demand source measured it.
/// </summary>
/// <param name="Tasks">Tasks that need a pilot (pending + in flight, as the source defines it).</param>
/// <param name="Saturated">True when counting stopped at the saturation limit: the real figure is at least <paramref name="Tasks"/>.</param>
/// <param name="Measures">Every figure the source read, in the order it read them.</param>
public sealed record Demand(long Tasks, bool Saturated, IReadOnlyList<DemandMeasure> Measures)
{
    /// <summary>What the figures alone do not say (e.g. why a non-empty queue is no demand), shown as plan notes.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public static Demand Of(long tasks, params DemandMeasure[] measures) => new(tasks, false, measures);

    public override string ToString() =>
        Measures.Count == 0
            ? $"{Tasks}{(Saturated ? "+" : "")}"
            : $"{Tasks}{(Saturated ? "+" : "")} ({string.Join(", ", Measures.Select(m => $"{m.Name} {m.Value}"))})";
}
