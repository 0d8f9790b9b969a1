using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;
using Autopilot.Tests.DemandSources;

namespace Autopilot.Tests.Schedulers.Slurm;

/// <summary>
/// Issue 17: a bin_dir with site wrappers for sbatch, squeue, scancel and sacct only (no scontrol),
/// run for real: the outcome reader still reaches its sacct -c fallback.
/// </summary>
public sealed class SlurmOutcomeWrapperTests
{
    [Fact]
    public async Task Outcomes_use_sacct_c_when_scontrol_cannot_run()
    {
        using var dir = new TempDir();
        var row = string.Join('\u001F', "23", "23", "autopilot-a", "FAILED", "1:0", "2026-11-21T23:59:19", "2026-11-21T23:59:19");
        dir.Script("sacct", $$"""
            if [ "$1" = -c ]; then printf '%s\n' '{{row}}'; exit 0; fi
            echo 'Slurm accounting storage is disabled' >&2; exit 1
            """);
        var options = new SchedulerOptions { Kind = "slurm", BinDir = dir.Path, CommandTimeout = TimeSpan.FromSeconds(10) };
        var scheduler = new SlurmScheduler(new ProcessRunner(), defaults: options, zone: TimeZoneInfo.Utc);

        var report = await scheduler.OutcomesAsync(new OutcomeQuery(["autopilot-a"], new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero)), default);

        Assert.True(report.Available);
        var outcome = Assert.Single(report.Outcomes);
        Assert.Equal(("23", PilotEnd.Failed), (outcome.Id, outcome.End));
    }
}
