using System.Globalization;
using System.Net.Sockets;
using Autopilot.Configuration;
using Npgsql;

namespace Autopilot.Postgres;

/// <summary>
/// Connections from a <see cref="PostgresOptions"/>: the one place that turns host, port, database,
/// user, password, ssl mode and timeouts into an Npgsql connection string, for HyperShell, the SQL
/// demand source, <c>autopilot logs</c> and the leader lock. Every connection is a physical,
/// unpooled session: nothing lingers between ticks.
/// </summary>
public static class PostgresConnection
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The timeout to use: the configured one, or 10 s when it is not positive.</summary>
    public static TimeSpan Effective(TimeSpan timeout) => timeout > TimeSpan.Zero ? timeout : DefaultTimeout;

    /// <summary>Whole seconds, rounded up, at least 1 (Npgsql's timeouts are in seconds).</summary>
    public static int Seconds(TimeSpan span) => (int)Math.Clamp(Math.Ceiling(span.TotalSeconds), 1, int.MaxValue);

    /// <summary>
    /// The common settings of a session: where, who, the password (read by the caller, never logged),
    /// ssl mode, connect timeout, no pooling. Callers add their command timeout and session options.
    /// </summary>
    /// <exception cref="ArgumentException">ssl_mode is not one PostgreSQL knows.</exception>
    public static NpgsqlConnectionStringBuilder Builder(PostgresOptions pg, string? password, string applicationName)
    {
        ArgumentNullException.ThrowIfNull(pg);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = pg.Host,
            Port = pg.Port,
            Database = pg.Database,
            SslMode = ParseSslMode(pg.SslMode),
            Timeout = Seconds(Effective(pg.ConnectTimeout)),
            Pooling = false,
            ApplicationName = applicationName,
        };
        if (!string.IsNullOrEmpty(pg.User))
        {
            builder.Username = pg.User;
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        return builder;
    }

    /// <exception cref="ArgumentException">Not one of disable, allow, prefer, require, verify-ca, verify-full.</exception>
    public static SslMode ParseSslMode(string value) =>
        value.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() switch
        {
            "disable" => SslMode.Disable,
            "allow" => SslMode.Allow,
            "prefer" => SslMode.Prefer,
            "require" => SslMode.Require,
            "verifyca" => SslMode.VerifyCA,
            "verifyfull" => SslMode.VerifyFull,
            _ => throw new ArgumentException($"postgres.ssl_mode '{value}' is not one of {string.Join(", ", PostgresOptions.SslModes)}"),
        };

    /// <summary>Belt and braces: whatever a driver message contains, the password never leaves here.</summary>
    public static string Scrub(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);

    /// <summary>Quotes a PostgreSQL identifier (schema names come from configuration).</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A driver error as one line that says what to fix (login, database, timeout, network).</summary>
    public static string Describe(Exception ex, TimeSpan statementTimeout, TimeSpan connectTimeout, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                "28P01" or "28000" => $"authentication failed ({pg.SqlState}: {pg.MessageText})",
                "3D000" => $"database does not exist ({pg.MessageText})",
                "57014" => $"query cancelled after the {statementTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s statement timeout",
                "42501" => $"permission denied ({pg.MessageText})",
                _ => $"{pg.SqlState}: {pg.MessageText}",
            };
        }

        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException socket:
                    return $"cannot connect ({socket.SocketErrorCode}: {socket.Message})";
                case TimeoutException:
                    return elapsed >= connectTimeout
                        ? $"timed out after {elapsed.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s (connect timeout {connectTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)"
                        : $"timed out ({inner.Message})";
            }
        }

        return ex.Message;
    }
}
