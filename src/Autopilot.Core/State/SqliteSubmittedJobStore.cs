using System.Text;
using System.Text.Json;

namespace Autopilot.State;

// The recorded job ids live in the same SQLite file as the rest of the state (ISubmittedJobStore).
public sealed partial class SqliteStateStore : ISubmittedJobStore
{
    // Times are ISO 8601 UTC text of one fixed width, so text order is time order.
    private const string SubmittedJobsSchema = """
        CREATE TABLE IF NOT EXISTS submitted_jobs (
            pool TEXT NOT NULL,
            job_key TEXT NOT NULL,
            submitted TEXT NOT NULL,
            last_seen TEXT,
            PRIMARY KEY (pool, job_key));
        CREATE INDEX IF NOT EXISTS submitted_jobs_age ON submitted_jobs (coalesce(last_seen, submitted));
        """;

    public async Task RecordSubmittedAsync(string pool, IReadOnlyCollection<string> jobIds, DateTimeOffset submitted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        if (jobIds.Count == 0)
        {
            return;
        }

        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            INSERT INTO submitted_jobs (pool, job_key, submitted)
            SELECT $pool, value, $submitted FROM json_each($keys) WHERE true
            ON CONFLICT(pool, job_key) DO UPDATE SET submitted = excluded.submitted, last_seen = NULL
            """;
        cmd.Parameters.AddWithValue("$pool", pool);
        cmd.Parameters.AddWithValue("$submitted", Text(submitted));
        cmd.Parameters.AddWithValue("$keys", JsonArray(SubmittedJobs.Keys(jobIds)));
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlySet<string>> RecordedKeysAsync(IReadOnlyCollection<string> pools, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT job_key FROM submitted_jobs WHERE pool IN (SELECT value FROM json_each($pools))";
        cmd.Parameters.AddWithValue("$pools", JsonArray(pools));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    public async Task SeenAsync(IReadOnlyCollection<string> listedPools, IReadOnlyCollection<string> seenKeys, DateTimeOffset now, TimeSpan keep, CancellationToken cancellationToken)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            UPDATE submitted_jobs SET last_seen = $now
                WHERE pool IN (SELECT value FROM json_each($pools)) AND job_key IN (SELECT value FROM json_each($keys));
            DELETE FROM submitted_jobs
                WHERE coalesce(last_seen, submitted) < $cutoff AND pool IN (SELECT value FROM json_each($pools));
            """;
        cmd.Parameters.AddWithValue("$now", Text(now));
        cmd.Parameters.AddWithValue("$pools", JsonArray(listedPools));
        cmd.Parameters.AddWithValue("$keys", JsonArray(seenKeys));
        cmd.Parameters.AddWithValue("$cutoff", Text(now - keep));
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A JSON array of strings for json_each: one parameter however many values.</summary>
    private static string JsonArray(IEnumerable<string> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
