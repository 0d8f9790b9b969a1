using System.Text.Json;
using Autopilot.DemandSources.HyperShell;
using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Operations;

/// <summary>
/// Every `--json` output against its schema (the field lists of docs/operations.md, "JSON outputs"):
/// real runs of the CLI on the local scheduler and a generated HyperShell SQLite database.
/// </summary>
public sealed class JsonOutputSchemaTests
{
    public const string Plan = """
        $: object
        $.time: string
        $.pools: array
        $.pools[]: object
        $.pools[].pool: string
        $.pools[].job_name: string
        $.pools[].ok: bool
        $.pools[].error: string|null
        $.pools[].demand: object|null
        $.pools[].demand.tasks: number
        $.pools[].demand.saturated: bool
        $.pools[].demand.measures: array
        $.pools[].demand.measures[]: object
        $.pools[].demand.measures[].name: string
        $.pools[].demand.measures[].value: string
        $.pools[].pilots: object|null
        $.pools[].pilots.queued: number
        $.pools[].pilots.held: number
        $.pools[].pilots.running: number
        $.pools[].pilots.completing: number
        $.pools[].pilots.finished: number
        $.pools[].pilots.unknown: number
        $.pools[].desired: number|null
        $.pools[].submit: number|null
        $.pools[].cancel: array
        $.pools[].cancel[]: object
        $.pools[].cancel[].pilot_id: string
        $.pools[].cancel[].reason: string
        $.pools[].rule: string|null
        $.pools[].reason: string|null
        $.pools[].inputs: array
        $.pools[].inputs[]: object
        $.pools[].inputs[].name: string
        $.pools[].inputs[].value: string
        $.pools[].limits: array
        $.pools[].limits[]: object
        $.pools[].limits[].name: string
        $.pools[].limits[].value: string
        $.pools[].notes: array
        $.pools[].notes[]: string
        """;

    public const string Jobs = """
        $: object
        $.time: string
        $.pools: array
        $.pools[]: object
        $.pools[].pool: string
        $.pools[].job_name: string
        $.pools[].ok: bool
        $.pools[].error: string|null
        $.pools[].demand: number|null
        $.pools[].desired: number|null
        $.pools[].pilots: array
        $.pools[].pilots[]: object
        $.pools[].pilots[].id: string
        $.pools[].pilots[].state: string
        $.pools[].pilots[].raw_state: string
        $.pools[].pilots[].pending_reason: string|null
        $.pools[].pilots[].pending_kind: string
        $.pools[].pilots[].submit_time: string|null
        $.pools[].pilots[].start_time: string|null
        $.pools[].pilots[].queued_seconds: number|null
        $.pools[].pilots[].running_seconds: number|null
        $.pools[].pilots[].time_left_seconds: number|null
        $.pools[].pilots[].array_index: number|null
        $.pools[].pilots[].foreign: bool
        $.pools[].pilots[].cluster: string|null
        $.pools[].cluster: string|null
        """;

    public const string Status = """
        $: object
        $.time: string
        $.schedule: string
        $.next_tick: string
        $.store_recovered: string|null
        $.pools: array
        $.pools[]: object
        $.pools[].pool: string
        $.pools[].enabled: bool
        $.pools[].state: string
        $.pools[].paused_reason: string|null
        $.pools[].crash_loop_reason: string|null
        $.pools[].draining: bool
        $.pools[].backoff_until: string|null
        $.pools[].consecutive_submit_failures: number
        $.pools[].consecutive_pilot_failures: number
        $.pools[].last_demand_at: string|null
        $.pools[].last_tick: object|null
        $.pools[].last_tick.pool: string
        $.pools[].last_tick.time: string
        $.pools[].last_tick.ok: bool
        $.pools[].last_tick.summary: string
        $.pools[].last_tick.rule: string|null
        $.pools[].last_tick.demand: number|null
        $.pools[].last_tick.queued: number
        $.pools[].last_tick.running: number
        $.pools[].last_tick.held: number
        $.pools[].last_tick.consecutive_failures: number
        $.pools[].last_tick.paused_by: string|null
        $.pools[].details: array
        $.pools[].details[]: string
        $.pools[].cluster: string|null
        """;

