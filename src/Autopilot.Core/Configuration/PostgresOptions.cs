namespace Autopilot.Configuration;

/// <summary>One PostgreSQL connection: HyperShell's and the SQL source's database, and the leader lock's.</summary>
public sealed record PostgresOptions
{
    public static readonly IReadOnlyList<string> SslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

    public string Host { get; init; } = "localhost";
    public int Port { get; init; } = 5432;
    public string? Database { get; init; }
    public string? User { get; init; }
    public string? PasswordFile { get; init; }
    public string? PasswordEnv { get; init; }
    public string Schema { get; init; } = "public";
    /// <summary>disable, allow, prefer, require, verify-ca, verify-full.</summary>
    public string SslMode { get; init; } = "prefer";
    public TimeSpan StatementTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal static PostgresOptions Bind(SectionReader r)
    {
        var d = new PostgresOptions();
        var options = new PostgresOptions
        {
            Host = r.String("host", d.Host),
            Port = r.Int("port", d.Port, min: 1, max: 65535),
            Database = r.OptionalString("database"),
            User = r.OptionalString("user"),
            PasswordFile = r.OptionalPath("password_file"),
            PasswordEnv = r.OptionalString("password_env"),
            Schema = r.String("schema", d.Schema),
            SslMode = r.Choice("ssl_mode", d.SslMode, SslModes, "ssl_mode"),
            StatementTimeout = r.Duration("statement_timeout", d.StatementTimeout, positive: true),
            ConnectTimeout = r.Duration("connect_timeout", d.ConnectTimeout, positive: true),
        };
        OptionsBinder.CheckSecretKeys(r, options.PasswordFile, options.PasswordEnv);
        r.Finish();
        return options;
    }
}
