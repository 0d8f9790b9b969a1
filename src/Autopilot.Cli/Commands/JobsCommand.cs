using System.CommandLine;
using System.Globalization;
using Autopilot.Domain;
using Autopilot.Engine;
using Spectre.Console;

namespace Autopilot.Cli.Commands;

public static class JobsCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var all = new Option<bool>("--all") { Description = "Include finished pilots the scheduler still knows" };
        var watch = new Option<bool>("--watch") { Description = "Refresh every few seconds until Ctrl-C" };
        var interval = new Option<int>("--interval") { Description = "Seconds between refreshes with --watch", DefaultValueFactory = _ => 5 };
        var pool = new Option<string?>("--pool") { Description = "Only this pool" };
        var command = new Command("jobs", """
            List this controller's pilot jobs per pool: id, state, pending reason, queued for, running for, time left.

            Example: autopilot jobs --all
            """)
        {
            json,
            all,
            watch,
            interval,
            pool,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            var request = new TickRequest(DryRun: true, parse.GetValue(pool), TakeLock: false, IncludeFinished: parse.GetValue(all));
            while (true)
            {
                TickReport report;
                try
                {
                    report = await ctx.Engine().RunAsync(request, ct);
                }
                catch (ArgumentException ex)
                {
                    ctx.Err.WriteLine(ex.Message);
                    return 2;
                }

                if (parse.GetValue(json))
                {
                    ctx.Out.WriteLine(Json.Serialize(JobsView.From(report), Json.Context.JobsView));
                }
                else
                {
                    var terminal = !Console.IsOutputRedirected && ReferenceEquals(ctx.Out, Console.Out);
                    if (parse.GetValue(watch) && terminal)
                    {
                        AnsiConsole.Clear();
                    }

                    JobsView.Write(ctx.Out, report, terminal);
                }

                if (!parse.GetValue(watch))
                {
                    return report.ReadExitCode;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(interval))), ct);
                }
                catch (OperationCanceledException)
                {
                    return 0;
                }
            }
        });
        return command;
    }
}

/// <summary>The stable JSON shape of `jobs --json` (documented in docs/operations.md).</summary>
public sealed record JobsView(DateTimeOffset Time, IReadOnlyList<PoolJobsView> Pools)
{
    public static JobsView From(TickReport report) =>
        new(report.Time, report.Pools.Select(p => PoolJobsView.From(p, report.Time)).ToList());

