using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Autopilot.Configuration;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>A locked PiCaS token old enough to be judged, and the verdict.</summary>
/// <param name="Rev">The revision read; the reset is a PUT with it, so a token changed since is left alone.</param>
/// <param name="Pilot">The pilot the token records (our templates write <c>pilot</c>), or null.</param>
/// <param name="Stale">True when it is to be reset.</param>
/// <param name="Why">Why it is stale, or why it is kept.</param>
public sealed record LockedToken(string Id, string Rev, DateTimeOffset LockedAt, TimeSpan LockedFor, string? Pilot, string? Hostname, bool Stale, string Why)
{
    /// <summary>The document as read (the reset writes it back changed, with its revision).</summary>
    internal string Document { get; init; } = "";
}

/// <summary>What happened to one stale token.</summary>
/// <param name="Reset">True when CouchDB took the reset.</param>
/// <param name="Outcome">"reset to todo", "left alone: ..." or the error.</param>
public sealed record TokenReset(LockedToken Token, bool Reset, string Outcome);

/// <summary>
/// Stale PiCaS locks: tokens locked (lock &gt; 0, done == 0) longer than a limit whose pilot is not
/// running any more. A pilot killed by its walltime, preempted or lost with its node leaves its token
/// locked forever, and nothing else ever returns it to todo. Reading and resetting are two steps
/// (<see cref="FindAsync"/>, <see cref="ResetAsync"/>) so that `--dry-run` shows what the reset would do.
/// </summary>
public sealed class PiCaSStaleLocks
{
    private readonly PiCaSConnection _connection;
    private readonly TimeProvider _time;

    public PiCaSStaleLocks(PiCaSOptions options, ILogger logger, TimeProvider time)
    {
        _connection = new PiCaSConnection(options, logger);
        _time = time;
    }

    /// <summary>The database's address for messages.</summary>
    public string DisplayUrl => _connection.DisplayUrl;

    /// <summary>
    /// The locked tokens older than <paramref name="olderThan"/>, from the <c>locked_view</c> with their documents.
    /// A token naming its pilot is stale when that pilot's job is not among <paramref name="liveJobs"/>
    /// (job numbers, see <see cref="JobNumber"/>); one naming none only when <paramref name="byAge"/>.
    /// </summary>
    public async Task<IReadOnlyList<LockedToken>> FindAsync(IReadOnlySet<string> liveJobs, TimeSpan olderThan, bool byAge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(liveJobs);
        var o = _connection.Options;
        using var session = _connection.Open(_time, cancellationToken);
        var body = await session.GetViewAsync(o.LockedView, "include_docs=true").ConfigureAwait(false);
        try
        {
            return Judge(body, _time.GetUtcNow(), liveJobs, olderThan, byAge);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new DemandException(session.Redact($"picas {DisplayUrl}: view {o.DesignDoc}/{o.LockedView} did not give token documents: {ex.Message}"));
        }
    }

    /// <summary>
    /// Returns each stale token to todo as PiCaS' own scrub does (lock 0, done 0, hostname "",
    /// scrub_count + 1; our <c>pilot</c> field removed), with a PUT of the revision read: a token a
    /// pilot touched since (finished it, took it again) gets 409 and is left alone.
    /// </summary>
    public async Task<IReadOnlyList<TokenReset>> ResetAsync(IReadOnlyList<LockedToken> tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var results = new List<TokenReset>();
        using var session = _connection.Open(_time, cancellationToken);
        foreach (var token in tokens.Where(t => t.Stale))
        {
            var path = Uri.EscapeDataString(token.Id);
            var doc = JsonNode.Parse(token.Document)!.AsObject();
            doc["lock"] = 0;
            doc["done"] = 0;
            doc["hostname"] = "";
            doc["scrub_count"] = (doc["scrub_count"] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0) + 1;
            doc.Remove("pilot");
            var put = await session.SendAsync(HttpMethod.Put, path, doc.ToJsonString()).ConfigureAwait(false);
            results.Add(put.Ok
                ? new TokenReset(token, true, "reset to todo")
                : put.Status == HttpStatusCode.Conflict
                    ? new TokenReset(token, false, "left alone: the token changed since it was read (revision conflict)")
                    : new TokenReset(token, false, session.Failure(put, $"the reset of token {token.Id}").Message));
        }

        return results;
    }

