using Autopilot.Configuration;
using Autopilot.Engine;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Tests.Schedulers;

/// <summary>The one registration list: every kind in it is buildable, named once, and read by the binder and the engine.</summary>
public sealed class SchedulerKindsTests
{
    public static TheoryData<string> Names() => [.. SchedulerKinds.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void Each_registered_kind_builds_an_adapter_of_that_kind(string name)
    {
        var adapter = SchedulerFactory.Create(new SchedulerOptions { Kind = name }, new ProcessRunner(), Path.GetTempPath(), NullLoggerFactory.Instance, TimeProvider.System);
        Assert.Equal(name, adapter.Kind);
        Assert.Same(SchedulerKinds.Find(name), SchedulerKinds.All.Single(k => k.Name == name));
    }

    [Fact]
    public void An_unknown_kind_is_refused_naming_the_known_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => SchedulerFactory.Create(new SchedulerOptions { Kind = "condor" }, new ProcessRunner(), Path.GetTempPath(), NullLoggerFactory.Instance, TimeProvider.System));
        Assert.Contains("unknown scheduler kind 'condor' (expected one of: " + string.Join(", ", SchedulerKinds.Names) + ")", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_schedulers_without_a_listed_mark_tell_pilots_by_recorded_ids()
    {
        Assert.Equal(
            [SchedulerKinds.Pbs.Name, SchedulerKinds.Torque.Name, SchedulerKinds.Lsf.Name],
            SchedulerKinds.Names.Where(RecordedIds.Applies));
    }

    [Theory]
    [InlineData("slurm", null, "SlurmAccounting")]
    [InlineData("sge", null, "GridEngineJobAccounting")]
    [InlineData("pbs", "pbspro", "PbsAccounting")]
    [InlineData("torque", null, "PbsAccounting")]
    [InlineData("lsf", null, null)]
    [InlineData("local", null, null)]
    public void Each_kind_names_its_accounting_reader_in_its_descriptor(string kind, string? flavor, string? reader)
    {
        var options = new SchedulerOptions { Kind = kind, Flavor = flavor ?? "auto" };
        var accounting = JobAccountingFactory.Create(options, new ProcessRunner(), TimeProvider.System);
        Assert.Equal(reader, accounting?.GetType().Name);
    }
}