    public static void Write(TextWriter output, TickReport report, bool terminal)
    {
        foreach (var pool in report.Pools)
        {
            var view = PoolJobsView.From(pool, report.Time);
            var summary = pool.Ok
                ? $"pool {pool.Pool}{Where(pool.Cluster)}: demand {(pool.Demand is { } d ? d.Tasks.ToString(CultureInfo.InvariantCulture) + (d.Saturated ? "+" : "") : "?")}, desired {view.Desired}, {view.Pilots.Count(p => p.State == "queued")} queued, {view.Pilots.Count(p => p.State is "running" or "completing")} running"
                : $"pool {pool.Pool}{Where(pool.Cluster)}: {pool.Error}";
            if (terminal)
            {
                var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(summary));
                string[] columns = ["pilot", "state", "pending reason", "queued for", "running for", "time left"];
                foreach (var column in view.Cluster is null ? columns : [.. columns, "cluster"])
                {
                    table.AddColumn(column);
                }

                foreach (var p in view.Pilots)
                {
                    string[] cells =
                    [
                        Markup.Escape(p.Id),
                        $"[{Colour(p.State)}]{Markup.Escape(p.State)}[/]",
                        Markup.Escape(p.PendingReason ?? ""),
                        Age(p.QueuedSeconds),
                        Age(p.RunningSeconds),
                        Age(p.TimeLeftSeconds),
                    ];
                    table.AddRow(view.Cluster is null ? cells : [.. cells, Markup.Escape(p.Cluster ?? "")]);
                }

                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
                console.Write(table);
            }
            else
            {
                output.WriteLine(summary);
                if (view.Pilots.Count > 0)
                {
                    var clusterHead = view.Cluster is null ? "" : $" {"CLUSTER",-20}";
                    output.WriteLine($"  {"PILOT",-20} {"STATE",-11} {"REASON",-28} {"QUEUED",8} {"RUNNING",8} {"LEFT",8}{clusterHead}");
                    foreach (var p in view.Pilots)
                    {
                        var cluster = p.Cluster is null ? "" : $" {p.Cluster,-20}";
                        output.WriteLine($"  {p.Id,-20} {p.State,-11} {p.PendingReason ?? "",-28} {Age(p.QueuedSeconds),8} {Age(p.RunningSeconds),8} {Age(p.TimeLeftSeconds),8}{cluster}");
                    }
                }
            }

            if (view.Pilots.Count(p => p.Foreign) is > 0 and var foreign)
            {
                output.WriteLine($"  {foreign} foreign: the pool's job name without Autopilot's marker or a recorded id (a look-alike, or a pilot submitted before the upgrade that records ids): never counted or cancelled, left to finish (docs/operations.md, \"What identifies a pilot\")");
            }
        }
    }

    /// <summary>" on CLUSTER" for a remote or multi-cluster pool; nothing for this machine's scheduler.</summary>
    internal static string Where(string? cluster) => cluster is null ? "" : $" on {cluster}";

    private static string Colour(string state) => state switch
    {
        "running" => "green",
        "queued" => "yellow",
        "held" => "red",
        "completing" => "blue",
        "finished" => "grey",
        _ => "white",
    };

    public static string Age(long? seconds)
    {
        if (seconds is not { } s)
        {
            return "-";
        }

        var t = TimeSpan.FromSeconds(Math.Max(0, s));
        return t.TotalDays >= 1 ? $"{(int)t.TotalDays}d{t.Hours}h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:00}s" : $"{t.Seconds}s";
    }
}

/// <param name="Cluster">Where the pool's pilots run (Slurm cluster and/or ssh host); null for this machine.</param>
public sealed record PoolJobsView(string Pool, string JobName, bool Ok, string? Error, long? Demand, int? Desired, IReadOnlyList<PilotView> Pilots, string? Cluster = null)
{
    public static PoolJobsView From(PoolTickResult r, DateTimeOffset now) =>
        new(r.Pool, r.JobName, r.Ok, r.Error, r.Demand?.Tasks, r.Plan?.Desired, (r.Pilots ?? []).Select(p => PilotView.From(p, now) with { Cluster = r.Cluster }).ToList(), r.Cluster);
}

public sealed record PilotView(
    string Id,
    string State,
    string RawState,
    string? PendingReason,
    string PendingKind,
    DateTimeOffset? SubmitTime,
    DateTimeOffset? StartTime,
    long? QueuedSeconds,
    long? RunningSeconds,
    long? TimeLeftSeconds,
    int? ArrayIndex,
    bool Foreign = false,
    string? Cluster = null)
{
    public static PilotView From(Pilot p, DateTimeOffset now)
    {
        long? queued = p.State is PilotState.Queued or PilotState.Held && p.SubmitTime is { } s ? (long)(now - s).TotalSeconds : null;
        long? running = p.State is PilotState.Running or PilotState.Completing && p.StartTime is { } st ? (long)(now - st).TotalSeconds : null;
        long? left = p.State is PilotState.Running && p.StartTime is { } st2 && p.TimeLimit is { } limit ? (long)(st2 + limit - now).TotalSeconds : null;
        return new PilotView(
            p.Id,
            // A look-alike job is shown, but as what it is: not counted among the pool's pilots.
            p.Foreign ? "foreign" : p.State.ToString().ToLowerInvariant(),
            p.RawState,
            p.PendingReason,
            p.PendingKind.ToString().ToLowerInvariant(),
            p.SubmitTime,
            p.StartTime,
            queued,
            running,
            left,
            p.ArrayIndex,
            p.Foreign);
    }
}
