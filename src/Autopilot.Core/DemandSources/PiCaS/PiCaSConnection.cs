using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Autopilot.Configuration;
using Microsoft.Extensions.Logging;

namespace Autopilot.DemandSources.PiCaS;

/// <summary>One CouchDB answer: status, body and (for a redirect) where to.</summary>
internal sealed record CouchAnswer(HttpStatusCode Status, string Body, Uri? Location)
{
    public bool Ok => (int)Status is >= 200 and < 300;
}

/// <summary>
/// A pool's PiCaS database as its demand settings name it: the checked address, the login and
/// CouchDB's error answers turned into messages that name the setting to fix. Shared by the demand
/// source and the stale-lock reset. The password is read per session and redacted from every message.
/// </summary>
internal sealed class PiCaSConnection
{
    private const int MaxBodyBytes = 16 * 1024 * 1024;

    private readonly string _baseUrl;

    public PiCaSConnection(PiCaSOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Logger = logger;

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
        DisplayUrl = root + "/" + options.Database;

        if (!options.TlsVerify)
        {
            Logger.LogWarning(
                "picas {Url}: TLS certificate verification is off (tls_verify = false); anyone between here and the server can read the password",
                DisplayUrl);
        }
    }

    public PiCaSOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>The database's address for messages: no credentials, not escaped.</summary>
    public string DisplayUrl { get; }

    /// <summary>One HTTP client and the password for one operation (a measurement, a reset pass), bounded by demand.timeout.</summary>
    public Session Open(TimeProvider time, CancellationToken cancellationToken) => new(this, ReadPassword(), time, cancellationToken);

