using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.State;
using Microsoft.Extensions.Logging;

namespace Autopilot.Monitoring;

/// <summary>
/// Sends events to the configured alert command and webhook (docs/operations.md, "Alerts"): only the
/// kinds and pools asked for, at most one per kind and pool per min_interval (remembered in
/// &lt;state_dir&gt;/alerts-sent.json across cron runs), all of them within one timeout. A failure is
/// logged, never thrown: an alert that cannot be sent must not stop the autoscaler.
/// </summary>
public sealed class AlertSender : IDisposable
{
    private readonly AlertOptions _options;
    private readonly string _sentFile;
    private readonly IProcessRunner _runner;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient? _http;

    public AlertSender(AlertOptions options, string stateDir, IProcessRunner runner, ILogger logger, TimeProvider time)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _sentFile = Path.Combine(stateDir, "alerts-sent.json");
        _runner = runner;
        _logger = logger;
        _time = time;
        if (options.Webhook is not null)
        {
            // Certificates are verified by the default handler; there is no switch to turn that off.
            _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = options.Timeout, AllowAutoRedirect = false })
            {
                Timeout = Timeout.InfiniteTimeSpan,
            };
        }
    }

    /// <summary>Whether <paramref name="poolEvent"/> is of a kind and pool the configuration asks alerts for (configuration events have no pool and pass any pool filter).</summary>
    public bool Selected(PoolEvent poolEvent) =>
        _options.Kinds.Contains(EventKinds.Name(poolEvent.Kind), StringComparer.OrdinalIgnoreCase)
        && (_options.Pools.Count == 0 || poolEvent.Pool.Length == 0 || _options.Pools.Contains(poolEvent.Pool, StringComparer.Ordinal));

    public async Task SendAsync(IReadOnlyList<PoolEvent> events, CancellationToken cancellationToken)
    {
        var wanted = events.Where(Selected).ToList();
        if (wanted.Count == 0 || !_options.Enabled)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var sent = LoadSent();
        var due = new List<PoolEvent>();
        foreach (var e in wanted)
        {
            var key = EventKinds.Name(e.Kind) + "/" + e.Pool;
            if (sent.TryGetValue(key, out var last) && now - last < _options.MinInterval)
            {
                _logger.LogInformation("alert for {Kind} of pool {Pool} not sent: one was sent at {Last:HH:mm:ss}Z (min_interval {Interval})",
                    EventKinds.Name(e.Kind), e.Pool, last, ConfigValues.FormatDuration(_options.MinInterval));
                continue;
            }

            sent[key] = now;
            due.Add(e);
        }

        if (due.Count == 0)
        {
            return;
        }

        // Remembered before sending: a process killed half-way must not send the same burst again.
        SaveSent(sent, now);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_options.Timeout);
        var sends = new List<Task>();
        foreach (var e in due)
        {
            var json = EventJson.Write(e);
            if (_options.Command.Count > 0)
            {
                sends.Add(RunCommandAsync(e, json, budget.Token));
            }

            if (_http is not null)
            {
                sends.Add(PostAsync(e, json, budget.Token));
            }
        }

        await Task.WhenAll(sends.Select(NeverThrowsAsync)).ConfigureAwait(false);
    }

    // The last line of defence for "a failing alert is logged, never fatal": whatever a send throws
    // that its own handling did not foresee must not fail the tick that closes the store.
    private async Task NeverThrowsAsync(Task send)
    {
        try
        {
            await send.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning("alert not sent: {Type}: {Message}", ex.GetType().Name, ex.Message);
        }
    }

    private async Task RunCommandAsync(PoolEvent e, string json, CancellationToken ct)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["AUTOPILOT_EVENT_KIND"] = EventKinds.Name(e.Kind),
            ["AUTOPILOT_EVENT_POOL"] = e.Pool,
            ["AUTOPILOT_EVENT_TIME"] = e.Time.ToString("O", CultureInfo.InvariantCulture),
            ["AUTOPILOT_EVENT_JOB_IDS"] = string.Join(' ', e.JobIds),
            ["AUTOPILOT_EVENT_REASON"] = e.Reason,
        };
        var spec = new ProcessSpec(_options.Command[0], _options.Command.Skip(1).ToList(), Environment: env, StandardInput: json, Timeout: _options.Timeout, MaxOutputBytes: 64 * 1024);
        try
        {
            var result = await _runner.RunAsync(spec, ct).ConfigureAwait(false);
            if (result.Succeeded)
            {
                _logger.LogInformation("alert for {Kind} of pool {Pool} sent to `{Command}`", EventKinds.Name(e.Kind), e.Pool, spec.Display());
            }
            else
            {
                _logger.LogWarning("alert for {Kind} of pool {Pool} not sent: {Why}", EventKinds.Name(e.Kind), e.Pool, result.Describe());
            }
        }
        catch (Exception ex) when (ex is ProcessFailedException or OperationCanceledException)
        {
            _logger.LogWarning("alert for {Kind} of pool {Pool} not sent: `{Command}`: {Message}", EventKinds.Name(e.Kind), e.Pool, spec.Display(),
                ex is OperationCanceledException ? $"not done within the alert timeout {ConfigValues.FormatDuration(_options.Timeout)}" : ex.Message);
        }
    }

    private async Task PostAsync(PoolEvent e, string json, CancellationToken ct)
    {
        var url = _options.Webhook!;
        string? problem = null;
        for (var attempt = 0; attempt <= _options.Retries; attempt++)
        {
            if (attempt > 0)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt - 1)), _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
                var secret = Secrets.Read(_options.WebhookSecretFile, null, "alerts.webhook_secret_file");
                if (secret is not null)
                {
                    if (secret.AsSpan().IndexOfAny('\r', '\n') >= 0 || secret.Length == 0)
                    {
                        problem = $"alerts.webhook_secret_file {_options.WebhookSecretFile}: the header value must be one non-empty line";
                        break;
                    }

                    request.Headers.TryAddWithoutValidation(_options.WebhookSecretHeader, secret);
                }

                using var response = await _http!.SendAsync(request, ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    _logger.LogInformation("alert for {Kind} of pool {Pool} posted to {Url}", EventKinds.Name(e.Kind), e.Pool, url);
                    return;
                }

                problem = $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}";
                var code = response.StatusCode;
                if ((int)code < 500 && code is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
                {
                    break;
                }
            }
            catch (SecretException ex)
            {
                problem = ex.Message;
                break;
            }
            catch (HttpRequestException ex)
            {
                problem = $"{url}: {ex.Message}";
            }
            catch (OperationCanceledException)
            {
                problem = $"{url}: no answer within the alert timeout {ConfigValues.FormatDuration(_options.Timeout)}";
                break;
            }
        }

        _logger.LogWarning("alert for {Kind} of pool {Pool} not sent: {Problem}", EventKinds.Name(e.Kind), e.Pool, problem);
    }

    private Dictionary<string, DateTimeOffset> LoadSent()
    {
        var sent = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(_sentFile))
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(_sentFile));
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.TryGetDateTimeOffset(out var time))
                    {
                        sent[p.Name] = time;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            _logger.LogWarning("cannot read {File}: {Message}; alerts are not rate-limited this time", _sentFile, ex.Message);
        }

        return sent;
    }

    private void SaveSent(Dictionary<string, DateTimeOffset> sent, DateTimeOffset now)
    {
        var keep = TimeSpan.FromTicks(Math.Max(_options.MinInterval.Ticks, TimeSpan.FromDays(1).Ticks));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (key, time) in sent.Where(s => now - s.Value < keep))
            {
                w.WriteString(key, time);
            }

            w.WriteEndObject();
        }

        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        try
        {
            AtomicFile.Write(_sentFile, text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("cannot write {File}: {Message}; the next run may send the same alert again", _sentFile, ex.Message);
        }
    }

    public void Dispose() => _http?.Dispose();
}

/// <summary>Writes a file whole or not at all: a temporary file next to it, then a rename over it.</summary>
public static class AtomicFile
{
    public static void Write(string path, string text)
    {
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temp, text);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}
