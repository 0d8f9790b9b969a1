using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Lsf;
using Autopilot.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>
/// `check --submit-test` on PBS and LSF, which have no dry-run submission: the queue is looked up
/// (`qstat -Q`, `bqueues`) with the fake commands, and the verdict says a dry run does not exist.
/// </summary>
public sealed class SubmitTestWithoutDryRunTests
{
    private static SubmitRequest Request(string kind, FakeBin bin, string? queue) =>
        new("main", "ap-main", bin.Script, 1, new SchedulerOptions { Kind = kind, Queue = queue, BinDir = bin.Dir, CommandTimeout = TimeSpan.FromSeconds(20) }, bin.Dir);

    [Fact]
    public async Task Pbs_looks_the_queue_up_and_says_it_has_no_dry_run()
    {
        using var bin = new FakeBin("pbs");
        bin.Respond("qstat", 1, stdout: "Queue              Max   Tot Ena Str   Que   Run   Hld   Wat   Trn   Ext Type\nworkq                0     0 yes yes     0     0     0     0     0     0 Exec\n")
           .Respond("qstat", 2, stderr: "qstat: Unknown queue nosuchq\n", exit: 1);
        var pbs = new PbsScheduler("pbs", new ProcessRunner());

        var good = await pbs.TestSubmitAsync(Request("pbs", bin, "workq"), CancellationToken.None);
        var bad = await pbs.TestSubmitAsync(Request("pbs", bin, "nosuchq"), CancellationToken.None);
        var none = await pbs.TestSubmitAsync(Request("pbs", bin, null), CancellationToken.None);

        Assert.Equal((false, true), (good.DryRun, good.Ok));
        Assert.Equal("pbs has no dry-run submission; the queue exists", good.Message);
        Assert.Equal((false, false), (bad.DryRun, bad.Ok));
        Assert.Contains("pbs has no dry-run submission; the queue lookup failed", bad.Message, StringComparison.Ordinal);
        Assert.Contains("qstat: Unknown queue nosuchq", bad.Message, StringComparison.Ordinal);
        Assert.True(none.Ok);
        Assert.Null(none.Command);
        var calls = bin.Calls();
        Assert.Equal(2, calls.Count);
        FakeBin.AssertCall(calls[0], "qstat", "-Q", "workq");
        FakeBin.AssertCall(calls[1], "qstat", "-Q", "nosuchq");
    }

    [Fact]
    public async Task Lsf_looks_the_queue_up_and_says_it_has_no_dry_run()
    {
        using var bin = new FakeBin("lsf");
        bin.Respond("bqueues", 1, stdout: "QUEUE_NAME      PRIO STATUS          MAX JL/U JL/P JL/H NJOBS  PEND   RUN  SUSP\nnormal           30  Open:Active       -    -    -    -     0     0     0     0\n")
           .Respond("bqueues", 2, stderr: "nosuchq: No such queue\n", exit: 255);
        var lsf = new LsfScheduler(new ProcessRunner());

        var good = await lsf.TestSubmitAsync(Request("lsf", bin, "normal"), CancellationToken.None);
        var bad = await lsf.TestSubmitAsync(Request("lsf", bin, "nosuchq"), CancellationToken.None);

        Assert.Equal((false, true), (good.DryRun, good.Ok));
        Assert.Equal((false, false), (bad.DryRun, bad.Ok));
        Assert.Contains("lsf has no dry-run submission; the queue lookup failed", bad.Message, StringComparison.Ordinal);
        Assert.Contains("nosuchq: No such queue", bad.Message, StringComparison.Ordinal);
        FakeBin.AssertCall(bin.Calls()[1], "bqueues", "nosuchq");
    }
}
