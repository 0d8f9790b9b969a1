using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Autopilot.Configuration;
using Autopilot.Domain;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>
/// Demand from PiCaS tokens in CouchDB: tokens in <c>todo</c> (lock == 0, done == 0), plus
/// <c>locked</c> ones (lock &gt; 0, done == 0) when <see cref="DemandOptions.IncludeLocked"/> so
/// running work keeps its pilots. Reads either the map views (<c>?limit=0</c> → <c>total_rows</c>)
/// or, with <see cref="DemandOptions.Reduce"/>, one reduce view grouped by state
/// (PiCaS' <c>overview_total?group=true</c>).
/// </summary>
public sealed class PiCaSDemandSource : IDemandSource
{
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    private readonly DemandOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _baseUrl;
    private readonly string _displayUrl;

    public PiCaSDemandSource(DemandOptions options, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _time = time;

        if (string.IsNullOrWhiteSpace(options.Url))
        {
            throw new DemandException("picas: demand.url is not set (e.g. url = \"https://picas.example.org:6984\")");
        }

        if (string.IsNullOrWhiteSpace(options.Database))
        {
            throw new DemandException("picas: demand.database is not set (the PiCaS database holding the tokens)");
        }

        if (!Uri.TryCreate(options.Url.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new DemandException("picas: demand.url must be an absolute http:// or https:// address");
        }

        if (url.UserInfo.Length > 0)
        {
            // The address is printed in logs and errors; credentials in it would leak there.
            throw new DemandException(
                $"picas: demand.url must not contain a user or password ({url.Scheme}://...@{url.Authority}); use demand.user and demand.password_file");
        }

        if (url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw new DemandException("picas: demand.url must not have a query or fragment");
        }

        var root = url.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _baseUrl = root + "/" + Uri.EscapeDataString(options.Database);
        _displayUrl = root + "/" + options.Database;

        if (!options.TlsVerify)
        {
            _logger.LogWarning(
                "picas {Url}: TLS certificate verification is off (tls_verify = false); anyone between here and the server can read the password",
                _displayUrl);
        }
    }

    public string Describe()
    {
        var what = _options.Reduce
            ? $"{_options.DesignDoc}/{_options.View} (reduce)"
            : _options.IncludeLocked
                ? $"{_options.DesignDoc}/{_options.View}+{_options.LockedView}"
                : $"{_options.DesignDoc}/{_options.View}";
        return $"picas {_displayUrl} {what}";
    }

    public async Task<Demand> MeasureAsync(long saturation, CancellationToken cancellationToken)
    {
        var password = ReadPassword();
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var handler = CreateHandler();
        using var http = new HttpClient(handler, disposeHandler: false)
        {
            // Our own token enforces the time limit, so the message can say which one fired.
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = MaxBodyBytes,
        };

        try
        {
            if (_options.Reduce)
            {
                var body = await GetViewAsync(http, _options.View, "group=true", password, linked.Token).ConfigureAwait(false);
                var counts = Parse(() => PiCaSViewParser.ParseStateCounts(body), _options.View, password);
                var todo = counts.GetValueOrDefault("todo");
                var locked = counts.GetValueOrDefault("locked");
                var measures = new List<DemandMeasure> { new("todo", todo), new("locked", locked) };
                foreach (var state in new[] { "done", "error" })
                {
                    if (counts.TryGetValue(state, out var n))
                    {
                        measures.Add(new DemandMeasure(state, n));
                    }
                }

                var tasks = _options.IncludeLocked ? checked(todo + locked) : todo;
                return new Demand(tasks, false, measures);
            }
            else
            {
                var todoBody = await GetViewAsync(http, _options.View, "limit=0", password, linked.Token).ConfigureAwait(false);
                var todo = Parse(() => PiCaSViewParser.ParseTotalRows(todoBody), _options.View, password);
                if (!_options.IncludeLocked)
                {
                    return Demand.Of(todo, new DemandMeasure("todo", todo));
                }

                var lockedBody = await GetViewAsync(http, _options.LockedView, "limit=0", password, linked.Token).ConfigureAwait(false);
                var locked = Parse(() => PiCaSViewParser.ParseTotalRows(lockedBody), _options.LockedView, password);
                return Demand.Of(checked(todo + locked), new DemandMeasure("todo", todo), new DemandMeasure("locked", locked));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DemandException(
                $"picas {_displayUrl}: CouchDB did not answer within {_options.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (demand.timeout)");
        }
        catch (HttpRequestException ex)
        {
            var detail = ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new DemandException(Redact($"picas {_displayUrl}: cannot reach CouchDB: {detail}", password));
        }
    }

    private string? ReadPassword()
    {
        string? password;
        try
        {
            password = Secrets.Read(_options.PasswordFile, _options.PasswordEnv, "picas demand password");
        }
        catch (SecretException ex)
        {
            throw new DemandException($"picas {_displayUrl}: {ex.Message}", ex);
        }

        if (!string.IsNullOrEmpty(_options.User) && password is null)
        {
            throw new DemandException(
                $"picas {_displayUrl}: demand.user is '{_options.User}' but neither demand.password_file nor demand.password_env is set");
        }

        return password;
    }

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.Timeout,
            // A redirect could carry the request (and our Authorization header) elsewhere.
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        if (!_options.TlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        return handler;
    }

    private async Task<string> GetViewAsync(HttpClient http, string view, string query, string? password, CancellationToken cancellationToken)
    {
        var name = $"{_options.DesignDoc}/{view}";
        var url = $"{_baseUrl}/_design/{Uri.EscapeDataString(_options.DesignDoc)}/_view/{Uri.EscapeDataString(view)}?{query}";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (!string.IsNullOrEmpty(_options.User))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_options.User}:{password}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
        }

        _logger.LogDebug("picas: GET {Url}/_design/{DesignDoc}/_view/{View}?{Query}", _displayUrl, _options.DesignDoc, view, query);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        var code = (int)response.StatusCode;
        var (error, reason) = CouchError(body);
        var said = reason.Length > 0 ? $"{code} {error}: {reason}" : $"{code} {error}";
        var where = $"picas {_displayUrl}";
        var message = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized when string.IsNullOrEmpty(_options.User) =>
                $"{where}: CouchDB wants a login ({said}); set demand.user and demand.password_file",
            HttpStatusCode.Unauthorized =>
                $"{where}: CouchDB refused the login of user '{_options.User}' ({said}); check demand.user and the password",
            HttpStatusCode.Forbidden =>
                $"{where}: user '{_options.User}' may not read database '{_options.Database}' ({said})",
            HttpStatusCode.NotFound when IsMissingDatabase(reason) =>
                $"{where}: database '{_options.Database}' does not exist ({said})",
            HttpStatusCode.NotFound when reason is "missing" or "deleted" =>
                $"{where}: design document _design/{_options.DesignDoc} not found in database '{_options.Database}' ({said}); create the PiCaS views or set demand.design_doc",
            HttpStatusCode.NotFound =>
                $"{where}: view {name} not found ({said}); check demand.view / demand.locked_view",
            HttpStatusCode.BadRequest =>
                $"{where}: CouchDB rejected the query of view {name} ({said}){(_options.Reduce ? "; reduce = true needs a reduce view such as overview_total" : "")}",
            _ when code is >= 300 and < 400 =>
                $"{where}: CouchDB redirected the query of view {name} ({code}) to {response.Headers.Location}; set demand.url to the final address",
            _ => $"{where}: CouchDB answered the query of view {name} with {said}",
        };
        throw new DemandException(Redact(message, password));
    }

    private T Parse<T>(Func<T> parse, string view, string? password)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw new DemandException(Redact($"picas {_displayUrl}: view {_options.DesignDoc}/{view} did not give token counts: {ex.Message}", password));
        }
    }

    private static bool IsMissingDatabase(string reason) =>
        reason.Contains("Database does not exist", StringComparison.OrdinalIgnoreCase)
        || reason.Equals("no_db_file", StringComparison.OrdinalIgnoreCase);

    private static (string Error, string Reason) CouchError(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                var error = json.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
                var reason = json.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
                return (Clip(error), Clip(reason));
            }
        }
        catch (JsonException)
        {
        }

        return ("", Clip(body.ReplaceLineEndings(" ").Trim()));
    }

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private static string Redact(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, "***", StringComparison.Ordinal);
}
