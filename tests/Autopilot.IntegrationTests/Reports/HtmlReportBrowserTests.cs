using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Autopilot.Cli;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Tests.Accounting;
using Microsoft.Playwright;

namespace Autopilot.IntegrationTests.Reports;

/// <summary>
/// `autopilot report --format html` of the fixed data set, opened in Debian's chromium
/// (tests/infra/start-chromium.sh) through Playwright: no console errors, the charts have the
/// points and bars of the data, the totals equal `report --format json`.
/// </summary>
public sealed class HtmlReportBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Html_report_renders_in_chromium_with_the_json_totals_and_the_expected_charts()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run tests/infra/start-chromium.sh");
        var dir = Path.Combine(Path.GetTempPath(), "autopilot-report-browser", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var config = await ReportDataSet.SeedAsync(dir);
        var html = Path.Combine(dir, "report.html");
        string[] range = ["--config", config, "report", "--since", "2026-11-01", "--until", "2026-11-03"];
        Assert.Equal(0, (await Cli([.. range, "--format", "html", "--output", html])).Exit);
        var (exit, json, error) = await Cli([.. range, "--format", "json"]);
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(json);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 800 } });
        var problems = new List<string>();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                problems.Add($"{m.Type}: {m.Text}");
            }
        };
        page.PageError += (_, e) => problems.Add($"page error: {e}");
        page.RequestFailed += (_, r) => problems.Add($"request failed: {r.Url}");
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);

        await page.GotoAsync(new Uri(html).AbsoluteUri);

        Assert.Empty(problems);
        Assert.Equal([new Uri(html).AbsoluteUri], requests); // self-contained: nothing else is fetched
        Assert.Equal(3, await page.Locator("svg.days rect.bar").CountAsync());
        foreach (var (pool, demand, queued, running) in new[] { ("cpu", 5, 6, 6), ("gpu", 4, 4, 4) })
        {
            Assert.Equal(demand, await Points(page, $"svg.samples[data-pool={pool}] polyline.demand"));
            Assert.Equal(queued, await Points(page, $"svg.samples[data-pool={pool}] polyline.queued"));
            Assert.Equal(running, await Points(page, $"svg.samples[data-pool={pool}] polyline.running"));
        }

        Assert.Equal(3, await Points(page, "svg.burn polyline.remaining"));

        // Every figure of the totals table is the json's, pool by pool and in total.
        var rows = doc.RootElement.GetProperty("pools").EnumerateArray().Append(doc.RootElement.GetProperty("total")).ToList();
        Assert.Equal(3, rows.Count);
        foreach (var row in rows)
        {
            var name = row.GetProperty("pool").GetString();
            foreach (var key in new[] { "pilots", "pilot_hours", "core_hours", "cost", "mean_queue_wait_minutes", "busy_hours", "efficiency", "tasks", "baseline_cost", "demand_cost", "savings_upper_bound" })
            {
                var shown = await page.Locator($"#totals tr[data-pool={name}] td[data-key={key}]").InnerTextAsync();
                var value = row.GetProperty(key);
                Assert.True(value.ValueKind == JsonValueKind.Null ? shown == "-" : value.GetDouble() == double.Parse(shown, CultureInfo.InvariantCulture), $"{name} {key}: page {shown}, json {value}");
            }
        }

        // The efficiency chart: one bar per pool whose busy time is known (cpu: 59 % busy), none for gpu.
        Assert.Equal(1, await page.Locator("svg.efficiency rect.busy").CountAsync());
        var busy = await page.Locator("svg.efficiency rect.busy[data-pool=cpu]").GetAttributeAsync("width");
        var idle = await page.Locator("svg.efficiency rect.idle").GetAttributeAsync("width");
        var share = double.Parse(busy!, CultureInfo.InvariantCulture) / (double.Parse(busy!, CultureInfo.InvariantCulture) + double.Parse(idle!, CultureInfo.InvariantCulture));
        Assert.InRange(share, 0.585, 0.595);

        var artifacts = Path.Combine(TestPaths.Repo, "TestResults", "report");
        Directory.CreateDirectory(artifacts);
        await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "report-desktop.png"), FullPage = true });

        // On a phone the page does not scroll sideways (the table scrolls in its own box).
        await page.SetViewportSizeAsync(390, 844);
        Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= 390, "the page is wider than a 390 px phone");
        Assert.True(await page.Locator("svg.days").BoundingBoxAsync() is { Width: > 300 and <= 390 }, "the chart does not fit a phone");
        await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "report-phone.png"), FullPage = true });

        // Printable: a PDF of it renders (headless chromium only).
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        var pdf = await page.PdfAsync(new() { Path = Path.Combine(artifacts, "report.pdf"), Format = "A4" });
        Assert.True(pdf.Length > 1000);
        Assert.Empty(problems);
    }

    private static async Task<int> Points(IPage page, string selector)
    {
        var points = await page.Locator(selector).GetAttributeAsync("points") ?? "";
        return points.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    private static async Task<(int Exit, string Output, string Error)> Cli(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await CommandCatalog.BuildRoot().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
