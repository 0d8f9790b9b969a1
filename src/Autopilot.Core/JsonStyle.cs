using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.Domain;
using Autopilot.Policy;
using Autopilot.Reports;
using Autopilot.State;
using Autopilot.TaskLogs;

namespace Autopilot;

/// <summary>The one JSON style of every machine-readable output: snake_case, enums as strings, ISO times.</summary>
public static class JsonStyle
{
    /// <summary>
    /// The style, not bound to a type resolver: a source-generated context takes a copy
    /// (<c>new XContext(JsonStyle.Copy())</c>) so that nothing is serialised by reflection.
    /// </summary>
    public static JsonSerializerOptions Copy() => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // One converter per enum: the non-generic JsonStringEnumConverter builds them at run time,
        // which Native AOT cannot. JsonStyleTests fails when an output type gains an enum not listed.
        Converters =
        {
            Snake<ConfigOriginKind>(), Snake<EventKind>(), Snake<HyperShellSchemaVersion>(), Snake<HyperShellTaskState>(),
            Snake<LogSource>(), Snake<OutcomeVerdict>(), Snake<PendingKind>(), Snake<PilotEnd>(), Snake<PilotState>(),
            Snake<PlanRule>(), Snake<TaskLogState>(),
        },
    };

    /// <summary>A report or view as JSON in the one style, through its source-generated metadata.</summary>
    public static string Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) => JsonSerializer.Serialize(value, info);

    private static JsonStringEnumConverter<T> Snake<T>()
        where T : struct, Enum => new(JsonNamingPolicy.SnakeCaseLower);
}

/// <summary>The JSON outputs of the library (<c>autopilot report --format json</c>).</summary>
[JsonSerializable(typeof(UsageReport))]
[JsonSerializable(typeof(PilotLifetime))]
public sealed partial class CoreJsonContext : JsonSerializerContext
{
    /// <summary>In the one style (<see cref="JsonStyle"/>).</summary>
    public static CoreJsonContext Styled { get; } = new(JsonStyle.Copy());
}