    /// <summary>
    /// The job number a pilot id starts with: Slurm 123 / 123_4, Grid Engine 123.4, PBS 123.server /
    /// 123[4].server, LSF 123[4], and the ids our templates write into tokens ("123.server index=4").
    /// Array elements of one job share it, so a token is kept while any element of its array runs:
    /// the conservative side, a reset never takes work from a pilot that might still run it.
    /// </summary>
    public static string? JobNumber(string? pilot)
    {
        if (string.IsNullOrEmpty(pilot))
        {
            return null;
        }

        var end = 0;
        while (end < pilot.Length && char.IsAsciiDigit(pilot[end]))
        {
            end++;
        }

        return end == 0 ? null : pilot[..end];
    }

    /// <summary>The verdict on each row of a <c>locked_view?include_docs=true</c> answer. Pure, for tests.</summary>
    internal static IReadOnlyList<LockedToken> Judge(string body, DateTimeOffset now, IReadOnlySet<string> liveJobs, TimeSpan olderThan, bool byAge)
    {
        using var json = JsonDocument.Parse(body);
        if (!json.RootElement.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("the answer has no rows");
        }

        var tokens = new List<LockedToken>();
        foreach (var row in rows.EnumerateArray())
        {
            if (!row.TryGetProperty("doc", out var doc) || doc.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("a row has no doc (the view was not queried with include_docs)");
            }

            var id = doc.GetProperty("_id").GetString()!;
            var rev = doc.GetProperty("_rev").GetString()!;

            // The view says locked; the document is what is reset, so it must say so too.
            if (Number(doc, "lock") is not { } lockTime || lockTime <= 0 || Number(doc, "done") is not 0)
            {
                continue;
            }

            var lockedAt = DateTimeOffset.FromUnixTimeSeconds(Math.Min(lockTime, 253_402_300_799));
            var age = now - lockedAt;
            if (age < olderThan)
            {
                continue;
            }

            var pilot = doc.TryGetProperty("pilot", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
            var host = doc.TryGetProperty("hostname", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            var job = JobNumber(pilot);
            var held = $"locked {Format(age)}";
            var token = job is not null
                ? liveJobs.Contains(job)
                    ? new LockedToken(id, rev, lockedAt, age, pilot, host, false, $"{held}, but its pilot {pilot} is still in the queue")
                    : new LockedToken(id, rev, lockedAt, age, pilot, host, true, $"{held} by pilot {pilot}, which is no longer in the queue")
                : byAge
                    ? new LockedToken(id, rev, lockedAt, age, pilot, host, true, $"{held} and records no pilot (stale_lock_by_age)")
                    : new LockedToken(id, rev, lockedAt, age, pilot, host, false, $"{held} but records no pilot; set stale_lock_by_age = true to reset such tokens by age alone");
            tokens.Add(token with { Document = doc.GetRawText() });
        }

        return tokens;
    }

    private static long? Number(JsonElement doc, string name) =>
        doc.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.Number when value.TryGetInt64(out var n) => n,
                JsonValueKind.Number when value.TryGetDouble(out var d) => (long)d,
                JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) => s,
                _ => null,
            }
            : null;

    /// <summary>Whole minutes (seconds under a minute): a lock's age to the second is noise.</summary>
    private static string Format(TimeSpan age) => ConfigValues.FormatDuration(age >= TimeSpan.FromMinutes(1)
        ? TimeSpan.FromMinutes(Math.Floor(age.TotalMinutes))
        : TimeSpan.FromSeconds(Math.Floor(age.TotalSeconds)));
}
