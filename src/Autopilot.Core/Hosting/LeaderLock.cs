using System.Security.Cryptography;
using System.Text;
using Autopilot.Configuration;
using Autopilot.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Autopilot.Hosting;

/// <summary>
/// Leadership between controllers on several login nodes: a PostgreSQL session advisory lock on a
/// key derived from the configured name. The lock lives as long as the session, so a leader that
/// dies or loses its connection releases it and a standby takes over at its next tick. This
/// session is the one database connection kept between ticks.
/// </summary>
public sealed class LeaderLock : IAsyncDisposable
{
    private readonly LeaderOptions _options;
    private readonly ILogger _logger;
    private NpgsqlConnection? _connection;

    public LeaderLock(LeaderOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
    }

    /// <summary>The advisory-lock key for a name: the first 8 bytes of its SHA-256.</summary>
    public static long KeyFor(string name) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes("autopilot-leader:" + name)), 0);

    public bool IsLeader => _connection is not null;

    /// <summary>Why the last check could not be made, as "host:port: message" (null when it was made: leader, or the lock is someone else's).</summary>
    public string? Problem { get; private set; }

    /// <summary>Checks (and when free, takes) leadership. Returns false on any error: a controller that cannot prove it leads does not act.</summary>
    public async Task<bool> EnsureAsync(CancellationToken cancellationToken)
    {
        Problem = null;
        if (_connection is not null)
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                _logger.LogWarning("leader: lost the connection holding the lock ({Message}); standing down", ex.Message);
                await DropAsync().ConfigureAwait(false);
            }
        }

        NpgsqlConnection? connection = null;
        try
        {
            connection = new NpgsqlConnection(ConnectionString(_options.Postgres));
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            cmd.Parameters.AddWithValue("key", KeyFor(_options.Name));
            var got = (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            if (got)
            {
                _logger.LogInformation("leader: acquired lock '{Name}'; this controller acts", _options.Name);
                _connection = connection;
                return true;
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        catch (Exception ex) when (ex is NpgsqlException or SecretException or InvalidOperationException or IOException or ArgumentException)
        {
            _logger.LogWarning("leader: cannot check the lock on {Host}:{Port}: {Message}", _options.Postgres.Host, _options.Postgres.Port, ex.Message);
            Problem = $"{_options.Postgres.Host}:{_options.Postgres.Port}: {ex.Message}";
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            return false;
        }
    }

    public async ValueTask DisposeAsync() => await DropAsync().ConfigureAwait(false);

    private async Task DropAsync()
    {
        if (_connection is not null)
        {
            try
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException)
            {
                // The session is gone either way; PostgreSQL released the lock with it.
            }

            _connection = null;
        }
    }

    internal static string ConnectionString(PostgresOptions pg)
    {
        var builder = PostgresConnection.Builder(pg, Secrets.Read(pg.PasswordFile, pg.PasswordEnv, "leader.postgres.password"), "autopilot-leader");
        builder.KeepAlive = 10;
        return builder.ToString();
    }
}
