using System.Globalization;

namespace Autopilot.Policy;

/// <summary>
/// A pool's budget as the engine computed it from Autopilot's own accounting and the [pricing]
/// rates. Plain data: the policy stays a pure function.
/// </summary>
/// <param name="Scope">What the budget covers, e.g. "pool gpu" or "account proj1".</param>
/// <param name="Unit">The pricing unit ("SU", "EUR").</param>
/// <param name="Amount">The budget for the whole period.</param>
/// <param name="Spent">Spent in the period so far, running pilots counted up to now.</param>
/// <param name="PilotHourCost">What one more pilot of this pool costs per hour of run time.</param>
/// <param name="OtherBurnPerHour">What the active pilots of other pools under the same budget cost per hour.</param>
/// <param name="SchedulerUsage">The scheduler's own figure for the account when [accounting] scheduler_usage_check asked for it (Slurm sshare), or why there is none; null: not asked.</param>
public sealed record BudgetState(
    string Scope,
    string Unit,
    double Amount,
    double Spent,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd,
    string PeriodName,
    double PilotHourCost,
    double OtherBurnPerHour = 0,
    string? SchedulerUsage = null)
{
    public bool Over => Spent >= Amount;
}

/// <summary>
/// The budget rule: the rest of the budget is spread over the rest of the period, so the pool may
/// hold only as many pilots as that rate pays for. It limits submissions only; running pilots are
/// never cancelled for budget reasons. Rule and example: docs/policy.md, "Budget".
/// </summary>
public static class BudgetPacing
{
    /// <summary>How many pilots the budget pays for from now to the end of the period; null: no limit (pilots are free).</summary>
    public static long? AllowedPilots(BudgetState budget, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(budget);
        if (budget.Over)
        {
            return 0;
        }

        if (budget.PilotHourCost <= 0)
        {
            return null;
        }

        var perHour = (budget.Amount - budget.Spent) / HoursLeft(budget, now);
        var allowed = Math.Floor((perHour - budget.OtherBurnPerHour) / budget.PilotHourCost);
        return allowed <= 0 ? 0 : allowed >= int.MaxValue ? int.MaxValue : (long)allowed;
    }

    /// <summary>The rule in one sentence with its numbers, e.g. "budget pool a: 61% used (610 of 1000 SU) at 40% of the month; ...".</summary>
    public static string Explain(BudgetState budget, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var head = $"budget {budget.Scope}: {Percent(budget.Spent, budget.Amount)} used ({N(budget.Spent)} of {N(budget.Amount)} {budget.Unit}) at {Percent((now - budget.PeriodStart).TotalHours, (budget.PeriodEnd - budget.PeriodStart).TotalHours)} of the {budget.PeriodName}";
        if (budget.Over)
        {
            return $"{head}: over budget, no submissions until the {budget.PeriodName} ends ({PolicyText.Time(budget.PeriodEnd)}); running pilots are not cancelled";
        }

        var left = budget.Amount - budget.Spent;
        var hours = HoursLeft(budget, now);
        var allowed = AllowedPilots(budget, now);
        var others = budget.OtherBurnPerHour > 0 ? $", other pools under it burn {N(budget.OtherBurnPerHour)} {budget.Unit}/h" : "";
        return allowed is { } n
            ? $"{head}; {N(left)} {budget.Unit} left for {PolicyText.Duration(budget.PeriodEnd - now)} is {N(left / hours)} {budget.Unit}/h{others}; a pilot costs {N(budget.PilotHourCost)} {budget.Unit}/h: at most {PolicyText.Count(n, "pilot")} at a time"
            : $"{head}; this pool's pilots cost nothing in the [pricing] rates: no budget limit";
    }

    /// <summary>The budget's figures for `plan`'s limits.</summary>
    public static IEnumerable<PlanFact> Facts(BudgetState? budget, DateTimeOffset now)
    {
        if (budget is null)
        {
            yield return new PlanFact("budget", "none");
            yield break;
        }

        yield return new PlanFact("budget", $"{budget.Scope} {N(budget.Amount)} {budget.Unit} per {budget.PeriodName}");
        yield return new PlanFact("budget_spent", $"{N(budget.Spent)} {budget.Unit} ({Percent(budget.Spent, budget.Amount)})");
        yield return new PlanFact("budget_usage_from", "Autopilot's own accounting (pilot run time, completed from the scheduler's accounting where it was read)");
        if (budget.SchedulerUsage is { } check)
        {
            yield return new PlanFact("budget_scheduler_check", check);
        }

        yield return new PlanFact("budget_period", $"{PolicyText.Time(budget.PeriodStart)} to {PolicyText.Time(budget.PeriodEnd)} ({Percent((now - budget.PeriodStart).TotalHours, (budget.PeriodEnd - budget.PeriodStart).TotalHours)} gone)");
        yield return new PlanFact("pilot_hour_cost", $"{N(budget.PilotHourCost)} {budget.Unit}");
        yield return new PlanFact("budget_allowed_pilots", budget.Over ? "0 (over budget)" : AllowedPilots(budget, now)?.ToString(CultureInfo.InvariantCulture) ?? "no limit");
    }

    // At least one minute: the last tick of a period must not divide by zero.
    private static double HoursLeft(BudgetState budget, DateTimeOffset now) =>
        Math.Max(1.0 / 60, (budget.PeriodEnd - now).TotalHours);

    private static string Percent(double part, double whole) =>
        whole <= 0 ? "100%" : (100 * part / whole).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
