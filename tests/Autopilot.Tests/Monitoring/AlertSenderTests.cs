using System.Net;
using System.Text.Json;
using Autopilot.Configuration;
using Autopilot.Logging;
using Autopilot.Monitoring;
using Autopilot.Processes;
using Autopilot.State;
using Autopilot.Tests.Configuration;
using Microsoft.Extensions.Logging;

namespace Autopilot.Tests.Monitoring;

/// <summary>Issue 17: alerts to a real local HTTP receiver and a real command.</summary>
public sealed class AlertSenderTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = ConfigTestSupport.TempDir();
    private readonly StringWriter _log = new();
    private readonly ILoggerFactory _loggers;

    public AlertSenderTests()
    {
        _loggers = AutopilotLogging.Create(new LogOptions { File = false }, null, verbose: false, quiet: false, _log, journal: false);
    }

    public void Dispose()
    {
        _loggers.Dispose();
        Directory.Delete(_dir, true);
    }

    private static PoolEvent Event(EventKind kind, string pool = "main", string reason = "why") => new(Now, pool, kind, kind == EventKind.Submitted ? ["41", "42"] : [], reason);

    private AlertSender Sender(AlertOptions options) =>
        new(options, _dir, new ProcessRunner(), _loggers.CreateLogger("Autopilot.Alerts"), TimeProvider.System);

    private string SecretFile(string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var file = Path.Combine(_dir, "webhook.secret");
        File.WriteAllText(file, text + "\n");
        File.SetUnixFileMode(file, mode);
        return file;
    }

    [Fact]
    public async Task Webhook_gets_each_wanted_event_once_per_kind_and_pool_with_the_secret_header()
    {
        using var hook = new LocalWebhook();
        using var sender = Sender(new AlertOptions { Webhook = hook.Url, WebhookSecretFile = SecretFile("Bearer s3cret"), Pools = ["main"] });

        await sender.SendAsync(
        [
            Event(EventKind.CrashLoop, reason: "crash loop: 3 pilots in a row failed"),
            Event(EventKind.CrashLoop),            // same kind and pool: rate-limited
            Event(EventKind.SubmitFailed),
            Event(EventKind.Submitted),            // not a default kind
            Event(EventKind.CrashLoop, pool: "other"), // not a selected pool
        ], CancellationToken.None);

        var received = hook.Received.ToList();
        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.Equal("Bearer s3cret", r.Authorization));
        Assert.All(received, r => Assert.StartsWith("application/json", r.ContentType, StringComparison.Ordinal));
        var crash = JsonDocument.Parse(received.Single(r => r.Body.Contains("crashloop", StringComparison.Ordinal)).Body).RootElement;
        Assert.Equal(("main", "crashloop", "crash loop: 3 pilots in a row failed"), (crash.GetProperty("pool").GetString(), crash.GetProperty("kind").GetString(), crash.GetProperty("reason").GetString()));
        Assert.Equal(Now, crash.GetProperty("time").GetDateTimeOffset());
        Assert.DoesNotContain("s3cret", _log.ToString(), StringComparison.Ordinal);

        // A later process (cron: the next tick) remembers what was sent within min_interval.
        using var again = Sender(new AlertOptions { Webhook = hook.Url, WebhookSecretFile = SecretFile("Bearer s3cret") });
        await again.SendAsync([Event(EventKind.CrashLoop)], CancellationToken.None);
        Assert.Equal(2, hook.Received.Count);
        Assert.Contains("alert for crashloop of pool main not sent: one was sent at", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_and_then_succeeds()
    {
        using var hook = new LocalWebhook(n => n == 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.NoContent);
        using var sender = Sender(new AlertOptions { Webhook = hook.Url, Retries = 2 });

        await sender.SendAsync([Event(EventKind.CrashLoop)], CancellationToken.None);

        Assert.Equal(2, hook.Received.Count);
        Assert.Contains($"alert for crashloop of pool main posted to {hook.Url}", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_that_never_answers_holds_up_the_sender_only_for_the_alert_timeout_and_is_logged()
    {
        using var hook = new LocalWebhook(_ => null);
        using var sender = Sender(new AlertOptions { Webhook = hook.Url, Timeout = TimeSpan.FromSeconds(1), Retries = 5 });

        // A bound, not a speed figure: without the timeout this would wait for ever.
        await sender.SendAsync([Event(EventKind.CrashLoop)], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("alert for crashloop of pool main not sent:", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("no answer within the alert timeout 1s", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_file_others_can_read_is_refused_and_nothing_is_sent()
    {
        using var hook = new LocalWebhook();
        using var sender = Sender(new AlertOptions { Webhook = hook.Url, WebhookSecretFile = SecretFile("Bearer s3cret", UnixFileMode.UserRead | UnixFileMode.OtherRead) });

        await sender.SendAsync([Event(EventKind.CrashLoop)], CancellationToken.None);

        Assert.Empty(hook.Received);
        Assert.Contains("is readable by group or others", _log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_command_gets_the_event_json_on_stdin_and_in_its_environment()
    {
        var seen = Path.Combine(_dir, "seen.txt");
        var script = Path.Combine(_dir, "page.sh");
        File.WriteAllText(script, $"#!/bin/sh\n{{ cat; echo; echo \"$1 $AUTOPILOT_EVENT_KIND $AUTOPILOT_EVENT_POOL [$AUTOPILOT_EVENT_REASON]\"; }} >> '{seen}'\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var sender = Sender(new AlertOptions { Command = [script, "--team hpc"], Kinds = ["backoffstarted"] });

        await sender.SendAsync([Event(EventKind.BackoffStarted, reason: "sbatch: Socket timed out"), Event(EventKind.CrashLoop)], CancellationToken.None);

        var lines = File.ReadAllLines(seen);
        Assert.Equal(2, lines.Length);
        Assert.Equal("backoffstarted", JsonDocument.Parse(lines[0]).RootElement.GetProperty("kind").GetString());
        Assert.Equal("--team hpc backoffstarted main [sbatch: Socket timed out]", lines[1]);
    }

    [Fact]
    public async Task A_failing_command_is_logged_not_thrown()
    {
        using var sender = Sender(new AlertOptions { Command = [Path.Combine(_dir, "missing-pager")] });

        await sender.SendAsync([Event(EventKind.CrashLoop)], CancellationToken.None);

        Assert.Contains("alert for crashloop of pool main not sent:", _log.ToString(), StringComparison.Ordinal);
        Assert.Contains("missing-pager", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_of_two_lines_is_refused_without_sending_or_throwing()
    {
        using var hook = new LocalWebhook();
        using var sender = Sender(new AlertOptions { Webhook = hook.Url, WebhookSecretFile = SecretFile("Bearer s3cret\nX-Injected: 1") });

        await sender.SendAsync([Event(EventKind.CrashLoop)], CancellationToken.None);

        Assert.Empty(hook.Received);
        Assert.Contains("the header value must be one non-empty line", _log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", _log.ToString(), StringComparison.Ordinal);
    }
}
