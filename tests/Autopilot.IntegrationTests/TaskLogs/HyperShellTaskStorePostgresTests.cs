using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.IntegrationTests.DemandSources;
using Autopilot.TaskLogs;
using Npgsql;

namespace Autopilot.IntegrationTests.TaskLogs;

/// <summary>`autopilot logs` lookups on a HyperShell PostgreSQL database (uuid ids, timestamptz).</summary>
public sealed class HyperShellTaskStorePostgresTests : IAsyncLifetime
{
    private readonly string schema = "logs_" + Guid.NewGuid().ToString("N")[..12];
    private NpgsqlConnection admin = null!;

    public async Task InitializeAsync()
    {
        admin = await HyperShellPg.OpenAsync();
        await HyperShellTestDatabase.CreatePostgresAsync(admin, schema);
        await using var command = new NpgsqlCommand($$"""
            INSERT INTO "{{schema}}".task (id, args, submit_id, submit_time, attempt, retried, tag, schedule_time, start_time, completion_time, exit_status, client_host, command, outpath, errpath, waited, duration)
            VALUES
              ('aaaa1111-0000-4000-8000-000000000001', 'echo a', gen_random_uuid(), '2025-03-01 10:01:00+00', 1, false, '{"site": "a"}', '2025-03-01 10:01:01+00', '2025-03-01 10:01:02+00', '2025-03-01 10:01:07+00', 0, 'node1', 'echo a', '/x/a.out', '/x/a.err', 2, 5),
              ('aaaa2222-0000-4000-8000-000000000002', 'false', gen_random_uuid(), '2025-03-01 10:02:00+00', 2, false, '{"site": "b"}', '2025-03-01 10:02:01+00', '2025-03-01 10:02:02+00', '2025-03-01 10:02:09+00', 3, 'node2', 'false', NULL, NULL, 1, 7),
              ('bbbb0000-0000-4000-8000-000000000003', 'echo later', gen_random_uuid(), '2025-03-01 10:05:00+00', 1, false, '{}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
            """, admin);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        await HyperShellTestDatabase.DropPostgresSchemaAsync(admin, schema);
        await admin.DisposeAsync();
    }

    private HyperShellTaskStore Store() => new(new HyperShellOptions { Backend = "postgres", Postgres = HyperShellPg.Options(schema) });

    [Fact]
    public async Task Full_id_prefix_and_ambiguous_prefix()
    {
        var full = await Store().FindAsync("AAAA1111-0000-4000-8000-000000000001", 5, CancellationToken.None);
        var task = Assert.Single(full);
        Assert.Equal(TaskLogState.Succeeded, task.State);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 10, 1, 7, TimeSpan.Zero), task.CompletionTime);
        Assert.Equal("/x/a.out", task.Outpath);
        Assert.Equal(5, task.Duration);

        var prefix = Assert.Single(await Store().FindAsync("aaaa22", 5, CancellationToken.None));
        Assert.Equal(TaskLogState.Failed, prefix.State);
        Assert.Equal(2, prefix.Attempt);

        Assert.Equal(2, (await Store().FindAsync("aaaa", 5, CancellationToken.None)).Count);
        Assert.Empty(await Store().FindAsync("cccc", 5, CancellationToken.None));
    }

    [Fact]
    public async Task Recent_and_failed_newest_first()
    {
        var recent = await Store().RecentAsync(10, 0, failedOnly: false, CancellationToken.None);
        Assert.Equal(["bbbb0000-0000-4000-8000-000000000003", "aaaa2222-0000-4000-8000-000000000002", "aaaa1111-0000-4000-8000-000000000001"], recent.Select(t => t.Id));
        Assert.Equal(TaskLogState.Pending, recent[0].State);

        var failed = Assert.Single(await Store().RecentAsync(10, 0, failedOnly: true, CancellationToken.None));
        Assert.Equal(3, failed.ExitStatus);
    }

    [Fact]
    public async Task The_pools_tag_filter_limits_lookups_and_lists()
    {
        // Issue 17: a pool filtered to site = a never shows site b's tasks.
        var store = new HyperShellTaskStore(new HyperShellOptions { Backend = "postgres", Postgres = HyperShellPg.Options(schema), Tag = "site = a" });

        Assert.Empty(await store.FindAsync("aaaa2222", 5, CancellationToken.None));
        Assert.Equal(["aaaa1111-0000-4000-8000-000000000001"], (await store.RecentAsync(10, 0, failedOnly: false, CancellationToken.None)).Select(t => t.Id));
        Assert.Empty(await store.RecentAsync(10, 0, failedOnly: true, CancellationToken.None));

        var anySite = new HyperShellTaskStore(new HyperShellOptions { Backend = "postgres", Postgres = HyperShellPg.Options(schema), Tag = "site" });
        Assert.Equal(2, (await anySite.RecentAsync(10, 0, failedOnly: false, CancellationToken.None)).Count);
    }
}
