using System.CommandLine;
using Autopilot.Domain;
using Autopilot.Engine;

namespace Autopilot.Cli.Commands;

public static class PlanCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output (schema in docs/operations.md)" };
        var pool = new Option<string?>("--pool") { Description = "Only this pool" };
        var command = new Command("plan", """
            Show what a tick would do and why: every input, every limit, the rule that decided. Changes nothing.

            Example: autopilot plan --pool main
            """)
        {
            json,
            pool,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return 2;
            }

            TickReport report;
            try
            {
                report = await ctx.Engine().RunAsync(new TickRequest(DryRun: true, parse.GetValue(pool), TakeLock: false), ct);
            }
            catch (ArgumentException ex)
            {
                ctx.Err.WriteLine(ex.Message);
                return 2;
            }

            if (parse.GetValue(json))
            {
                ctx.Out.WriteLine(Json.Serialize(PlanView.From(report), Json.Context.PlanView));
            }
            else
            {
                foreach (var result in report.Pools)
                {
                    PlanView.WriteText(ctx.Out, result);
                }
            }

            return report.ReadExitCode;
        });
        return command;
    }
}

/// <summary>The stable JSON shape of `plan --json` (documented in docs/operations.md).</summary>
public sealed record PlanView(DateTimeOffset Time, IReadOnlyList<PoolPlanView> Pools)
{
    public static PlanView From(TickReport report) =>
        new(report.Time, report.Pools.Select(PoolPlanView.From).ToList());

    public static void WriteText(TextWriter output, PoolTickResult result)
    {
        output.WriteLine($"pool {result.Pool} (pilots named {result.JobName})");
        if (result.Plan is null)
        {
            output.WriteLine($"  nothing will be done: {result.Error}");
            output.WriteLine();
            return;
        }

        var plan = result.Plan;
        output.WriteLine($"  decision: {plan.Rule}: {plan.Reason}");
        output.WriteLine($"  desired {plan.Desired}; submit {plan.Submit}; cancel {plan.Cancel.Count}{(plan.Cancel.Count > 0 ? " (" + string.Join(", ", plan.Cancel.Select(c => $"{c.PilotId}: {c.Reason}")) + ")" : "")}");
        output.WriteLine("  inputs:");
        foreach (var fact in plan.Inputs)
        {
            output.WriteLine($"    {fact.Name,-24} {fact.Value}");
        }

        output.WriteLine("  limits:");
        foreach (var fact in plan.Limits)
        {
            output.WriteLine($"    {fact.Name,-24} {fact.Value}");
        }

        foreach (var note in plan.Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        output.WriteLine();
    }
}

public sealed record PoolPlanView(
    string Pool,
    string JobName,
    bool Ok,
    string? Error,
    DemandView? Demand,
    PilotCounts? Pilots,
    int? Desired,
    int? Submit,
    IReadOnlyList<CancelView> Cancel,
    string? Rule,
    string? Reason,
    IReadOnlyList<FactView> Inputs,
    IReadOnlyList<FactView> Limits,
    IReadOnlyList<string> Notes)
{
    public static PoolPlanView From(PoolTickResult r) =>
        new(
            r.Pool,
            r.JobName,
            r.Ok,
            r.Error,
            r.Demand is null ? null : DemandView.From(r.Demand),
            r.Pilots is null ? null : PilotCounts.From(r.Pilots),
            r.Plan?.Desired,
            r.Plan?.Submit,
            r.Plan?.Cancel.Select(c => new CancelView(c.PilotId, c.Reason)).ToList() ?? [],
            r.Plan?.Rule.ToString(),
            r.Plan?.Reason,
            r.Plan?.Inputs.Select(f => new FactView(f.Name, f.Value)).ToList() ?? [],
            r.Plan?.Limits.Select(f => new FactView(f.Name, f.Value)).ToList() ?? [],
            r.Plan?.Notes ?? []);
}

public sealed record DemandView(long Tasks, bool Saturated, IReadOnlyList<FactView> Measures)
{
    public static DemandView From(Demand d) =>
        new(d.Tasks, d.Saturated, d.Measures.Select(m => new FactView(m.Name, m.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList());
}

public sealed record PilotCounts(int Queued, int Held, int Running, int Completing, int Finished, int Unknown)
{
    public static PilotCounts From(IReadOnlyList<Pilot> pilots) =>
        new(
            pilots.Count(p => p.State == PilotState.Queued),
            pilots.Count(p => p.State == PilotState.Held),
            pilots.Count(p => p.State == PilotState.Running),
            pilots.Count(p => p.State == PilotState.Completing),
            pilots.Count(p => p.State == PilotState.Finished),
            pilots.Count(p => p.State == PilotState.Unknown));
}

public sealed record CancelView(string PilotId, string Reason);

public sealed record FactView(string Name, string Value);
