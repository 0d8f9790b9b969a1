using Autopilot.Configuration;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>[pool.demand] kind = "picas": PiCaS tokens in a CouchDB database.</summary>
public sealed record PiCaSOptions : DemandOptions
{
    public override string Kind => DemandKinds.PiCaS.Name;

    public string? Url { get; init; }
    public string? Database { get; init; }
    public string? User { get; init; }
    public string? PasswordFile { get; init; }
    public string? PasswordEnv { get; init; }
    public string DesignDoc { get; init; } = "Monitor";

    /// <summary>View giving todo tokens (total_rows with limit=0), or a reduce view by state when <see cref="Reduce"/>.</summary>
    public string View { get; init; } = "todo";
    public string LockedView { get; init; } = "locked";
    public bool Reduce { get; init; }
    public bool IncludeLocked { get; init; }
    public bool TlsVerify { get; init; } = true;

    /// <summary>A token locked this long whose pilot is no longer in the queue is stale (`picas reset-stale`); null: no reset.</summary>
    public TimeSpan? StaleLockAfter { get; init; }

    /// <summary>Also reset stale tokens that record no pilot, by their age alone.</summary>
    public bool StaleLockByAge { get; init; }

    /// <summary>Reset stale locks at every tick, before the demand is read.</summary>
    public bool ResetStaleLocks { get; init; }

    public override IEnumerable<(string Table, string? File, string? Env)> Passwords => [("", PasswordFile, PasswordEnv)];

    public override void AddTemplateValues(IDictionary<string, string> values)
    {
        base.AddTemplateValues(values);
        values["db_url"] = Url ?? "";
        values["db_name"] = Database ?? "";
        values["db_user"] = User ?? "";
    }

    internal static PiCaSOptions Bind(SectionReader r, bool chosen)
    {
        var d = new PiCaSOptions();
        var options = new PiCaSOptions
        {
            Timeout = BindTimeout(r, d),
            Url = r.OptionalString("url"),
            Database = r.OptionalString("database"),
            User = r.OptionalString("user"),
            PasswordFile = r.OptionalPath("password_file"),
            PasswordEnv = r.OptionalString("password_env"),
            DesignDoc = r.String("design_doc", d.DesignDoc),
            View = r.String("view", d.View),
            LockedView = r.String("locked_view", d.LockedView),
            Reduce = r.Bool("reduce", d.Reduce),
            IncludeLocked = r.Bool("include_locked", d.IncludeLocked),
            TlsVerify = r.Bool("tls_verify", d.TlsVerify),
            StaleLockAfter = r.Has("stale_lock_after") ? r.Duration("stale_lock_after", TimeSpan.Zero, positive: true) : null,
            StaleLockByAge = r.Bool("stale_lock_by_age", d.StaleLockByAge),
            ResetStaleLocks = r.Bool("reset_stale_locks", d.ResetStaleLocks),
        };
        OptionsBinder.CheckSecretKeys(r, options.PasswordFile, options.PasswordEnv);
        if (options.Url is null)
        {
            if (chosen)
            {
                r.Error("url", "the picas demand source needs the CouchDB url");
            }
        }
        else if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            r.Error("url", $"'{options.Url}' is not an http(s) URL");
        }
        else if (uri.UserInfo.Length > 0)
        {
            r.Error("url", "credentials in the URL are not accepted: set user, and password_file or password_env");
        }

        if (chosen && options.Database is null)
        {
            r.Error("database", "the picas demand source needs the CouchDB database name");
        }

        if (chosen && options.ResetStaleLocks && options.StaleLockAfter is null)
        {
            r.Error("reset_stale_locks", "needs stale_lock_after: how long a token may stay locked before its lock is judged");
        }

        return options;
    }
}
