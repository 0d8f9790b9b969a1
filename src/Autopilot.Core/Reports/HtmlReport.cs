using System.Globalization;
using System.Net;
using System.Text;

namespace Autopilot.Reports;

/// <summary>
/// The report as one self-contained HTML page: inline CSS and hand-drawn SVG, no script and no
/// network. Charts carry class names the browser test counts (docs/report.md, "HTML").
/// </summary>
public static class HtmlReport
{
    private const double W = 600;
    private const double H = 200;
    private const double Pad = 30;

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0 auto;max-width:960px;padding:12px;color:#222}
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
        .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em}
        th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}tr.total td{font-weight:bold}
        svg.chart{width:100%;height:auto;max-width:760px;display:block}
        svg text{font-size:11px;fill:#555}.axis{stroke:#999}
        .demand{stroke:#555;stroke-dasharray:4 3}.queued{stroke:#e08a00}.running{stroke:#1f6fb2}.remaining{stroke:#b22222}
        polyline{fill:none;stroke-width:2}.bar,.busy{fill:#1f6fb2}.idle{fill:#ddd}
        .legend span{margin-right:1em}.note{color:#666;font-size:.9em}
        @media print{body{max-width:none}h2{break-after:avoid}svg.chart{break-inside:avoid}}
        """;

    public static string Render(UsageReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var unit = Enc(report.Unit ?? "");
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append(CultureInfo.InvariantCulture, $"<title>Autopilot usage {ReportBuilder.Stamp(report.From)} .. {ReportBuilder.Stamp(report.To)}</title>")
            .Append("<style>").Append(Style).Append("</style></head><body>\n")
            .Append(CultureInfo.InvariantCulture, $"<h1>Autopilot usage</h1><p>{ReportBuilder.Stamp(report.From)} .. {ReportBuilder.Stamp(report.To)}")
            .Append(report.Unit is null ? " &middot; no [pricing]: costs not shown" : $" &middot; costs in {unit}").Append("</p>\n");

        sb.Append("<div class=\"scroll\"><table id=\"totals\"><thead><tr><th>pool</th><th>pilots</th><th>pilot-hours</th><th>core-hours</th>")
            .Append(CultureInfo.InvariantCulture, $"<th>cost</th><th>wait (min)</th><th>busy-hours</th><th>busy share</th><th>tasks</th><th>baseline cost</th><th>demand cost</th><th>savings &le;</th></tr></thead><tbody>\n");
        foreach (var p in report.Pools.Append(report.Total))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr data-pool=\"{Enc(p.Pool)}\"{(ReferenceEquals(p, report.Total) ? " class=\"total\"" : "")}>")
                .Append(CultureInfo.InvariantCulture, $"<td>{Enc(p.Pool)}{(p.Cluster is null ? "" : $" <small>[{Enc(p.Cluster)}]</small>")}</td>{Cell("pilots", p.Pilots)}{Cell("pilot_hours", p.PilotHours)}{Cell("core_hours", p.CoreHours)}")
                .Append(CultureInfo.InvariantCulture, $"{Cell("cost", p.Cost)}{Cell("mean_queue_wait_minutes", p.MeanQueueWaitMinutes)}{Cell("busy_hours", p.BusyHours)}{Cell("efficiency", p.Efficiency)}{Cell("tasks", p.Tasks)}")
                .Append(CultureInfo.InvariantCulture, $"{Cell("baseline_cost", p.BaselineCost)}{Cell("demand_cost", p.DemandCost)}{Cell("savings_upper_bound", p.SavingsUpperBound)}</tr>\n");
        }

        sb.Append("</tbody></table></div>\n<p class=\"note\">Busy: time the pilots' workers ran tasks, from the task server; busy share = busy-hours / pilot-hours of those pilots (- where the task server gave none). Baseline: max_pilots held for the whole range; demand: what the per-tick demand needed; savings &le; is their difference, an upper bound.</p>\n");

        sb.Append("<h2>Pilot-hours per day</h2>\n");
        Bars(sb, report.Days);

        sb.Append("<h2>Efficiency per pool</h2>\n<p class=\"legend\"><span style=\"color:#1f6fb2\">&#9632; busy</span><span style=\"color:#bbb\">&#9632; idle</span></p>\n");
        Efficiency(sb, report.Pools);

        foreach (var series in report.Samples)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<h2>Demand and pilots: {Enc(series.Pool)}</h2>\n")
                .Append("<p class=\"legend\"><span>- - demand (tasks)</span><span style=\"color:#e08a00\">&mdash; queued</span><span style=\"color:#1f6fb2\">&mdash; running</span></p>\n");
            // The x axis spans the samples, not the whole range: a short run stays readable.
            var (first, last) = series.Points.Count > 1 ? (series.Points[0].Time, series.Points[^1].Time) : (report.From, report.To);
            Lines(
                sb,
                $"samples\" data-pool=\"{Enc(series.Pool)}",
                first,
                last,
                [
                    ("demand", series.Points.Where(p => p.Demand is not null).Select(p => (p.Time, (double)p.Demand!.Value)).ToList()),
                    ("queued", series.Points.Select(p => (p.Time, (double)p.Queued)).ToList()),
                    ("running", series.Points.Select(p => (p.Time, (double)p.Running)).ToList()),
                ]);
        }

        foreach (var burn in report.Budgets)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<h2>Budget {Enc(burn.Scope)}: {ReportFormats.N(burn.Amount)} {unit} per period</h2>\n");
            var points = burn.Remaining.Select(b => (new DateTimeOffset(b.Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(1), b.Remaining)).ToList();
            Lines(sb, $"burn\" data-scope=\"{Enc(burn.Scope)}", burn.PeriodStart, burn.PeriodEnd, [("remaining", points)], burn.Amount);
        }

        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static string Cell(string key, double? value) => $"<td data-key=\"{key}\">{ReportFormats.N(value) ?? "-"}</td>";

    private static string Cell(string key, int? value) => $"<td data-key=\"{key}\">{ReportFormats.N(value) ?? "-"}</td>";

    /// <summary>One bar per pool whose busy time is known: the busy share, the rest idle.</summary>
    private static void Efficiency(StringBuilder sb, IReadOnlyList<PoolUsage> pools)
    {
        var known = pools.Where(p => p.Efficiency is not null).ToList();
        if (known.Count == 0)
        {
            sb.Append("<p class=\"note\" id=\"no-efficiency\">No pool's busy time is known (the task server was not read for these pilots).</p>\n");
            return;
        }

        const double row = 24;
        var height = (known.Count * row) + 10;
        var width = W - (2 * Pad) - 90;
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart efficiency\" viewBox=\"0 0 {F(W)} {F(height)}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (var i = 0; i < known.Count; i++)
        {
            var share = Math.Clamp(known[i].Efficiency!.Value, 0, 1);
            var y = 5 + (i * row);
            var x = Pad + 90;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Pad)}\" y=\"{F(y + 15)}\">{Enc(known[i].Pool)}</text>")
                .Append(CultureInfo.InvariantCulture, $"<rect class=\"busy\" data-pool=\"{Enc(known[i].Pool)}\" x=\"{F(x)}\" y=\"{F(y)}\" width=\"{F(width * share)}\" height=\"{F(row - 6)}\"><title>{Enc(known[i].Pool)}: busy {ReportFormats.Percent(share)}</title></rect>")
                .Append(CultureInfo.InvariantCulture, $"<rect class=\"idle\" x=\"{F(x + (width * share))}\" y=\"{F(y)}\" width=\"{F(width * (1 - share))}\" height=\"{F(row - 6)}\"/>")
                .Append(CultureInfo.InvariantCulture, $"<text x=\"{F(W - Pad)}\" y=\"{F(y + 15)}\" text-anchor=\"end\">{ReportFormats.Percent(share)}</text>");
        }

        sb.Append("</svg>\n");
    }

    private static string Cell(string key, int value) => $"<td data-key=\"{key}\">{ReportFormats.N(value)}</td>";

    private static void Bars(StringBuilder sb, IReadOnlyList<DayUsage> days)
    {
        var max = Math.Max(1, days.Count == 0 ? 0 : days.Max(d => d.PilotHours));
        var slot = (W - (2 * Pad)) / Math.Max(1, days.Count);
        Open(sb, "days", max);
        for (var i = 0; i < days.Count; i++)
        {
            var h = days[i].PilotHours / max * (H - (2 * Pad));
            sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{F(Pad + (i * slot) + (slot * 0.1))}\" y=\"{F(H - Pad - h)}\" width=\"{F(slot * 0.8)}\" height=\"{F(h)}\"><title>{days[i].Day:yyyy-MM-dd}: {ReportFormats.N(days[i].PilotHours)} pilot-hours</title></rect>");
        }

        if (days.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Pad)}\" y=\"{F(H - 8)}\">{days[0].Day:yyyy-MM-dd}</text><text x=\"{F(W - Pad)}\" y=\"{F(H - 8)}\" text-anchor=\"end\">{days[^1].Day:yyyy-MM-dd}</text>");
        }

        sb.Append("</svg>\n");
    }

    private static void Lines(StringBuilder sb, string cls, DateTimeOffset from, DateTimeOffset to, (string Class, List<(DateTimeOffset Time, double Value)> Points)[] series, double? top = null)
    {
        var max = Math.Max(1, top ?? series.SelectMany(s => s.Points).Select(p => p.Value).DefaultIfEmpty(0).Max());
        var span = Math.Max(1, (to - from).TotalSeconds);
        Open(sb, cls, max);
        foreach (var (name, points) in series)
        {
            var coords = points.Select(p => $"{F(Pad + ((p.Time - from).TotalSeconds / span * (W - (2 * Pad))))},{F(H - Pad - (Math.Max(0, p.Value) / max * (H - (2 * Pad))))}");
            sb.Append(CultureInfo.InvariantCulture, $"<polyline class=\"{name}\" points=\"{string.Join(' ', coords)}\"/>");
        }

        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(Pad)}\" y=\"{F(H - 8)}\">{ReportBuilder.Stamp(from)}</text><text x=\"{F(W - Pad)}\" y=\"{F(H - 8)}\" text-anchor=\"end\">{ReportBuilder.Stamp(to)}</text>");
        sb.Append("</svg>\n");
    }

    private static void Open(StringBuilder sb, string cls, double max)
    {
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart {cls}\" viewBox=\"0 0 {F(W)} {F(H)}\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">")
            .Append(CultureInfo.InvariantCulture, $"<line class=\"axis\" x1=\"{F(Pad)}\" y1=\"{F(H - Pad)}\" x2=\"{F(W - Pad)}\" y2=\"{F(H - Pad)}\"/><line class=\"axis\" x1=\"{F(Pad)}\" y1=\"{F(Pad)}\" x2=\"{F(Pad)}\" y2=\"{F(H - Pad)}\"/>")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"2\" y=\"{F(Pad)}\">{ReportFormats.N(max)}</text><text x=\"2\" y=\"{F(H - Pad)}\">0</text>");
    }

    private static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Enc(string s) => WebUtility.HtmlEncode(s);
}
