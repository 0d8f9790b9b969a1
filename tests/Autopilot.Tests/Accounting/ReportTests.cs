using System.Text.Json;
using Autopilot.Reports;
using Autopilot.Tests.Operations;

namespace Autopilot.Tests.Accounting;

public sealed class ReportTests
{
    private static readonly string Dir = OpsTestSupport.TempDir();

    private static UsageReport Make(string? pool = null, string? account = null) =>
        ReportBuilder.Build(ReportDataSet.Options(Dir), ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To, pool, account));

    [Fact]
    public void Figures_of_the_fixed_data_set_match_the_hand_computed_ones()
    {
        var r = Make();

        Assert.Equal(["cpu", "gpu"], r.Pools.Select(p => p.Pool));
        var cpu = r.Pools[0];
        Assert.Equal((4, 11.0, 88.0, 93.5, 33.33), (cpu.Pilots, cpu.PilotHours, cpu.CoreHours, cpu.Cost!.Value, cpu.MeanQueueWaitMinutes!.Value));
        // Baseline 4 pilots x 72 h x 8.5; demand needed (2+2+4+4 pilots) x 10 min = 2 h x 8.5.
        Assert.Equal((288.0, 2.0, 2448.0, 17.0, 2431.0), (cpu.BaselinePilotHours, cpu.DemandPilotHours, cpu.BaselineCost!.Value, cpu.DemandCost!.Value, cpu.SavingsUpperBound!.Value));
        var gpu = r.Pools[1];
        Assert.Equal((2, 6.0, 48.0, 54.0, 60.0), (gpu.Pilots, gpu.PilotHours, gpu.CoreHours, gpu.Cost!.Value, gpu.MeanQueueWaitMinutes!.Value));
        Assert.Equal((144.0, 1.0, 1296.0, 9.0, 1287.0), (gpu.BaselinePilotHours, gpu.DemandPilotHours, gpu.BaselineCost!.Value, gpu.DemandCost!.Value, gpu.SavingsUpperBound!.Value));
        var t = r.Total;
        Assert.Equal((6, 17.0, 136.0, 147.5, 40.0, 3718.0), (t.Pilots, t.PilotHours, t.CoreHours, t.Cost!.Value, t.MeanQueueWaitMinutes!.Value, t.SavingsUpperBound!.Value));
        Assert.Equal((6.5, 27, 0.59), (t.BusyHours!.Value, t.Tasks!.Value, t.Efficiency!.Value));
        Assert.Equal((6.5, 27, 0.59, 39600.0, 23400.0), (cpu.BusyHours!.Value, cpu.Tasks!.Value, cpu.Efficiency!.Value, cpu.PilotSeconds, cpu.BusySeconds!.Value));
        Assert.Equal(((double?)null, (int?)null, (double?)null), (gpu.BusyHours, gpu.Tasks, gpu.Efficiency));
        Assert.Equal([6.0, 8.0, 3.0], r.Days.Select(d => d.PilotHours));
        var burn = Assert.Single(r.Budgets);
        Assert.Equal("pool cpu", burn.Scope);
        Assert.Equal([949.0, 932.0, 906.5], burn.Remaining.Select(b => b.Remaining));
        Assert.Equal([6, 4], r.Samples.Select(s => s.Points.Count));
    }

    [Fact]
    public void Without_pricing_costs_are_null_and_hours_are_still_shown()
    {
        var o = ReportDataSet.Options(Dir) with { Pricing = null };
        var r = ReportBuilder.Build(o, ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To));
        Assert.Null(r.Unit);
        Assert.Equal((17.0, (double?)null, (double?)null, (double?)null), (r.Total.PilotHours, r.Total.Cost, r.Total.BaselineCost, r.Total.SavingsUpperBound));
        Assert.Empty(r.Budgets);
        Assert.Matches(@"(?m)^total\s+6\s+17\s+136\s+-\s+40\s+6\.5\s+59%\s+27\s+432 pilot-h\s+3 pilot-h\s+-$", ReportFormats.Table(r));
    }

    [Fact]
    public void Filters_by_pool_and_account()
    {
        Assert.Equal(["gpu"], Make(pool: "gpu").Pools.Select(p => p.Pool));
        var byAccount = Make(account: "proj1");
        Assert.Equal(["cpu"], byAccount.Pools.Select(p => p.Pool));
        Assert.Equal(11.0, byAccount.Total.PilotHours);
    }

    [Theory]
    [InlineData("unknown-pool", "nope", null)]
    [InlineData("unknown-account", null, "nope")]
    public void Unknown_pool_or_account_is_a_named_error(string code, string? pool, string? account)
    {
        var ex = Assert.Throws<ReportException>(() => Make(pool, account));
        Assert.Equal(code, ex.Code);
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_range_and_no_data_are_named_errors()
    {
        var o = ReportDataSet.Options(Dir);
        Assert.Equal("empty-range", Assert.Throws<ReportException>(() => ReportBuilder.Build(o, ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.To, ReportDataSet.From))).Code);
        Assert.Equal("no-data", Assert.Throws<ReportException>(() => ReportBuilder.Build(o, ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From.AddYears(-1), ReportDataSet.From.AddYears(-1).AddDays(3)))).Code);
    }

    [Theory]
    [InlineData("2026-11-01", false, "2026-11-01T00:00:00Z")]
    [InlineData("2026-11-30", true, "2026-12-01T00:00:00Z")]
    [InlineData("2026-11-02T06:30Z", false, "2026-11-02T06:30:00Z")]
    [InlineData("30d", false, "2026-11-05T12:00:00Z")]
    [InlineData("now", true, "2026-12-05T12:00:00Z")]
    public void Dates_and_durations_parse(string text, bool until, string expected)
    {
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ReportDates.Parse("--since", text, now, until));
    }

    [Theory]
    [InlineData("2026-13-01")]
    [InlineData("yesterday")]
    [InlineData("30")]
    public void Bad_date_is_a_named_error(string text) =>
        Assert.Equal("bad-date", Assert.Throws<ReportException>(() => ReportDates.Parse("--since", text, DateTimeOffset.UnixEpoch, false)).Code);

    [Fact]
    public void Csv_has_a_header_and_one_row_per_pool_and_the_total()
    {
        var r = Make();
        var lines = ParseCsv(ReportFormats.Csv(r));
        Assert.Equal(ReportFormats.PoolColumns, lines[0]);
        Assert.Equal(4, lines.Count);
        Assert.All(lines, l => Assert.Equal(ReportFormats.PoolColumns.Length, l.Length));
        var rows = lines.Skip(1).ToDictionary(c => c[0]);
        var col = Array.IndexOf(ReportFormats.PoolColumns, "pilot_hours");
        Assert.Equal(["11", "6", "17"], new[] { "cpu", "gpu", "total" }.Select(p => rows[p][col]));
        Assert.Equal("147.5", rows["total"][Array.IndexOf(ReportFormats.PoolColumns, "cost")]);
        Assert.Equal(["6.5", "", "6.5"], new[] { "cpu", "gpu", "total" }.Select(p => rows[p][Array.IndexOf(ReportFormats.PoolColumns, "busy_hours")]));
        Assert.Equal(["0.59", "", "0.59"], new[] { "cpu", "gpu", "total" }.Select(p => rows[p][Array.IndexOf(ReportFormats.PoolColumns, "efficiency")]));
        Assert.Equal(["27", "", "27"], new[] { "cpu", "gpu", "total" }.Select(p => rows[p][Array.IndexOf(ReportFormats.PoolColumns, "tasks")]));
    }

    [Fact]
    public void Csv_quotes_cells_so_they_parse_back()
    {
        var o = ReportDataSet.Options(Dir);
        var odd = ReportDataSet.Pilots[1] with { Partition = "a,\"b\"", Account = "line\nbreak" };
        var rows = ParseCsv(ReportFormats.Csv(ReportBuilder.Pilot(o, [odd], "c1", null, ReportDataSet.To)));
        Assert.Equal(2, rows.Count);
        Assert.Equal(ReportFormats.PilotColumns, rows[0]);
        Assert.Equal("a,\"b\"", rows[1][Array.IndexOf(ReportFormats.PilotColumns, "partition")]);
        Assert.Equal("line\nbreak", rows[1][Array.IndexOf(ReportFormats.PilotColumns, "account")]);
        Assert.Equal("4", rows[1][Array.IndexOf(ReportFormats.PilotColumns, "ran_hours")]);
    }

    [Fact]
    public void Json_has_the_documented_shape()
    {
        using var doc = JsonDocument.Parse(ReportFormats.Json(Make()));
        var root = doc.RootElement;
        Assert.Equal("SU", root.GetProperty("unit").GetString());
        Assert.Equal(147.5, root.GetProperty("total").GetProperty("cost").GetDouble());
        Assert.Equal(6.5, root.GetProperty("total").GetProperty("busy_hours").GetDouble());
        Assert.Equal(0.59, root.GetProperty("pools")[0].GetProperty("efficiency").GetDouble());
        Assert.Equal(27, root.GetProperty("pools")[0].GetProperty("tasks").GetInt32());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("pools")[1].GetProperty("efficiency").ValueKind);
        Assert.Equal("cpu", root.GetProperty("pools")[0].GetProperty("pool").GetString());
        Assert.Equal("2026-11-02", root.GetProperty("days")[1].GetProperty("day").GetString());
        Assert.Equal(906.5, root.GetProperty("budgets")[0].GetProperty("remaining")[2].GetProperty("remaining").GetDouble());
        Assert.Equal(6, root.GetProperty("samples")[0].GetProperty("points").GetArrayLength());
    }

    [Fact]
    public void Table_shows_every_pool_the_total_and_the_busy_share()
    {
        var text = ReportFormats.Table(Make());
        Assert.Matches(@"(?m)^total\s+6\s+17\s+136\s+147\.5\s+40\s+6\.5\s+59%\s+27\s+3744\s+26\s+3718$", text);
        Assert.Matches(@"(?m)^gpu\s+2\s+6\s+48\s+54\s+60\s+-\s+-\s+-\s", text);
        Assert.Contains("budget pool cpu: 906.5 of 1000 SU left", text, StringComparison.Ordinal);

        // c4 never ends: by 12-06 06:00 it has run 126 h of December at 8.5 SU = 1071.
        var december = ReportBuilder.Build(ReportDataSet.Options(Dir), ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero)));
        Assert.Contains("budget pool cpu: over by 71 (budget 1000 SU)", ReportFormats.Table(december), StringComparison.Ordinal);
    }

    [Fact]
    public void Html_is_self_contained_with_the_expected_charts()
    {
        var html = HtmlReport.Render(Make());
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("<meta name=\"viewport\"", html, StringComparison.Ordinal);
        Assert.Equal(3, html.Split("class=\"bar\"").Length - 1);
        Assert.Contains("<td data-key=\"pilot_hours\">17</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Pilot_lifetime_in_every_text_format()
    {
        var o = ReportDataSet.Options(Dir);
        var p = ReportBuilder.Pilot(o, ReportDataSet.Pilots, "c2", null, ReportDataSet.To);
        Assert.Equal((10.0, 2.0, "Walltime", 17.0), (p.WaitedMinutes!.Value, p.RanHours, p.How, p.Cost!.Value));
        Assert.Equal("running", ReportBuilder.Pilot(o, ReportDataSet.Pilots, "c4", null, ReportDataSet.To).How);
        Assert.Contains("how        Walltime", ReportFormats.Table(p), StringComparison.Ordinal);
        var csv = ReportFormats.Csv(p).TrimEnd('\n').Split('\n');
        Assert.Equal(2, csv.Length);
        Assert.Equal("2026-11-02T10:10:00Z", csv[1].Split(',')[Array.IndexOf(ReportFormats.PilotColumns, "started")]);
        using var doc = JsonDocument.Parse(ReportFormats.Json(p));
        Assert.Equal("c2", doc.RootElement.GetProperty("pilot_id").GetString());
        Assert.Equal("unknown-pilot", Assert.Throws<ReportException>(() => ReportBuilder.Pilot(o, ReportDataSet.Pilots, "zz", null, ReportDataSet.To)).Code);
    }

    // RFC 4180, as a spreadsheet reads it: quoted cells may hold commas, doubled quotes and line breaks.
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add([.. row]);
                row.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        return rows;
    }

    [Fact]
    public async Task Cli_report_reads_the_state_store_and_names_errors_with_exit_2()
    {
        var config = await ReportDataSet.SeedAsync(OpsTestSupport.TempDir());

        var (exit, output, error) = await OpsTestSupport.Run("--config", config, "report", "--since", "2026-11-01", "--until", "2026-11-03", "--format", "csv");
        Assert.True(exit == 0, error);
        Assert.Contains("\ntotal,6,17,136,147.5,SU,", output, StringComparison.Ordinal);

        (exit, output, error) = await OpsTestSupport.Run("--config", config, "report", "--pilot", "c1");
        Assert.True(exit == 0, error);
        Assert.Contains("tasks      12 run, busy 3 h (75% of its run), idle 1 h", output, StringComparison.Ordinal);
        Assert.Contains("times from the ticks (not completed from the scheduler's accounting)", output, StringComparison.Ordinal);

        (exit, output, error) = await OpsTestSupport.Run("--config", config, "report", "--pilot", "g1", "--format", "json");
        Assert.True(exit == 0, error);
        Assert.Contains("\"how\": \"Failed\"", output, StringComparison.Ordinal);

        (exit, _, error) = await OpsTestSupport.Run("--config", config, "report", "--since", "2026-11-31");
        Assert.Equal((2, true), (exit, error.Contains("report: bad-date: --since '2026-11-31'", StringComparison.Ordinal)));
        (exit, _, error) = await OpsTestSupport.Run("--config", config, "report", "--since", "2026-11-01", "--until", "2026-11-03", "--pool", "nope");
        Assert.Equal((2, true), (exit, error.Contains("report: unknown-pool:", StringComparison.Ordinal)));
        (exit, _, error) = await OpsTestSupport.Run("--config", config, "report", "--since", "2020-01-01", "--until", "2020-01-02");
        Assert.Equal((2, true), (exit, error.Contains("report: no-data:", StringComparison.Ordinal)));
    }
    [Fact]
    public void A_partition_the_price_table_does_not_name_without_a_default_rate_is_refused()
    {
        var o = ReportDataSet.Options(Dir);
        var perPartition = o with { Pricing = new Autopilot.Configuration.PricingOptions { Unit = "SU", Partition = new Dictionary<string, Autopilot.Configuration.Rates> { ["debug"] = new() { CoreHour = 1 } } } };
        var ex = Assert.Throws<ReportException>(() => ReportBuilder.Build(perPartition, ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To)));
        Assert.Equal("unknown-partition", ex.Code);
        Assert.Contains("partition 'gpu' (2 pilot(s), e.g. g1 of pool gpu)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("names only debug", ex.Message, StringComparison.Ordinal);

        // Priced by account, or with a default rate, or only the priced pool: no error.
        var byAccount = perPartition with { Pricing = perPartition.Pricing! with { Account = new Dictionary<string, Autopilot.Configuration.Rates> { ["proj2"] = new() { CoreHour = 2 } } } };
        Assert.Equal(11 * 8 + 6 * 8 * 2, ReportBuilder.Build(byAccount, ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To)).Total.Cost);
        Assert.Equal(88.0, ReportBuilder.Build(perPartition, ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To, "cpu")).Total.Cost);
    }

    [Fact]
    public void Memory_is_priced_per_gib_hour_per_node_when_known()
    {
        var o = ReportDataSet.Options(Dir);
        var priced = o with { Pricing = o.Pricing! with { GibHour = 0.25 } };
        // cpu pilots with 4 GiB per node: 8.5 + 1 an hour over 11 h; gpu memory unknown: 9 an hour over 6 h.
        var rows = ReportDataSet.Pilots.Select(r => r.Pool == "cpu" ? r with { MemoryMb = 4096 } : r).ToList();
        var r = ReportBuilder.Build(priced, rows, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To));
        Assert.Equal((104.5, 54.0), (r.Pools[0].Cost!.Value, r.Pools[1].Cost!.Value));
        Assert.Equal((8 * 2) + (0.5 * 2) + (0.25 * 2 * 2), Autopilot.Accounting.Budgets.HourCost(priced.Pricing!, "debug", null, 8, 2, 0, 2048));
    }
}
