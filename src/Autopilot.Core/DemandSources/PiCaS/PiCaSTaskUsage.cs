using System.Globalization;
using System.Text.Json;
using Autopilot.Accounting;
using Autopilot.Configuration;
using Autopilot.State;
using Autopilot.TaskLogs;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>
/// Busy time of PiCaS pilots from their tokens: the shipped pilot loop writes the job id into
/// <c>pilot</c> when it locks a token, and <c>lock</c>/<c>done</c> are epoch seconds. One Mango
/// query per pool (<c>POST _find</c>, selector <c>pilot $in [...]</c>, three fields). A token still
/// locked counts until its pilot ended (or now); tokens of other clients, without <c>pilot</c>, are
/// not attributed to any pilot.
/// </summary>
public sealed class PiCaSTaskUsage(PiCaSOptions demand, ILogger logger, TimeProvider time) : ITaskUsage
{
    private const string Undefined = ".undefined";

    private readonly PiCaSConnection _connection = new(demand, logger);

    public string Source => $"picas {_connection.DisplayUrl}";

    public async Task<IReadOnlyDictionary<string, WorkerUsage>> ReadAsync(IReadOnlyList<PilotRecord> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new Dictionary<string, WorkerUsage>(StringComparer.Ordinal);
        foreach (var chunk in rows.Chunk(500))
        {
            var query = FindQuery(chunk);
            using var session = _connection.Open(time, cancellationToken);
            var answer = await session.SendAsync(HttpMethod.Post, "_find", query).ConfigureAwait(false);
            if (!answer.Ok)
            {
                throw session.Failure(answer, "the token query (_find by pilot)");
            }

            foreach (var (pilot, usage) in Busy(answer.Body, chunk, now))
            {
                result[pilot] = usage;
            }
        }

        return result;
    }

    /// <summary>The Mango query for these rows' tokens, written directly (no reflection: the binary is Native AOT).</summary>
    internal static string FindQuery(IReadOnlyList<PilotRecord> rows)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("selector");
            json.WriteStartObject("pilot");
            json.WriteStartArray("$in");
            foreach (var row in rows)
            {
                // The Grid Engine template writes JOB_ID.SGE_TASK_ID, "123.undefined" outside an array.
                json.WriteStringValue(row.PilotId);
                json.WriteStringValue(row.PilotId + Undefined);
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteStartArray("fields");
            json.WriteStringValue("pilot");
            json.WriteStringValue("lock");
            json.WriteStringValue("done");
            json.WriteEndArray();
            json.WriteNumber("limit", 1_000_000);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Each row's busy time and tokens from a <c>_find</c> answer (pure); rows without tokens: 0.</summary>
    public static IReadOnlyDictionary<string, WorkerUsage> Busy(string findAnswer, IReadOnlyList<PilotRecord> rows, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ends = rows.ToDictionary(r => r.PilotId, r => r.Ended ?? now, StringComparer.Ordinal);
        var times = new List<ClientTaskTime>();
        try
        {
            using var doc = JsonDocument.Parse(findAnswer);
            foreach (var token in doc.RootElement.GetProperty("docs").EnumerateArray())
            {
                var pilot = token.TryGetProperty("pilot", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
                if (pilot.EndsWith(Undefined, StringComparison.Ordinal) && !ends.ContainsKey(pilot))
                {
                    pilot = pilot[..^Undefined.Length];
                }

                if (ends.TryGetValue(pilot, out var end) && Seconds(token, "lock") is > 0 and var locked)
                {
                    var done = Seconds(token, "done") is > 0 and var d ? DateTimeOffset.FromUnixTimeSeconds(d) : end;
                    times.Add(new ClientTaskTime(pilot, DateTimeOffset.FromUnixTimeSeconds(locked), done));
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new DemandException($"picas: the token query answered something that is not a _find result: {ex.Message}");
        }

        var busy = HyperShellTaskUsage.BusyByClient(times, now);
        return rows.ToDictionary(
            r => r.PilotId,
            r => busy.TryGetValue(r.PilotId, out var b) ? new WorkerUsage(null, b.Seconds, b.Tasks) : new WorkerUsage(null, 0, 0),
            StringComparer.Ordinal);
    }

    private static long Seconds(JsonElement token, string name) =>
        token.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n
        : token.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String && long.TryParse(s.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m
        : 0;
}