    public const string Events = """
        $: array
        $[]: object
        $[].time: string
        $[].pool: string
        $[].kind: string
        $[].job_ids: array
        $[].job_ids[]: string
        $[].reason: string
        $[].cluster: string|null
        """;

    private const string TaskFields = """
        {0}: object
        {0}.pool: string
        {0}.id: string
        {0}.state: string
        {0}.exit_status: number|null
        {0}.attempt: number
        {0}.command: string
        {0}.args: string
        {0}.client_host: string|null
        {0}.submit_time: string
        {0}.schedule_time: string|null
        {0}.start_time: string|null
        {0}.completion_time: string|null
        {0}.waited_seconds: number|null
        {0}.duration_seconds: number|null
        {0}.outpath: string|null
        {0}.errpath: string|null
        """;

    private const string LogFields = """
        {0}: object
        {0}.path: string|null
        {0}.source: string
        {0}.available: bool
        {0}.text: string|null
        {0}.error: string|null
        """;

    public static readonly string LogsList = "$: object\n$.tasks: array\n" + string.Format(System.Globalization.CultureInfo.InvariantCulture, TaskFields, "$.tasks[]");

    public static readonly string LogsOne = "$: object\n"
        + string.Format(System.Globalization.CultureInfo.InvariantCulture, TaskFields, "$.task") + "\n"
        + string.Format(System.Globalization.CultureInfo.InvariantCulture, LogFields, "$.stdout") + "\n"
        + string.Format(System.Globalization.CultureInfo.InvariantCulture, LogFields, "$.stderr");

    private const string ConfigTree = """
        $: object
        $.state_dir: string
        $.schedule: string
        $.job_prefix: string
        $.template_dir: string|absent
        $.max_pilots: number
        $.max_parallel_reads: number
        $.log: object
        $.log.*: any
        $.leader: object
        $.leader.*: any
        $.kubernetes: object
        $.kubernetes.*: any
        $.accounting: object
        $.accounting.*: any
        $.pricing: object|absent
        $.pricing.*: any
        $.budget: object|absent
        $.budget.*: any
        $.alerts: object
        $.alerts.*: any
        $.metrics: object
        $.metrics.*: any
        $.pool: array|absent
        $.pool[]: object
        $.pool[].name: string
        $.pool[].enabled: bool
        $.pool[].template: string
        $.pool[].wrapper: string|absent
        $.pool[].idle_timeout: string
        $.pool[].template_vars: object
        $.pool[].template_vars.*: any
        $.pool[].demand: object
        $.pool[].demand.*: any
        $.pool[].scheduler: object
        $.pool[].scheduler.*: any
        $.pool[].limits: object
        $.pool[].limits.*: any
        $.pool[].policy: object
        $.pool[].policy.*: any
        $.pool[].logs: object
        $.pool[].logs.*: any
        """;

    public static readonly string Config = ConfigTree;

    public static readonly string ConfigWithOrigins = "$: object\n$.config: object\n$.origins: object\n$.origins.*: any\n"
        + string.Join('\n', ConfigTree.Split('\n').Skip(1).Select(l => "$.config" + l.Trim()[1..]));

    private readonly string dir = TempDir();

    private string Setup()
    {
        var db = Path.Combine(dir, "main.db");
        HyperShellTestDatabase.CreateSqlite(db, HyperShellSchemaVersion.Classic,
            new HyperShellTaskBatch(HyperShellTaskState.Pending, 2),
            new HyperShellTaskBatch(HyperShellTaskState.Failed, 1) { ExitStatus = 2 });
        // A pilot that only lives a few seconds: enough to be listed, gone soon after the test.
        File.WriteAllText(Path.Combine(dir, "pilot.sh"), "#!/bin/sh\necho \"pilot for {{pool}}\"\nsleep 3\n");
        var config = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(config, $"""
            state_dir = "{dir}/state"
            template_dir = "{dir}"
            [log]
            file = false
            [[pool]]
            name = "main"
            template = "pilot.sh"
            wrapper = "wrappers/hs-site.sh"
            [pool.demand]
            path = "{db}"
            [pool.scheduler]
            walltime = "30m"
            """);
        return config;
    }