    private string? ReadPassword()
    {
        string? password;
        try
        {
            password = Secrets.Read(Options.PasswordFile, Options.PasswordEnv, "picas demand password");
        }
        catch (SecretException ex)
        {
            throw new DemandException($"picas {DisplayUrl}: {ex.Message}", ex);
        }

        if (!string.IsNullOrEmpty(Options.User) && password is null)
        {
            throw new DemandException(
                $"picas {DisplayUrl}: demand.user is '{Options.User}' but neither demand.password_file nor demand.password_env is set");
        }

        return password;
    }

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = Options.Timeout,
            // A redirect could carry the request (and our Authorization header) elsewhere.
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.Zero,
        };
        if (!Options.TlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }

        return handler;
    }

    /// <summary>One operation's HTTP client, password and time limit.</summary>
    public sealed class Session : IDisposable
    {
        private readonly PiCaSConnection _connection;
        private readonly string? _password;
        private readonly CancellationToken _caller;
        private readonly CancellationTokenSource _timeout;
        private readonly CancellationTokenSource _linked;
        private readonly SocketsHttpHandler _handler;
        private readonly HttpClient _http;

        internal Session(PiCaSConnection connection, string? password, TimeProvider time, CancellationToken cancellationToken)
        {
            _connection = connection;
            _password = password;
            _caller = cancellationToken;
            _timeout = new CancellationTokenSource(connection.Options.Timeout, time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timeout.Token);
            _handler = connection.CreateHandler();
            _http = new HttpClient(_handler, disposeHandler: false)
            {
                // Our own token enforces the time limit, so the message can say which one fired.
                Timeout = Timeout.InfiniteTimeSpan,
                MaxResponseContentBufferSize = MaxBodyBytes,
            };
        }

        /// <summary>
        /// Sends one request to <c>&lt;url&gt;/&lt;database&gt;/<paramref name="path"/></c> (path already escaped) and returns
        /// CouchDB's status and body. Unreachable or too slow is a <see cref="DemandException"/>; an error status is the caller's to judge.
        /// </summary>
        public async Task<CouchAnswer> SendAsync(HttpMethod method, string path, string? jsonBody = null)
        {
            var o = _connection.Options;
            using var request = new HttpRequestMessage(method, $"{_connection._baseUrl}/{path}");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (jsonBody is not null)
            {
                request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
            }

            if (!string.IsNullOrEmpty(o.User))
            {
                var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{o.User}:{_password}"));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
            }

            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, _linked.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(_linked.Token).ConfigureAwait(false);
                return new CouchAnswer(response.StatusCode, body, response.Headers.Location);
            }
            catch (OperationCanceledException) when (_timeout.IsCancellationRequested && !_caller.IsCancellationRequested)
            {
                throw new DemandException(
                    $"picas {_connection.DisplayUrl}: CouchDB did not answer within {o.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (demand.timeout)");
            }
            catch (HttpRequestException ex)
            {
                var detail = ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;
                throw new DemandException(Redact($"picas {_connection.DisplayUrl}: cannot reach CouchDB: {detail}"));
            }
        }

        /// <summary>Reads a view: <c>_design/&lt;design_doc&gt;/_view/&lt;view&gt;?query</c>; an error answer is a <see cref="DemandException"/> naming the setting to fix.</summary>
        public async Task<string> GetViewAsync(string view, string query)
        {
            var o = _connection.Options;
            _connection.Logger.LogDebug("picas: GET {Url}/_design/{DesignDoc}/_view/{View}?{Query}", _connection.DisplayUrl, o.DesignDoc, view, query);
            var answer = await SendAsync(HttpMethod.Get, $"_design/{Uri.EscapeDataString(o.DesignDoc)}/_view/{Uri.EscapeDataString(view)}?{query}").ConfigureAwait(false);
            if (answer.Ok)
            {
                return answer.Body;
            }

            throw Failure(answer, $"the query of view {o.DesignDoc}/{view}");
        }

        /// <summary>CouchDB's error answer as a message naming the setting to fix.</summary>
        public DemandException Failure(CouchAnswer answer, string what)
        {
            var o = _connection.Options;
            var status = answer.Status;
            var code = (int)status;
            var (error, reason) = CouchError(answer.Body);
            var said = reason.Length > 0 ? $"{code} {error}: {reason}" : $"{code} {error}";
            var where = $"picas {_connection.DisplayUrl}";
            var message = status switch
            {
                HttpStatusCode.Unauthorized when string.IsNullOrEmpty(o.User) =>
                    $"{where}: CouchDB wants a login ({said}); set demand.user and demand.password_file",
                HttpStatusCode.Unauthorized =>
                    $"{where}: CouchDB refused the login of user '{o.User}' ({said}); check demand.user and the password",
                HttpStatusCode.Forbidden =>
                    $"{where}: user '{o.User}' may not {(what.StartsWith("the query", StringComparison.Ordinal) ? "read" : "write to")} database '{o.Database}' ({said})",
                HttpStatusCode.NotFound when IsMissingDatabase(reason) =>
                    $"{where}: database '{o.Database}' does not exist ({said})",
                HttpStatusCode.NotFound when reason is "missing" or "deleted" && what.StartsWith("the query", StringComparison.Ordinal) =>
                    $"{where}: design document _design/{o.DesignDoc} not found in database '{o.Database}' ({said}); create the PiCaS views or set demand.design_doc",
                HttpStatusCode.NotFound when what.StartsWith("the query", StringComparison.Ordinal) =>
                    $"{where}: view {what["the query of view ".Length..]} not found ({said}); check demand.view / demand.locked_view",
                HttpStatusCode.BadRequest when what.StartsWith("the query", StringComparison.Ordinal) =>
                    $"{where}: CouchDB rejected {what} ({said}){(o.Reduce ? "; reduce = true needs a reduce view such as overview_total" : "")}",
                _ when code is >= 300 and < 400 =>
                    $"{where}: CouchDB redirected {what} ({code}) to {answer.Location}; set demand.url to the final address",
                _ => $"{where}: CouchDB answered {what} with {said}",
            };
            return new DemandException(Redact(message));
        }

        public string Redact(string message) =>
            string.IsNullOrEmpty(_password) ? message : message.Replace(_password, "***", StringComparison.Ordinal);

        public void Dispose()
        {
            _http.Dispose();
            _handler.Dispose();
            _linked.Dispose();
            _timeout.Dispose();
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
    }
}
