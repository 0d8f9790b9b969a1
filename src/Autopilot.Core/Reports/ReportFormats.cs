using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Autopilot.Reports;

/// <summary>The text formats of a report: table, json (shape in docs/report.md), csv. HTML: <see cref="HtmlReport"/>.</summary>
public static class ReportFormats
{
    /// <summary>The csv columns of the per-pool report, in order.</summary>
    public static readonly string[] PoolColumns =
    [
        "pool", "pilots", "pilot_hours", "core_hours", "cost", "unit", "mean_queue_wait_minutes", "busy_hours",
        "max_pilots", "baseline_pilot_hours", "demand_pilot_hours", "baseline_cost", "demand_cost", "savings_upper_bound",
        "tasks", "efficiency", "cluster",
    ];

    public static readonly string[] PilotColumns =
    [
        "pool", "pilot_id", "submitted", "started", "ended", "waited_minutes", "ran_hours", "cpus", "nodes", "gpus",
        "partition", "account", "how", "cost", "unit", "memory_mb", "times_from", "client_id", "busy_hours", "tasks", "efficiency", "cluster",
    ];

    public static string Json(UsageReport report) => JsonStyle.Serialize(report, CoreJsonContext.Styled.UsageReport);

    public static string Json(PilotLifetime pilot) => JsonStyle.Serialize(pilot, CoreJsonContext.Styled.PilotLifetime);

    public static string Csv(UsageReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder().AppendJoin(',', PoolColumns).Append('\n');
        foreach (var p in report.Pools.Append(report.Total))
        {
            CsvRow(sb, [p.Pool, N(p.Pilots), N(p.PilotHours), N(p.CoreHours), N(p.Cost), report.Unit, N(p.MeanQueueWaitMinutes), N(p.BusyHours),
                N(p.MaxPilots), N(p.BaselinePilotHours), N(p.DemandPilotHours), N(p.BaselineCost), N(p.DemandCost), N(p.SavingsUpperBound),
                N(p.Tasks), N(p.Efficiency), p.Cluster]);
        }

        return sb.ToString();
    }

    public static string Csv(PilotLifetime p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var sb = new StringBuilder().AppendJoin(',', PilotColumns).Append('\n');
        CsvRow(sb, [p.Pool, p.PilotId, T(p.Submitted), T(p.Started), T(p.Ended), N(p.WaitedMinutes), N(p.RanHours), N(p.Cpus), N(p.Nodes), N(p.Gpus),
            p.Partition, p.Account, p.How, N(p.Cost), p.Unit, p.MemoryMb?.ToString(CultureInfo.InvariantCulture), p.TimesFrom, p.ClientId, N(p.BusyHours), N(p.Tasks), N(p.Efficiency), p.Cluster]);
        return sb.ToString();
    }

    public static string Table(UsageReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var unit = report.Unit ?? "(no [pricing])";
        var rows = new List<string[]>
        {
            new[] { "pool", "pilots", "pilot-h", "core-h", $"cost {unit}", "wait min", "busy-h", "busy %", "tasks", "baseline", "demand needed", "savings <=" },
        };
        foreach (var p in report.Pools.Append(report.Total))
        {
            rows.Add([p.Cluster is null ? p.Pool : $"{p.Pool} [{p.Cluster}]", N(p.Pilots), N(p.PilotHours), N(p.CoreHours), N(p.Cost) ?? "-", N(p.MeanQueueWaitMinutes) ?? "-", N(p.BusyHours) ?? "-", Percent(p.Efficiency) ?? "-", N(p.Tasks) ?? "-",
                N(p.BaselineCost) ?? $"{N(p.BaselinePilotHours)} pilot-h", N(p.DemandCost) ?? $"{N(p.DemandPilotHours)} pilot-h", N(p.SavingsUpperBound) ?? "-"]);
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"Usage {ReportBuilder.Stamp(report.From)} .. {ReportBuilder.Stamp(report.To)}\n");
        foreach (var r in rows)
        {
            sb.AppendJoin("  ", r.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).Append('\n');
        }

        foreach (var b in report.Budgets)
        {
            var left = b.Remaining.Count > 0 ? b.Remaining[^1].Remaining : b.Amount;
            var state = left >= 0 ? $"{N(left)} of {N(b.Amount)} {unit} left" : $"over by {N(-left)} (budget {N(b.Amount)} {unit})";
            sb.Append(CultureInfo.InvariantCulture, $"budget {b.Scope}: {state} in the period {b.PeriodStart:yyyy-MM-dd} .. {b.PeriodEnd:yyyy-MM-dd}\n");
        }

        sb.Append("busy % = busy-h / pilot-h of the pilots whose busy time the task server gave; idle % = 100 - busy %; - where none did\n");
        return sb.ToString();
    }

    public static string Table(PilotLifetime p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return string.Create(CultureInfo.InvariantCulture, $"""
            pilot      {p.PilotId} (pool {p.Pool}{(p.Cluster is null ? "" : ", cluster " + p.Cluster)})
            submitted  {T(p.Submitted) ?? "-"}
            waited     {(p.WaitedMinutes is { } w ? $"{N(w)} min" : "-")}
            started    {T(p.Started) ?? "never seen running"}
            ended      {T(p.Ended) ?? "-"}
            how        {p.How}
            ran        {N(p.RanHours)} h on {N(p.Nodes)} node(s) x {N(p.Cpus)} cpus, {N(p.Gpus)} gpus
            charged    partition {p.Partition ?? "-"}, account {p.Account ?? "-"}
            memory     {(p.MemoryMb is { } m ? $"{m} MiB per node" : "unknown")}
            cost       {(p.Cost is { } c ? $"{N(c)} {p.Unit}" : "- (no [pricing])")}
            times from {p.TimesFrom ?? "the ticks (not completed from the scheduler's accounting)"}
            tasks      {(p.Tasks is { } t ? $"{t} run, busy {N(p.BusyHours)} h ({Percent(p.Efficiency) ?? "-"} of its run), idle {N(Math.Max(0, p.RanHours - (p.BusyHours ?? 0)))} h" : "not known (no task server read for this pilot)")}
            worker     {p.ClientId ?? "-"}

            """);
    }

    internal static string? Percent(double? share) => share is { } s ? (s * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : null;

    internal static string? N(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    internal static string? N(double? value) => value?.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    internal static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string? T(DateTimeOffset? value) => value?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static void CsvRow(StringBuilder sb, string?[] cells)
    {
        sb.AppendJoin(',', cells.Select(Cell)).Append('\n');
    }

    // RFC 4180: quote a cell with a comma, quote or line break, doubling its quotes.
    private static string Cell(string? value) =>
        value is null ? ""
        : value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
        : value;
}