    private static void AssertShape(string json, string schema)
    {
        var problems = JsonShape.Check(json, schema);
        Assert.True(problems.Count == 0, string.Join('\n', problems) + "\n" + json);
    }

    [Fact]
    public async Task Plan_jobs_status_events_config_and_logs_match_their_schemas()
    {
        var config = Setup();
        var (exit, _, error) = await Run("tick", "--config", config, "-q");
        Assert.True(exit == 0, error);

        var (_, plan, _) = await Run("plan", "--json", "--config", config, "-q");
        AssertShape(plan, Plan);
        var planPool = JsonDocument.Parse(plan).RootElement.GetProperty("pools")[0];
        Assert.NotEmpty(planPool.GetProperty("inputs").EnumerateArray());
        Assert.Equal(JsonValueKind.Object, planPool.GetProperty("demand").ValueKind);

        var (_, jobs, _) = await Run("jobs", "--all", "--json", "--config", config, "-q");
        AssertShape(jobs, Jobs);
        Assert.NotEmpty(JsonDocument.Parse(jobs).RootElement.GetProperty("pools")[0].GetProperty("pilots").EnumerateArray());

        var (_, status, _) = await Run("status", "--json", "--config", config, "-q");
        AssertShape(status, Status);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(status).RootElement.GetProperty("pools")[0].GetProperty("last_tick").ValueKind);

        var (_, events, _) = await Run("events", "--json", "--config", config, "-q");
        AssertShape(events, Events);
        Assert.Contains(JsonDocument.Parse(events).RootElement.EnumerateArray(), e => e.GetProperty("job_ids").GetArrayLength() > 0);

        var (_, configJson, _) = await Run("config", "--json", "--config", config, "-q");
        AssertShape(configJson, Config);
        var (_, origins, _) = await Run("config", "--json", "--origin", "--config", config, "-q");
        AssertShape(origins, ConfigWithOrigins);

        var (_, list, _) = await Run("logs", "--json", "--config", config, "-q");
        AssertShape(list, LogsList);
        var tasks = JsonDocument.Parse(list).RootElement.GetProperty("tasks");
        Assert.Equal(3, tasks.GetArrayLength());
        var (_, one, _) = await Run("logs", tasks[0].GetProperty("id").GetString()!, "--json", "--config", config, "-q");
        AssertShape(one, LogsOne);
    }

    [Fact]
    public void Every_schema_field_is_documented_in_operations_md()
    {
        var doc = File.ReadAllText(Path.Combine(Repo, "docs", "operations.md"));
        var section = doc[doc.IndexOf("## JSON outputs", StringComparison.Ordinal)..];
        var undocumented = new[] { Plan, Jobs, Status, Events, LogsList, LogsOne, Config }
            .SelectMany(schema => schema.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(line => line[..line.LastIndexOf(':')].Split('.')[^1].TrimEnd(']', '['))
            .Where(name => name is not ("$" or "*" or "") && !section.Contains($"`{name}`", StringComparison.Ordinal)
                && !section.Contains($"`pools[].{name}`", StringComparison.Ordinal) && !section.Contains($"{name}`", StringComparison.Ordinal))
            .Distinct()
            .ToList();
        Assert.Empty(undocumented);
    }

    [Fact]
    public void The_checker_reports_missing_extra_and_mistyped_properties()
    {
        const string schema = "$: object\n$.a: string\n$.b: number|null\n$.c: array\n$.c[]: object\n$.c[].d: bool\n$.e: string|absent";
        Assert.Empty(JsonShape.Check("""{"a": "x", "b": null, "c": [{"d": true}]}""", schema));
        Assert.Equal(["$.b: missing", "$.c[].d: string, expected bool", "$.z: not in the schema"],
            JsonShape.Check("""{"a": "x", "c": [{"d": "no"}], "z": 1}""", schema).Order(StringComparer.Ordinal));
    }
}
