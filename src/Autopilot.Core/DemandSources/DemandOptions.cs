using Autopilot.Configuration;

namespace Autopilot.DemandSources;

/// <summary>
/// Where a pool's demand is read: the base of each demand source's own options record
/// (<c>HyperShell/HyperShellOptions.cs</c>, <c>Sql/SqlOptions.cs</c>, ...), bound by its <see cref="DemandKind"/>.
/// </summary>
public abstract record DemandOptions
{
    /// <summary>The [pool.demand] kind this record belongs to (the name in <see cref="DemandKinds"/>).</summary>
    public abstract string Kind { get; }

    /// <summary>How long one measurement may take (for a database: the SQLite busy timeout / query timeout).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Where this source's passwords are read (file or environment variable), and the sub-table naming them ("" or "postgres").</summary>
    public virtual IEnumerable<(string Table, string? File, string? Env)> Passwords => [];

    /// <summary>Sets the template's db_* placeholders (docs/templates.md); a source without a database leaves them empty.</summary>
    public virtual void AddTemplateValues(IDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var name in (string[])["db_backend", "db_file", "db_url", "db_host", "db_port", "db_name", "db_user", "db_schema"])
        {
            values[name] = "";
        }
    }

    private protected static TimeSpan BindTimeout(SectionReader r, DemandOptions blank) => r.Duration("timeout", blank.Timeout, positive: true);
}

/// <summary>A demand source that reads an SQLite file or a PostgreSQL database (HyperShell, SQL).</summary>
public abstract record DatabaseDemandOptions : DemandOptions
{
    public static readonly IReadOnlyList<string> Backends = ["sqlite", "postgres"];

    /// <summary>sqlite or postgres.</summary>
    public string Backend { get; init; } = "sqlite";

    /// <summary>The SQLite file.</summary>
    public string? Path { get; init; }

    public PostgresOptions Postgres { get; init; } = new();

    public bool IsPostgres => Backend is "postgres" or "postgresql";

    public override IEnumerable<(string Table, string? File, string? Env)> Passwords => [("postgres", Postgres.PasswordFile, Postgres.PasswordEnv)];

    public override void AddTemplateValues(IDictionary<string, string> values)
    {
        base.AddTemplateValues(values);
        var postgres = Backend == "postgres";
        values["db_backend"] = Backend;
        values["db_file"] = postgres ? "" : PathExpander.Expand(Path ?? "");
        values["db_host"] = postgres ? Postgres.Host : "";
        values["db_port"] = postgres ? Postgres.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
        values["db_name"] = postgres ? Postgres.Database ?? "" : "";
        values["db_user"] = postgres ? Postgres.User ?? "" : "";
        values["db_schema"] = postgres ? Postgres.Schema : "";
    }

    /// <summary>Reads backend, path, postgres and timeout into <paramref name="blank"/>, a fresh record of the caller's kind.</summary>
    private protected static T BindDatabase<T>(SectionReader r, T blank)
        where T : DatabaseDemandOptions
    {
        DatabaseDemandOptions b = blank;
        return (T)(b with
        {
            Backend = r.Choice("backend", blank.Backend, Backends, "backend"),
            Path = r.OptionalPath("path"),
            Postgres = PostgresOptions.Bind(r.Child("postgres")),
            Timeout = BindTimeout(r, blank),
        });
    }
}
