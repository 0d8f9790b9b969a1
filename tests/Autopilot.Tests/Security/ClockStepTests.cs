using Autopilot.Configuration;
using Autopilot.Engine;
using Autopilot.Policy;
using Autopilot.Processes;
using Autopilot.Schedulers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Autopilot.Tests.Security.SecurityTestSupport;
using Autopilot.DemandSources.Command;
using Autopilot.Hosting;

namespace Autopilot.Tests.Security;

/// <summary>Issue 14, problem 13: a wall clock stepped back two hours does not stretch a one-minute back-off.</summary>
public sealed class ClockStepTests : IDisposable
{
    private static readonly DateTimeOffset T = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _dir = TempDir();

    public void Dispose() => DeleteDir(_dir);

    [Fact]
    public async Task A_one_minute_back_off_stays_one_minute_after_the_clock_steps_back_two_hours()
    {
        // A pool whose template does not exist: every submission fails, so every attempt shows as "N in a row".
        var options = new AutopilotOptions
        {
            StateDir = Path.Combine(_dir, "state"),
            JobPrefix = "c" + Guid.NewGuid().ToString("N")[..8],
            Pools =
            [
                new PoolOptions
                {
                    Name = "main",
                    Template = Path.Combine(_dir, "missing.sh"),
                    Scheduler = new SchedulerOptions { Kind = "local" },
                    Demand = new CommandOptions { Command = ["/bin/echo", "1"] },
                    Limits = new LimitOptions { MaxPilots = 1, TasksPerPilot = 1 },
                    Policy = new PolicyOptions { Backoff = [TimeSpan.FromMinutes(1)] },
                },
            ],
        };
        var log = new List<string>();

        var first = await Tick(options, new FakeTimeProvider(T), log);
        Assert.Contains("submit failed (1 in a row, next try after 12:01:00Z)", first.Error, StringComparison.Ordinal);

        // The clock is stepped back two hours (each cron tick is a new process with a new clock reading).
        var stepped = await Tick(options, new FakeTimeProvider(T.AddHours(-2)), log);
        Assert.Equal(PlanRule.Backoff, stepped.Plan!.Rule);
        Assert.Contains(log, l => l.Contains("clock stepped back? remembered backoff_until 2026-03-01T12:01:00Z is 2h1m ahead of now; the back-off of 1m restarts now", StringComparison.Ordinal));

        var minuteLater = await Tick(options, new FakeTimeProvider(T.AddHours(-2).AddSeconds(61)), log);
        Assert.Contains("submit failed (2 in a row", minuteLater.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Remembered_times_in_the_future_are_taken_as_now_and_near_ones_are_kept()
    {
        var now = T;
        var memory = new PoolMemory
        {
            LastDemandAt = now.AddHours(2),
            SurplusSince = now.AddMinutes(1),
            ZeroDemandSince = now.AddDays(1),
            ConsecutiveSubmitFailures = 2,
            SubmitNotBefore = now.AddMinutes(4),
            AwaitingOutcome = new Dictionary<string, DateTimeOffset> { ["7"] = now.AddHours(3), ["8"] = now.AddMinutes(-5) },
        };
        var policy = new PolicyOptions { Backoff = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)] };

        var (fixedMemory, notes) = ClockGuard.Sanitize(memory, policy, now);

        Assert.Equal(now, fixedMemory.LastDemandAt);
        Assert.Equal(now.AddMinutes(1), fixedMemory.SurplusSince);
        Assert.Equal(now, fixedMemory.ZeroDemandSince);
        Assert.Equal(now.AddMinutes(4), fixedMemory.SubmitNotBefore);
        Assert.Equal(now, fixedMemory.AwaitingOutcome["7"]);
        Assert.Equal(now.AddMinutes(-5), fixedMemory.AwaitingOutcome["8"]);
        Assert.Equal(3, notes.Count);
        var steady = memory with { LastDemandAt = now, ZeroDemandSince = now, AwaitingOutcome = new Dictionary<string, DateTimeOffset>() };
        Assert.Empty(ClockGuard.Sanitize(steady, policy, now).Notes);
    }

    private static async Task<PoolTickResult> Tick(AutopilotOptions options, TimeProvider time, List<string> log)
    {
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new ListLoggerProvider(log)));
        var engine = new TickEngine(options, Composition.Production(new ProcessRunner(), NullLoggerFactory.Instance, time), time, loggers.CreateLogger<TickEngine>());
        var report = await engine.RunAsync(new TickRequest(false, null), CancellationToken.None);
        return Assert.Single(report.Pools);
    }

    private sealed class ListLoggerProvider(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines)
                {
                    lines.Add($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
