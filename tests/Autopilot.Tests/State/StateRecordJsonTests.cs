using System.Text.Json;
using System.Text.Json.Serialization;
using Autopilot.Policy;
using Autopilot.State;

namespace Autopilot.Tests.State;

/// <summary>
/// The state store writes its records by hand (start-up cost); the text must stay what
/// JsonSerializer wrote before with the store's former options, so old state files read back.
/// </summary>
public sealed class StateRecordJsonTests
{
    // The options SqliteStateStore used until the records were written by hand.
    private static readonly JsonSerializerOptions Serializer = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, 123, TimeSpan.Zero);

    public static TheoryData<string> Memories() => ["empty", "full", "escapes"];

    private static PoolMemory Memory(string name) => name switch
    {
        "empty" => PoolMemory.Empty,
        "full" => new PoolMemory
        {
            LastDemandAt = T0,
            SurplusSince = T0.AddMinutes(1).ToOffset(TimeSpan.FromHours(2)),
            ConsecutiveSubmitFailures = 3,
            SubmitNotBefore = T0.AddTicks(1234567),
            ConsecutivePilotFailures = 4,
            PausedReason = "paused by root",
            Draining = true,
            CrashLoopReason = "3 pilots failed",
            ZeroDemandSince = T0.AddHours(-1),
            SeenPilots = ["153_1", "153_2", "154"],
            AwaitingOutcome = new Dictionary<string, DateTimeOffset> { ["99"] = T0, ["100_3"] = T0.AddSeconds(5) },
        },
        _ => new PoolMemory
        {
            PausedReason = "quote \" backslash \\ tab \t newline \n <html> & 'x' é 日本 \u0001",
            SeenPilots = ["a\"b", "ü"],
            AwaitingOutcome = new Dictionary<string, DateTimeOffset> { ["k\"<>"] = T0 },
        },
    };

    [Theory]
    [MemberData(nameof(Memories))]
    public void Memory_text_is_what_JsonSerializer_writes_and_reads_back(string name)
    {
        var memory = Memory(name);
        var expected = JsonSerializer.Serialize(memory, Serializer);
        Assert.Equal(expected, StateRecordJson.Write(memory));

        var read = StateRecordJson.ReadMemory(expected);
        Assert.Equal(JsonSerializer.Serialize(JsonSerializer.Deserialize<PoolMemory>(expected, Serializer), Serializer), StateRecordJson.Write(read));
        Assert.Equal(memory.LastDemandAt, read.LastDemandAt);
        Assert.Equal(memory.SurplusSince?.Offset, read.SurplusSince?.Offset);
        Assert.Equal(memory.SeenPilots, read.SeenPilots);
        Assert.Equal(memory.AwaitingOutcome.OrderBy(kv => kv.Key), read.AwaitingOutcome.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Every_memory_property_is_written()
    {
        var json = StateRecordJson.Write(Memory("full"));
        using var doc = JsonDocument.Parse(json);
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        var expected = typeof(PoolMemory).GetProperties().Where(p => !p.GetMethod!.IsStatic && p.Name != "EqualityContract")
            .Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();
        Assert.Equal(expected.Order(), names.Order());
    }

    [Theory]
    [InlineData(true, "ScaleOut", 40L)]
    [InlineData(false, null, null)]
    public void Tick_record_text_is_what_JsonSerializer_writes_and_reads_back(bool ok, string? rule, long? demand)
    {
        var record = new PoolTickRecord("main \"x\"", T0, ok, "pool main: demand 40+, <b> & é", rule, demand, 2, 1, 3, 7);
        var expected = JsonSerializer.Serialize(record, Serializer);
        Assert.Equal(expected, StateRecordJson.Write(record));
        Assert.Equal(record, StateRecordJson.ReadTick(expected));
    }

    [Fact]
    public void Unknown_properties_are_skipped_and_null_text_is_no_record()
    {
        var read = StateRecordJson.ReadMemory("""{"future":{"a":[1,2,{"b":null}]},"consecutive_submit_failures":2,"other":"x"}""");
        Assert.Equal(2, read.ConsecutiveSubmitFailures);
        Assert.Equal(PoolMemory.Empty, StateRecordJson.ReadMemory("null"));
        Assert.Null(StateRecordJson.ReadTick("null"));
        Assert.Throws<JsonException>(() => StateRecordJson.ReadMemory("""{"draining":"yes"}"""));
        Assert.Throws<JsonException>(() => StateRecordJson.ReadMemory("[]"));
    }
}
