using System.Buffers;
using System.Text;
using System.Text.Json;
using Autopilot.Policy;

namespace Autopilot.State;

/// <summary>
/// The JSON of the state store's two records, written and read by hand with Utf8JsonWriter /
/// Utf8JsonReader. The text is what JsonSerializer produces with snake_case names and nulls left
/// out (a test holds the two to each other), but no serializer metadata is built: reflection-based
/// (and even source-generated) serialization JIT-compiles some 300 generic methods over
/// DateTimeOffset/long?/bool at every process start, a third of the CPU of a cron tick
/// (docs/performance.md, "Whole-process tick"). Unknown properties are skipped, as JsonSerializer does.
/// </summary>
internal static class StateRecordJson
{
    public static string Write(PoolMemory memory)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteTime(w, "last_demand_at", memory.LastDemandAt);
            WriteTime(w, "surplus_since", memory.SurplusSince);
            w.WriteNumber("consecutive_submit_failures", memory.ConsecutiveSubmitFailures);
            WriteTime(w, "submit_not_before", memory.SubmitNotBefore);
            w.WriteNumber("consecutive_pilot_failures", memory.ConsecutivePilotFailures);
            WriteText(w, "paused_reason", memory.PausedReason);
            w.WriteBoolean("draining", memory.Draining);
            WriteText(w, "crash_loop_reason", memory.CrashLoopReason);
            WriteTime(w, "zero_demand_since", memory.ZeroDemandSince);
            if (memory.SeenPilots is { } seen)
            {
                w.WriteStartArray("seen_pilots");
                foreach (var id in seen)
                {
                    w.WriteStringValue(id);
                }

                w.WriteEndArray();
            }

            if (memory.AwaitingOutcome is { } awaiting)
            {
                w.WriteStartObject("awaiting_outcome");
                foreach (var (id, since) in awaiting)
                {
                    w.WriteString(id, since);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string Write(PoolTickRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteText(w, "pool", record.Pool);
            w.WriteString("time", record.Time);
            w.WriteBoolean("ok", record.Ok);
            WriteText(w, "summary", record.Summary);
            WriteText(w, "rule", record.Rule);
            if (record.Demand is { } demand)
            {
                w.WriteNumber("demand", demand);
            }

            w.WriteNumber("queued", record.Queued);
            w.WriteNumber("running", record.Running);
            w.WriteNumber("held", record.Held);
            w.WriteNumber("consecutive_failures", record.ConsecutiveFailures);
            WriteText(w, "paused_by", record.PausedBy);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <exception cref="JsonException">The text is not a JSON object of this shape.</exception>
    public static PoolMemory ReadMemory(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (StartObject(ref reader))
        {
            return PoolMemory.Empty;
        }

        var memory = new PoolMemory();
        while (NextProperty(ref reader) is { } name)
        {
            memory = name switch
            {
                "last_demand_at" => memory with { LastDemandAt = ReadTime(ref reader) },
                "surplus_since" => memory with { SurplusSince = ReadTime(ref reader) },
                "consecutive_submit_failures" => memory with { ConsecutiveSubmitFailures = ReadInt(ref reader) },
                "submit_not_before" => memory with { SubmitNotBefore = ReadTime(ref reader) },
                "consecutive_pilot_failures" => memory with { ConsecutivePilotFailures = ReadInt(ref reader) },
                "paused_reason" => memory with { PausedReason = ReadText(ref reader) },
                "draining" => memory with { Draining = ReadBool(ref reader) },
                "crash_loop_reason" => memory with { CrashLoopReason = ReadText(ref reader) },
                "zero_demand_since" => memory with { ZeroDemandSince = ReadTime(ref reader) },
                "seen_pilots" => memory with { SeenPilots = ReadTextList(ref reader) },
                "awaiting_outcome" => memory with { AwaitingOutcome = ReadTimes(ref reader) },
                _ => Skip(ref reader, memory),
            };
        }

        return memory;
    }

    /// <exception cref="JsonException">The text is not a JSON object of this shape.</exception>
    public static PoolTickRecord? ReadTick(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        if (StartObject(ref reader))
        {
            return null;
        }

        string? pool = null, summary = null, rule = null, pausedBy = null;
        DateTimeOffset time = default;
        bool ok = false;
        long? demand = null;
        int queued = 0, running = 0, held = 0, failures = 0;
        while (NextProperty(ref reader) is { } name)
        {
            switch (name)
            {
                case "pool": pool = ReadText(ref reader); break;
                case "time": time = ReadTime(ref reader) ?? throw Null(name); break;
                case "ok": ok = ReadBool(ref reader); break;
                case "summary": summary = ReadText(ref reader); break;
                case "rule": rule = ReadText(ref reader); break;
                case "demand": demand = ReadLong(ref reader); break;
                case "queued": queued = ReadInt(ref reader); break;
                case "running": running = ReadInt(ref reader); break;
                case "held": held = ReadInt(ref reader); break;
                case "consecutive_failures": failures = ReadInt(ref reader); break;
                case "paused_by": pausedBy = ReadText(ref reader); break;
                default: reader.Skip(); break;
            }
        }

        return new PoolTickRecord(pool!, time, ok, summary!, rule, demand, queued, running, held, failures, pausedBy);
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
    }

    private static void WriteText(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    /// <summary>Reads the opening brace; true when the whole text is <c>null</c> (as JsonSerializer, no record).</summary>
    private static bool StartObject(ref Utf8JsonReader reader)
    {
        if (reader.Read() && reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"expected an object, found {reader.TokenType}");
        }

        return false;
    }

    /// <summary>The next property name (the reader then stands on it), or null at the end of the object.</summary>
    private static string? NextProperty(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("unexpected end of JSON");
        }

        return reader.TokenType switch
        {
            JsonTokenType.EndObject => null,
            JsonTokenType.PropertyName => reader.GetString(),
            _ => throw new JsonException($"expected a property, found {reader.TokenType}"),
        };
    }

    private static PoolMemory Skip(ref Utf8JsonReader reader, PoolMemory memory)
    {
        reader.Skip();
        return memory;
    }

    private static JsonException Null(string name) => new($"'{name}' cannot be null");

    private static DateTimeOffset? ReadTime(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Null ? null : reader.GetDateTimeOffset();
    }

    private static string? ReadText(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Null ? null : reader.GetString();
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : throw new JsonException($"expected a number, found {reader.TokenType}");
    }

    private static long? ReadLong(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64();
    }

    private static bool ReadBool(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new JsonException($"expected true or false, found {reader.TokenType}"),
        };
    }

    private static IReadOnlyList<string> ReadTextList(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"expected an array, found {reader.TokenType}");
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(reader.GetString() ?? throw new JsonException("a pilot id cannot be null"));
        }

        return list;
    }

    private static IReadOnlyDictionary<string, DateTimeOffset> ReadTimes(ref Utf8JsonReader reader)
    {
        var result = new Dictionary<string, DateTimeOffset>();
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return result;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"expected an object, found {reader.TokenType}");
        }

        while (NextProperty(ref reader) is { } id)
        {
            result[id] = ReadTime(ref reader) ?? throw Null(id);
        }

        return result;
    }
}
