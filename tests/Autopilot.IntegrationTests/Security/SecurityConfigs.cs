using Autopilot.IntegrationTests.DemandSources;
using Autopilot.IntegrationTests.EndToEnd;

namespace Autopilot.IntegrationTests.Security;

/// <summary>autopilot.toml pieces for the security scenarios: one header, any number of one-pilot pools.</summary>
internal static class SecurityConfigs
{
    public static string Header(string stateDir, string prefix) => $"""
        state_dir = {EndToEndHarness.Quote(stateDir)}
        job_prefix = {EndToEndHarness.Quote(prefix)}
        [log]
        file = false

        """;

    /// <summary>[pool.demand] lines for a HyperShell schema on the test PostgreSQL; <paramref name="secretLine"/> says where the password comes from.</summary>
    public static string PostgresDemand(string schema, string secretLine) => $"""
        kind = "hypershell"
        backend = "postgres"
        [pool.demand.postgres]
        host = {EndToEndHarness.Quote(HyperShellPg.Host)}
        port = {HyperShellPg.Port}
        database = {EndToEndHarness.Quote(HyperShellPg.Database)}
        user = {EndToEndHarness.Quote(HyperShellPg.User)}
        {secretLine}
        schema = {EndToEndHarness.Quote(schema)}
        ssl_mode = "disable"
        """;

    /// <summary>A pool of at most <paramref name="maxPilots"/> pilots; <paramref name="extra"/> goes under [pool.scheduler].</summary>
    public static string Pool(string name, string template, string demand, string kind, string queue, int maxPilots = 1, string scaleToZeroAfter = "1h", string extra = "") => $"""
        [[pool]]
        name = "{name}"
        template = {EndToEndHarness.Quote(template)}
        [pool.demand]
        {demand.Trim()}
        [pool.scheduler]
        kind = "{kind}"
        queue = {EndToEndHarness.Quote(queue)}
        walltime = "00:10:00"
        drain_lead = "10s"
        {extra}
        [pool.limits]
        max_pilots = {maxPilots}
        tasks_per_pilot = 10
        max_queued = {maxPilots}
        max_submit_per_tick = {maxPilots}
        scale_to_zero_after = "{scaleToZeroAfter}"
        [pool.policy]
        scale_in_after = "0s"
        min_useful_walltime = "30s"

        """;
}
