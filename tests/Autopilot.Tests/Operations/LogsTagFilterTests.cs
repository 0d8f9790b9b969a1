using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Operations;

/// <summary>Issue 17: `logs` shows only the tasks the pool's demand.tag filter counts as its own.</summary>
public sealed class LogsTagFilterTests
{
    private const string IdSiteA = "aaaa0000-0000-4000-8000-00000000000a";
    private const string IdSiteB = "bbbb0000-0000-4000-8000-00000000000b";

    private readonly string config;

    public LogsTagFilterTests()
    {
        var dir = TempDir();
        var db = CreateDatabase(dir,
            new TaskRow(IdSiteA, "echo a") { Submitted = T0.AddMinutes(1) },
            new TaskRow(IdSiteB, "echo b") { Submitted = T0.AddMinutes(2) });
        Execute(db, $"UPDATE task SET tag = '{{\"site\": \"a\"}}' WHERE id = '{IdSiteA}'");
        Execute(db, $"UPDATE task SET tag = '{{\"site\": \"b\"}}' WHERE id = '{IdSiteB}'");
        config = WriteHyperShellConfig(dir, db, "tag = \"site = a\"\n");
    }

    [Fact]
    public async Task Recent_list_leaves_out_tasks_of_another_tag()
    {
        var (exit, output, error) = await Run("logs", "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Contains(IdSiteA, output, StringComparison.Ordinal);
        Assert.DoesNotContain(IdSiteB, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_of_another_tag_is_not_found_by_id()
    {
        var (exit, output, error) = await Run("logs", IdSiteB, "--config", config, "-q");

        Assert.NotEqual(0, exit);
        Assert.DoesNotContain(IdSiteB + " (pool main)", output, StringComparison.Ordinal);
        Assert.Contains($"no task with id or prefix '{IdSiteB}'", error, StringComparison.Ordinal);

        var (found, shown, _) = await Run("logs", IdSiteA, "--config", config, "-q");
        Assert.Equal(0, found);
        Assert.Contains($"task {IdSiteA} (pool main)", shown, StringComparison.Ordinal);
    }
}
