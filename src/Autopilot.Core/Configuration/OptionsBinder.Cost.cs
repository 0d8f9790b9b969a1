namespace Autopilot.Configuration;

// [pricing], [budget] and [accounting]: docs/configuration.md, "Pricing and budgets".
internal static partial class OptionsBinder
{
    public static readonly IReadOnlyList<string> BudgetPeriods = ["month", "quarter"];

    private static AutopilotOptions BindCost(SectionReader root, AutopilotOptions options)
    {
        var pricing = root.Has("pricing") ? BindPricing(root.Child("pricing")) : null;
        var budget = root.Has("budget") ? BindBudget(root.Child("budget"), options, pricing is not null) : null;
        var accounting = root.Has("accounting") ? BindAccounting(root.Child("accounting")) : new AccountingOptions();
        return options with { Pricing = pricing, Budget = budget, Accounting = accounting };
    }

    private static PricingOptions BindPricing(SectionReader r)
    {
        var rates = BindRates(r);
        var options = new PricingOptions
        {
            Unit = r.String("unit", "SU"),
            CoreHour = rates.CoreHour,
            NodeHour = rates.NodeHour,
            GpuHour = rates.GpuHour,
            GibHour = rates.GibHour,
            Partition = Named(r, "partition", BindRates),
            Account = Named(r, "account", BindRates),
        };
        r.Finish();
        return options;
    }

    private static Rates BindRates(SectionReader r) => new()
    {
        CoreHour = NotNegative(r, "core_hour", "a rate"),
        NodeHour = NotNegative(r, "node_hour", "a rate"),
        GpuHour = NotNegative(r, "gpu_hour", "a rate"),
        GibHour = NotNegative(r, "gib_hour", "a rate"),
    };

    private static double NotNegative(SectionReader r, string name, string what)
    {
        var value = r.Double(name, 0);
        if (value < 0 || !double.IsFinite(value))
        {
            r.Error(name, $"{what} must be a finite number, zero or more, got {value}");
            return 0;
        }

        return value;
    }

    /// <summary>[parent.name.X] tables for any X, each bound by <paramref name="bind"/> (which leaves unknown keys to this).</summary>
    private static Dictionary<string, T> Named<T>(SectionReader parent, string name, Func<SectionReader, T> bind)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (!parent.Has(name))
        {
            return result;
        }

        var table = parent.Child(name);
        foreach (var child in table.Context.ChildKeys(table.Prefix))
        {
            var r = table.Child(child);
            result[child] = bind(r);
            r.Finish();
        }

        table.Finish();
        return result;
    }

    private static BudgetOptions BindBudget(SectionReader r, AutopilotOptions options, bool priced)
    {
        var budget = new BudgetOptions
        {
            Pool = Named(r, "pool", BindBudgetAmount),
            Account = Named(r, "account", BindBudgetAmount),
        };
        var pools = string.Join(", ", options.Pools.Select(p => p.Name));
        foreach (var name in budget.Pool.Keys.Where(n => !options.Pools.Any(p => p.Name == n)))
        {
            r.Error("pool:" + name, $"no pool named '{name}' (pools: {pools})");
        }

        foreach (var name in budget.Account.Keys.Where(n => !options.Pools.Any(p => p.Scheduler.Account == n)))
        {
            r.Error("account:" + name, $"no pool submits to account '{name}' (set account in a pool's [pool.scheduler])");
        }

        if (!priced && (budget.Pool.Count > 0 || budget.Account.Count > 0))
        {
            r.Context.Error(r.Prefix, "a budget needs a [pricing] table to turn pilot-hours into its unit");
        }

        r.Finish();
        return budget;
    }

    private static BudgetAmount BindBudgetAmount(SectionReader r)
    {
        if (!r.Has("amount"))
        {
            r.Context.Error(r.Prefix, "every budget needs an amount (in the [pricing] unit)");
        }

        return new BudgetAmount
        {
            Amount = NotNegative(r, "amount", "a budget amount"),
            Period = r.Choice("period", "month", BudgetPeriods, "budget period"),
        };
    }

    private static AccountingOptions BindAccounting(SectionReader r)
    {
        var d = new AccountingOptions();
        var options = new AccountingOptions
        {
            SampleRetention = r.Duration("sample_retention", d.SampleRetention, positive: true),
            SchedulerUsageCheck = r.Bool("scheduler_usage_check", d.SchedulerUsageCheck),
        };
        r.Finish();
        return options;
    }
}
