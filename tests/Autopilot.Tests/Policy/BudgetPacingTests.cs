using Autopilot.Policy;
using static Autopilot.Tests.Policy.PolicyDsl;

namespace Autopilot.Tests.Policy;

// A 30-day period; amount 1000 SU; a pilot costs 0.1 SU an hour unless a row says otherwise.
// Demand 200 at 10 tasks per pilot wants max_pilots 10; max_queued and max_submit are out of the way.
public sealed class BudgetPacingTests
{
    private const string Wide = "tpp=10 max_queued=20 max_submit=20";

    private static BudgetState Budget(double spent, double elapsed, double cost = 0.1, double others = 0, double amount = 1000)
    {
        var start = Now - (TimeSpan.FromDays(30) * elapsed);
        return new BudgetState("pool test", "SU", amount, spent, start, start + TimeSpan.FromDays(30), "month", cost, others);
    }

    [Theory]
    // 61% used at 40% of the month: 390 SU for 432 h is 0.90 SU/h, 9 pilots at 0.1 SU/h.
    [InlineData("61% used at 40% of the month: 9 pilots allowed, 7 running, 2 submitted", 610, 0.4, 0.1, 0, "r r r r r r r", 2, "", PlanRule.ScaleOut)]
    [InlineData("9 pilots already: the budget leaves no room", 610, 0.4, 0.1, 0, "r r r r r r r r r", 0, "", PlanRule.BudgetPaced)]
    [InlineData("queued pilots count toward the paced number", 610, 0.4, 0.1, 0, "q q r r r r r r r", 0, "", PlanRule.BudgetPaced)]
    [InlineData("budget well ahead: full speed", 100, 0.4, 0.1, 0, "r r r r r r r", 3, "", PlanRule.ScaleOut)]
    [InlineData("over budget: nothing submitted, running pilots kept", 1000, 0.4, 0.1, 0, "r r", 0, "", PlanRule.OverBudget)]
    [InlineData("over budget at the very start of the period", 1200, 0.0, 0.1, 0, "", 0, "", PlanRule.OverBudget)]
    [InlineData("over budget still cancels a surplus queued pilot (scale-in, not the budget)", 1000, 0.4, 0.1, 0, "q3 q2 r r r r r r r r r r", 0, "p2 p1", PlanRule.ScaleIn)]
    [InlineData("pilots that cost nothing are not paced", 999, 0.4, 0, 0, "r r r r r r r", 3, "", PlanRule.ScaleOut)]
    [InlineData("other pools under the same account budget use part of it", 610, 0.4, 0.1, 0.5, "r r r", 1, "", PlanRule.ScaleOut)]
    [InlineData("last minute of the period: the rest may be spent", 990, 0.99999, 0.1, 0, "", 10, "", PlanRule.ScaleOut)]
    [InlineData("running pilots above the paced number are never cancelled", 900, 0.4, 0.1, 0, "r r r r r r r r r r", 0, "", PlanRule.Steady)]
    public void Rule(string because, double spent, double elapsed, double cost, double others, string pilots, int submit, string cancel, PlanRule rule)
    {
        var input = Input(200, pilots, Wide + " scale_in=0") with { Budget = Budget(spent, elapsed, cost, others) };
        var plan = ScalingPolicy.Decide(input);
        var context = $"{because}\n{Describe(input)}{Describe(plan)}";
        Assert.True(rule == plan.Rule, $"rule {plan.Rule}, expected {rule}: {context}");
        Assert.True(submit == plan.Submit, $"submit {plan.Submit}, expected {submit}: {context}");
        Assert.True(cancel == string.Join(" ", plan.Cancel.Select(c => c.PilotId)), $"cancel wrong: {context}");
    }

    [Theory]
    [InlineData(610, 0.4, 0, 9L)]
    [InlineData(610, 0.4, 0.5, 4L)]
    [InlineData(1000, 0.4, 0, 0L)]
    [InlineData(0, 0.0, 0, 13L)]
    [InlineData(999.99, 0.5, 0, 0L)]
    public void Allowed_pilots_spread_the_rest_over_the_rest_of_the_period(double spent, double elapsed, double others, long expected)
    {
        Assert.Equal(expected, BudgetPacing.AllowedPilots(Budget(spent, elapsed, 0.1, others), Now));
    }

    [Fact]
    public void Plan_explains_the_budget_rule_with_its_numbers()
    {
        var plan = ScalingPolicy.Decide(Input(200, "r r r r r r r", Wide) with { Budget = Budget(610, 0.4) });
        Assert.Contains("limited by the budget pool test: 61% used (610 of 1000 SU) at 40% of the month", plan.Reason, StringComparison.Ordinal);
        Assert.Contains("390 SU left for 18d is 0.9 SU/h; a pilot costs 0.1 SU/h: at most 9 pilots at a time", plan.Reason, StringComparison.Ordinal);
        var limits = plan.Limits.ToDictionary(f => f.Name, f => f.Value);
        Assert.Equal("9", limits["budget_allowed_pilots"]);
        Assert.Equal("610 SU (61%)", limits["budget_spent"]);
        Assert.Equal("pool test 1000 SU per month", limits["budget"]);
    }

    [Fact]
    public void Over_budget_is_said_in_the_reason_and_the_notes_even_when_steady()
    {
        var over = ScalingPolicy.Decide(Input(200, "r", Wide) with { Budget = Budget(1000, 0.4) });
        Assert.Contains("over budget, no submissions until the month ends", over.Reason, StringComparison.Ordinal);
        Assert.Contains("running pilots are not cancelled", over.Reason, StringComparison.Ordinal);

        var steady = ScalingPolicy.Decide(Input(10, "r", Wide) with { Budget = Budget(1000, 0.4) });
        Assert.Equal(PlanRule.Steady, steady.Rule);
        Assert.Contains(steady.Notes, n => n.StartsWith("Over budget: budget pool test: 100% used", StringComparison.Ordinal));
    }

    [Fact]
    public void No_budget_leaves_the_plan_as_before()
    {
        var plan = ScalingPolicy.Decide(Input(200, "r r r r r r r", Wide));
        Assert.Equal(3, plan.Submit);
        Assert.Equal("none", plan.Limits.Single(f => f.Name == "budget").Value);
    }
}
