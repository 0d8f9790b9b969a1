using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Policy;
using static Autopilot.Tests.Policy.PolicyDsl;

namespace Autopilot.Tests.Policy;

public sealed class BackoffAndCrashLoopTests
{
    [Theory]
    [InlineData(0, null)]
    [InlineData(-1, null)]
    [InlineData(1, 1)]
    [InlineData(2, 5)]
    [InlineData(3, 15)]
    [InlineData(4, 30)]
    [InlineData(5, 60)]
    [InlineData(9, 60)]
    public void Backoff_steps_up_and_caps_at_the_last_delay(int failures, int? minutes)
    {
        var until = Backoff.After(failures, new PolicyOptions().Backoff, Now);
        Assert.Equal(minutes is { } m ? Now.AddMinutes(m) : null, until);
    }

    [Fact]
    public void Backoff_delays_are_configurable()
    {
        TimeSpan[] delays = [TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)];
        Assert.Equal(Now.AddSeconds(30), Backoff.After(1, delays, Now));
        Assert.Equal(Now.AddMinutes(2), Backoff.After(7, delays, Now));
        Assert.Null(Backoff.After(3, [], Now));
    }

    [Fact]
    public void Failed_then_succeeded_resets()
    {
        var policy = new PolicyOptions();
        var once = Backoff.Failed(PoolMemory.Empty, policy, Now);
        var twice = Backoff.Failed(once, policy, Now.AddMinutes(1));
        Assert.Equal(2, twice.ConsecutiveSubmitFailures);
        Assert.Equal(Now.AddMinutes(6), twice.SubmitNotBefore);
        var ok = Backoff.Succeeded(twice);
        Assert.Equal(0, ok.ConsecutiveSubmitFailures);
        Assert.Null(ok.SubmitNotBefore);
    }

    // F failed, C completed after 10m, S completed exit 0 after 10s, E completed exit 1 after 10m,
    // W walltime, P preempted, N node failure after 10m, n node failure after 10s, X cancelled, U unknown.
    [Theory]
    [InlineData("three failures pause", "F F F", 3, 3, true)]
    [InlineData("two are not enough", "F F", 3, 2, false)]
    [InlineData("a success resets the count", "F C F F", 3, 2, false)]
    [InlineData("walltime, preemption neither count nor reset", "F W F P F", 3, 3, true)]
    [InlineData("node failure and unknown neither count nor reset", "F N U F X F", 3, 3, true)]
    [InlineData("short completions with exit 0 are healthy bursts, never failures", "S S S S", 3, 0, false)]
    [InlineData("a short completion resets the count", "F F S F", 3, 1, false)]
    [InlineData("completed with a non-zero exit is a failing end", "E E E", 3, 3, true)]
    [InlineData("node failures within min_pilot_runtime count", "n n n", 3, 3, true)]
    [InlineData("a later node failure neither counts nor resets", "F N F N F", 3, 3, true)]
    [InlineData("cancellations are not failures", "X X X X", 3, 0, false)]
    [InlineData("threshold 0 never pauses", "F F F F", 0, 4, false)]
    [InlineData("a pause stays after a success", "F F F C", 3, 0, true)]
    [InlineData("threshold 1", "F", 1, 1, true)]
    public void Crash_loop(string because, string ends, int threshold, int expectedCount, bool paused)
    {
        var policy = new PolicyOptions { CrashLoopThreshold = threshold };
        var outcomes = ends.Split(' ').Select((e, i) =>
        {
            var end = Now.AddMinutes(-100 + (i * 10));
            var (kind, ran) = e switch
            {
                "F" => (PilotEnd.Failed, TimeSpan.FromMinutes(5)),
                "C" => (PilotEnd.Completed, TimeSpan.FromMinutes(10)),
                "S" => (PilotEnd.Completed, TimeSpan.FromSeconds(10)),
                "E" => (PilotEnd.Completed, TimeSpan.FromMinutes(10)),
                "W" => (PilotEnd.Walltime, TimeSpan.FromSeconds(10)),
                "P" => (PilotEnd.Preempted, TimeSpan.FromSeconds(10)),
                "N" => (PilotEnd.NodeFailure, TimeSpan.FromMinutes(10)),
                "n" => (PilotEnd.NodeFailure, TimeSpan.FromSeconds(10)),
                "X" => (PilotEnd.Cancelled, TimeSpan.FromSeconds(10)),
                _ => (PilotEnd.Unknown, TimeSpan.FromSeconds(10)),
            };
            return new PilotOutcome($"{100 + i}", "autopilot-test", kind, e is "F" or "E" ? 1 : 0, end - ran, end, kind.ToString().ToUpperInvariant());
        }).Reverse().ToList(); // given out of order: Update sorts by end time
        var memory = CrashLoop.Update(PoolMemory.Empty, outcomes, policy);
        Assert.True(expectedCount == memory.ConsecutivePilotFailures, $"{because}: count {memory.ConsecutivePilotFailures}");
        Assert.True(paused == memory.CrashLoopReason is not null, $"{because}: reason '{memory.CrashLoopReason}'");
    }

    [Fact]
    public void Crash_loop_counts_across_ticks_and_names_the_last_pilot()
    {
        var policy = new PolicyOptions();
        PilotOutcome Fail(string id) => new(id, "autopilot-test", PilotEnd.Failed, 1, Now.AddSeconds(-3), Now, "FAILED");
        var memory = CrashLoop.Update(PoolMemory.Empty, [Fail("41")], policy);
        memory = CrashLoop.Update(memory, [], policy);
        memory = CrashLoop.Update(memory, [Fail("42")], policy);
        Assert.Null(memory.CrashLoopReason);
        memory = CrashLoop.Update(memory, [Fail("43")], policy);
        Assert.Equal(3, memory.ConsecutivePilotFailures);
        Assert.Contains("pilot 43 FAILED, exit 1, ran 3s", memory.CrashLoopReason, StringComparison.Ordinal);
        Assert.StartsWith("crash loop: 3 pilots in a row failed (last:", memory.CrashLoopReason, StringComparison.Ordinal);
        Assert.Contains("autopilot resume", memory.CrashLoopReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pilot_that_completed_with_exit_0_is_never_a_failure_whatever_its_runtime()
    {
        // Issue 19: "last: pilot 72 COMPLETED, exit 0, ran 33s" paused a healthy pool of short bursts.
        var policy = new PolicyOptions { MinPilotRuntime = TimeSpan.FromMinutes(1) };
        foreach (var seconds in new[] { 0, 1, 33, 59 })
        {
            var outcome = new PilotOutcome("72", "n", PilotEnd.Completed, 0, Now.AddSeconds(-seconds), Now, "COMPLETED");
            Assert.Equal(OutcomeVerdict.Success, CrashLoop.Classify(outcome, policy));
        }

        var bursts = Enumerable.Range(70, 5)
            .Select(i => new PilotOutcome($"{i}", "n", PilotEnd.Completed, 0, Now.AddSeconds(i - 33), Now.AddSeconds(i), "COMPLETED"))
            .ToList();
        var memory = CrashLoop.Update(PoolMemory.Empty, bursts, policy);
        Assert.Null(memory.CrashLoopReason);
        Assert.Equal(0, memory.ConsecutivePilotFailures);
    }

    [Fact]
    public void Completed_without_times_is_a_success()
    {
        var policy = new PolicyOptions();
        Assert.Equal(OutcomeVerdict.Success, CrashLoop.Classify(new("1", "n", PilotEnd.Completed, 0, null, null, "COMPLETED"), policy));
        Assert.Equal(OutcomeVerdict.Failure, CrashLoop.Classify(new("1", "n", PilotEnd.Failed, null, null, null, "FAILED"), policy));
    }

    [Theory]
    [InlineData("9", "10", -1)]
    [InlineData("123_2", "123_10", -1)]
    [InlineData("123[4].server", "123[10].server", -1)]
    [InlineData("p2", "p2", 0)]
    [InlineData("b", "a", 1)]
    public void Pilot_ids_order_numerically(string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(PilotIdComparer.Instance.Compare(a, b)));

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(300, "5m")]
    [InlineData(5400, "1h30m")]
    [InlineData(90061, "1d1h1m1s")]
    public void Durations_read_well(int seconds, string text) =>
        Assert.Equal(text, PolicyText.Duration(TimeSpan.FromSeconds(seconds)));
}
