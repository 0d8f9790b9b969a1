using System.CommandLine;
using Autopilot.Accounting;
using Autopilot.Reports;
using Autopilot.State;

namespace Autopilot.Cli.Commands;

public static class ReportCommand
{
    public static Command Build()
    {
        var since = new Option<string>("--since") { Description = "Start: a date (2026-11-01), a UTC time, or a duration back from now (30d)", DefaultValueFactory = _ => "30d" };
        var until = new Option<string>("--until") { Description = "End: a date (that whole day counts), a UTC time, a duration back from now, or now", DefaultValueFactory = _ => "now" };
        var pool = new Option<string?>("--pool") { Description = "Only this pool" };
        var account = new Option<string?>("--account") { Description = "Only pilots charged to this account" };
        var pilot = new Option<string?>("--pilot") { Description = "One pilot's lifetime: submitted, waited, started, ended, how" };
        var format = new Option<string>("--format") { Description = "table, json, csv or html", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json", "csv", "html");
        var output = new Option<string?>("--output") { Description = "Write to this file instead of standard output" };
        var command = new Command("report", """
            Pilot usage and cost from the accounting in the state store (docs/report.md).

            Example: autopilot report --since 2026-11-01 --until 2026-11-30 --format html --output nov.html
            """)
        {
            since, until, pool, account, pilot, format, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            try
            {
                var now = ctx.Time.GetUtcNow();
                var fmt = parse.GetValue(format)!;
                await using var store = await ctx.OpenStoreAsync(ct);
                string text;
                if (parse.GetValue(pilot) is { } id)
                {
                    if (fmt == "html")
                    {
                        throw new ReportException("bad-format", "--pilot shows one pilot as table, json or csv; html is for a range");
                    }

                    var life = ReportBuilder.Pilot(ctx.Options, await store.PilotsSinceAsync(DateTimeOffset.MinValue, ct), id, parse.GetValue(pool), now);
                    text = fmt switch { "json" => ReportFormats.Json(life) + "\n", "csv" => ReportFormats.Csv(life), _ => ReportFormats.Table(life) };
                }
                else
                {
                    var request = new ReportRequest(
                        ReportDates.Parse("--since", parse.GetValue(since)!, now, until: false),
                        ReportDates.Parse("--until", parse.GetValue(until)!, now, until: true),
                        parse.GetValue(pool),
                        parse.GetValue(account));
                    // A budget burn-down needs the rows from the start of the budget period.
                    var first = ctx.Options.Budget is null ? request.From : Min(request.From, Budgets.Period("quarter", request.To.AddTicks(-1)).Start);
                    var report = ReportBuilder.Build(ctx.Options, await store.PilotsSinceAsync(first, ct), await store.SamplesAsync(request.From, null, ct), request);
                    text = fmt switch
                    {
                        "json" => ReportFormats.Json(report) + "\n",
                        "csv" => ReportFormats.Csv(report),
                        "html" => HtmlReport.Render(report),
                        _ => ReportFormats.Table(report),
                    };
                }

                if (parse.GetValue(output) is { } file)
                {
                    await File.WriteAllTextAsync(file, text, ct);
                }
                else
                {
                    await ctx.Out.WriteAsync(text);
                }

                return 0;
            }
            catch (ReportException ex)
            {
                ctx.Err.WriteLine($"report: {ex.Code}: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
