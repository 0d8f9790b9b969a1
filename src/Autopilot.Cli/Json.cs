using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Autopilot.Cli.Commands;
using Autopilot.Engine;

namespace Autopilot.Cli;

/// <summary>The one JSON style of every `--json` output (<see cref="JsonStyle"/>), from source-generated metadata.</summary>
public static class Json
{
    public static CliJsonContext Context { get; } = new(JsonStyle.Copy());

    public static string Serialize<T>(T value, JsonTypeInfo<T> info) => JsonStyle.Serialize(value, info);
}

/// <summary>Every type a command prints with --json.</summary>
[JsonSerializable(typeof(PlanView))]
[JsonSerializable(typeof(JobsView))]
[JsonSerializable(typeof(StatusView))]
[JsonSerializable(typeof(List<EventView>))]
[JsonSerializable(typeof(TaskListView))]
[JsonSerializable(typeof(TaskLogsView))]
[JsonSerializable(typeof(ManualSubmitResult))]
[JsonSerializable(typeof(ManualCancelResult))]
[JsonSerializable(typeof(IReadOnlyList<StaleLockReport>))]
public sealed partial class CliJsonContext : JsonSerializerContext;
