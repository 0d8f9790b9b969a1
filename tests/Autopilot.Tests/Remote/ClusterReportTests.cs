using Autopilot.Configuration;
using Autopilot.Reports;
using Autopilot.Tests.Accounting;
using Autopilot.Tests.Operations;

namespace Autopilot.Tests.Remote;

/// <summary>`autopilot report` names where each pool's pilots ran (its Slurm cluster and/or ssh host).</summary>
public sealed class ClusterReportTests
{
    private static readonly string Dir = OpsTestSupport.TempDir();

    private static AutopilotOptions WithCluster(string pool, SchedulerOptions scheduler)
    {
        var o = ReportDataSet.Options(Dir);
        return o with { Pools = o.Pools.Select(p => p.Name == pool ? p with { Scheduler = scheduler } : p).ToList() };
    }

    [Fact]
    public void A_remote_pools_cluster_is_in_every_format_and_a_local_pool_has_none()
    {
        var first = ReportDataSet.Options(Dir).Pools[0];
        var remote = first.Scheduler with { Kind = "slurm", Clusters = "c2", Ssh = new SshOptions { Host = "login1", User = "svc" } };
        var report = ReportBuilder.Build(WithCluster(first.Name, remote), ReportDataSet.Pilots, ReportDataSet.Samples, new ReportRequest(ReportDataSet.From, ReportDataSet.To));

        Assert.Equal("c2@login1", report.Pools.Single(p => p.Pool == first.Name).Cluster);
        Assert.All(report.Pools.Where(p => p.Pool != first.Name), p => Assert.Null(p.Cluster));
        Assert.Null(report.Total.Cluster);
        Assert.Contains($"{first.Name} [c2@login1]", ReportFormats.Table(report), StringComparison.Ordinal);
        var csv = ReportFormats.Csv(report).Split('\n');
        Assert.EndsWith(",cluster", csv[0], StringComparison.Ordinal);
        Assert.EndsWith(",c2@login1", csv.Single(l => l.StartsWith(first.Name + ",", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains("\"cluster\": \"c2@login1\"", ReportFormats.Json(report), StringComparison.Ordinal);
        Assert.Contains("[c2@login1]", HtmlReport.Render(report), StringComparison.Ordinal);
    }
}
