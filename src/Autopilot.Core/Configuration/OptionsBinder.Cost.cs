namespace Autopilot.Configuration;

// [pricing], [budget] and [accounting]: docs/configuration.md, "Pricing and budgets".
internal static partial class OptionsBinder
{
    public static readonly IReadOnlyList<string> BudgetPeriods = ["month", "quarter"];

    private static AutopilotOptions BindCost(SectionReader root, AutopilotOptions options)
    {
        var pricing = root.Has("pricing") ? BindPricing(root.Child("pricing")) : null;
        var budgets = root.Has("budget") ? BindBudgets(root.Child("budget"), options, pricing is not null) : [];
        var accounting = root.Has("accounting") ? BindAccounting(root.Child("accounting")) : new AccountingOptions();
        return options with { Pricing = pricing, Budgets = budgets, Accounting = accounting };
    }

    private static PricingOptions BindPricing(SectionReader r)
    {
        var options = new PricingOptions
        {
            Unit = r.String("unit", "SU"),
            Rates = BindRates(r),
            Partitions = BindNamedRates(r, "partition"),
            Accounts = BindNamedRates(r, "account"),
        };
        r.Finish();
        return options;
    }

    private static Rates BindRates(SectionReader r) => new()
    {
        CoreHour = Rate(r, "core_hour"),
        NodeHour = Rate(r, "node_hour"),
        GpuHour = Rate(r, "gpu_hour"),
    };

    private static double Rate(SectionReader r, string name)
    {
        var value = r.Double(name, 0);
        if (value < 0 || !double.IsFinite(value))
        {
            r.Error(name, $"a rate must be zero or more, got {value}");
            return 0;
        }

        return value;
    }

    private static Dictionary<string, Rates> BindNamedRates(SectionReader parent, string name)
    {
        var result = new Dictionary<string, Rates>(StringComparer.Ordinal);
        if (!parent.Has(name))
        {
            return result;
        }

        var table = parent.Child(name);
        foreach (var child in table.Context.ChildKeys(table.Prefix))
        {
            var r = table.Child(child);
            result[child] = BindRates(r);
            r.Finish();
        }

        table.Finish();
        return result;
    }

    private static List<BudgetOptions> BindBudgets(SectionReader r, AutopilotOptions options, bool priced)
    {
        var budgets = new List<BudgetOptions>();
        foreach (var scope in new[] { "pool", "account" })
        {
            if (!r.Has(scope))
            {
                continue;
            }

            var table = r.Child(scope);
            foreach (var name in table.Context.ChildKeys(table.Prefix))
            {
                var b = table.Child(name);
                var amount = b.Has("amount") ? b.Double("amount", -1) : double.NaN;
                if (double.IsNaN(amount))
                {
                    b.Error("amount", "every budget needs an amount (in the [pricing] unit)");
                }
                else if (amount < 0 || !double.IsFinite(amount))
                {
                    b.Error("amount", $"a budget amount must be zero or more, got {amount}");
                }

                var period = b.Choice("period", "month", BudgetPeriods, "budget period");
                if (scope == "pool" && options.Pools.Count > 0 && !options.Pools.Any(p => p.Name == name))
                {
                    table.Error(name, $"no pool named '{name}' (pools: {string.Join(", ", options.Pools.Select(p => p.Name))})");
                }
                else if (scope == "account" && !options.Pools.Any(p => p.Scheduler.Account == name))
                {
                    table.Error(name, $"no pool submits to account '{name}' (set [pool.scheduler] account)");
                }

                if (!priced)
                {
                    table.Error(name, "a budget needs a [pricing] table to turn pilot-hours into its unit");
                }

                budgets.Add(new BudgetOptions(scope, name, double.IsFinite(amount) ? Math.Max(0, amount) : 0, period == "quarter" ? BudgetPeriod.Quarter : BudgetPeriod.Month));
                b.Finish();
            }

            table.Finish();
        }

        r.Finish();
        return budgets;
    }

    private static AccountingOptions BindAccounting(SectionReader r)
    {
        var d = new AccountingOptions();
        var options = new AccountingOptions
        {
            SampleRetention = r.Duration("sample_retention", d.SampleRetention, positive: true),
        };
        r.Finish();
        return options;
    }
}
