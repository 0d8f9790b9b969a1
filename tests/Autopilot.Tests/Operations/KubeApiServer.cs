using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Autopilot.Tests.Operations;

/// <summary>
/// A small Kubernetes API server for kubectl-exec, speaking the two calls it makes as the API
/// documentation describes them, over plain HTTP on 127.0.0.1:
/// <list type="bullet">
/// <item>GET /api/v1/namespaces/{ns}/pods?labelSelector=k=v[,k2=v2]: a PodList of the pods whose labels match;</item>
/// <item>GET /api/v1/namespaces/{ns}/pods/{pod}/exec?command=..&amp;container=..&amp;stdin=..&amp;stdout=..&amp;stderr=..&amp;tty=..
/// upgraded to a WebSocket with subprotocol v5.channel.k8s.io or v4.channel.k8s.io: each binary
/// message is one channel byte (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize; v5 also 255 =
/// close the channel in the next byte) and the data. The "container" is a real local process of
/// the command; its exit gives the status frame (Success, or Failure/NonZeroExitCode with the code).</item>
/// </list>
/// </summary>
public sealed class KubeApiServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public KubeApiServer(IReadOnlyList<JsonObject> pods, bool v5 = true)
    {
        Pods = pods;
        V5 = v5;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public IReadOnlyList<JsonObject> Pods { get; set; }

    /// <summary>Whether v5.channel.k8s.io is offered (Kubernetes 1.30+); v4 otherwise.</summary>
    public bool V5 { get; }

    /// <summary>Every request as "METHOD path?query".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The subprotocol of each exec, and each resize message received.</summary>
    public ConcurrentQueue<string> Protocols { get; } = new();

    public ConcurrentQueue<string> Resizes { get; } = new();

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The bearer token the kubeconfig carries; a request without it gets 401.</summary>
    public string Token { get; } = Guid.NewGuid().ToString("N");

    /// <summary>A kubeconfig file pointing at this server, with <paramref name="ns"/> as the context's namespace.</summary>
    public string WriteKubeconfig(string path, string ns = "default")
    {
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster:
                server: {Url}
            contexts:
            - name: test
              context:
                cluster: test
                user: test
                namespace: {ns}
            current-context: test
            users:
            - name: test
              user:
                token: {Token}
            """);
        return path;
    }

    public static JsonObject Pod(string name, string phase, Dictionary<string, string> labels, bool deleting = false, params string[] containers)
    {
        var metadata = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "pipelines",
            ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
        };
        if (deleting)
        {
            metadata["deletionTimestamp"] = "2026-03-01T10:00:00Z";
        }

        return new JsonObject
        {
            ["metadata"] = metadata,
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(containers.Select(c => (JsonNode?)new JsonObject { ["name"] = c }).ToArray()) },
            ["status"] = new JsonObject { ["phase"] = phase },
        };
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        Requests.Enqueue($"{request.HttpMethod} {path}{request.Url.Query}");
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            // api v1 namespaces {ns} pods [{pod} exec]
            if (request.Headers["Authorization"] != $"Bearer {Token}")
            {
                await RespondAsync(context.Response, 401, Status("Failure", "Unauthorized", "Unauthorized", 401));
            }
            else if (parts is ["api", "v1", "namespaces", var ns, "pods"] && request.HttpMethod == "GET")
            {
                await ListPodsAsync(context, ns, request.QueryString["labelSelector"]);
            }
            else if (parts is ["api", "v1", "namespaces", _, "pods", _, "exec"] && request.IsWebSocketRequest)
            {
                await ExecAsync(context);
            }
            else
            {
                await RespondAsync(context.Response, 404, Status("Failure", $"the server could not find the requested resource ({path})", "NotFound", 404));
            }
        }
        catch (Exception ex) when (ex is IOException or WebSocketException or HttpListenerException or ObjectDisposedException)
        {
            // The client went away.
        }
    }

    private async Task ListPodsAsync(HttpListenerContext context, string ns, string? selector)
    {
        var wanted = (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(term => term.Split('=', 2))
            .ToList();
        var items = Pods
            .Where(p => p["metadata"]!["namespace"]!.GetValue<string>() == ns)
            .Where(p => wanted.All(w => w.Length == 2 && p["metadata"]!["labels"]?[w[0]]?.GetValue<string>() == w[1]))
            .Select(p => p.DeepClone())
            .ToArray();
        var list = new JsonObject
        {
            ["kind"] = "PodList",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = "1" },
            ["items"] = new JsonArray(items),
        };
        await RespondAsync(context.Response, 200, list);
    }

    private async Task ExecAsync(HttpListenerContext context)
    {
        var offered = (context.Request.Headers["Sec-WebSocket-Protocol"] ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var protocol = offered.FirstOrDefault(p => p == "v5.channel.k8s.io" && V5) ?? offered.FirstOrDefault(p => p == "v4.channel.k8s.io");
        if (protocol is null)
        {
            await RespondAsync(context.Response, 400, Status("Failure", "no supported subprotocol offered", "BadRequest", 400));
            return;
        }

        Protocols.Enqueue(protocol);
        var query = context.Request.QueryString;
        var command = query.GetValues("command") ?? [];
        // Query booleans as the API parses them: true/1 (the client library sends 1 and 0).
        var tty = query["tty"] is "true" or "1";
        var withStderr = query["stderr"] is "true" or "1";
        var socketContext = await context.AcceptWebSocketAsync(protocol);
        using var socket = socketContext.WebSocket;
        var send = new SemaphoreSlim(1);

        async Task SendAsync(byte channel, ReadOnlyMemory<byte> data)
        {
            var frame = new byte[data.Length + 1];
            frame[0] = channel;
            data.CopyTo(frame.AsMemory(1));
            await send.WaitAsync();
            try
            {
                await socket.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
            }
            finally
            {
                send.Release();
            }
        }

        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in command.Skip(1))
        {
            psi.ArgumentList.Add(word);
        }

        using var process = Process.Start(psi)!;
        async Task PumpAsync(Stream from, byte channel)
        {
            var buffer = new byte[4096];
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
            {
                await SendAsync(channel, buffer.AsMemory(0, n));
            }
        }

        // With a terminal there is one output stream, as the API does it.
        var outPump = PumpAsync(process.StandardOutput.BaseStream, 1);
        var errPump = PumpAsync(process.StandardError.BaseStream, (byte)(tty || !withStderr ? 1 : 2));
        var receive = Task.Run(async () =>
        {
            var buffer = new byte[65536];
            try
            {
                // Also after our close frame (CloseSent): what the client sent before it is still read.
                while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
                {
                    var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close || result.Count == 0)
                    {
                        return;
                    }

                    switch (buffer[0])
                    {
                        case 0:
                            await process.StandardInput.BaseStream.WriteAsync(buffer.AsMemory(1, result.Count - 1));
                            await process.StandardInput.BaseStream.FlushAsync();
                            break;
                        case 4:
                            Resizes.Enqueue(Encoding.UTF8.GetString(buffer, 1, result.Count - 1));
                            break;
                        case 255 when protocol == "v5.channel.k8s.io" && result.Count > 1 && buffer[1] == 0:
                            process.StandardInput.Close();
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
            }
        });

        await process.WaitForExitAsync();
        await Task.WhenAll(outPump, errPump);
        var status = process.ExitCode == 0
            ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
            : Status("Failure", $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {process.ExitCode}", "NonZeroExitCode", null,
                new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }) });
        await SendAsync(3, Encoding.UTF8.GetBytes(status.ToJsonString()));
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(5)));
    }

    private static JsonObject Status(string status, string message, string reason, int? code, JsonObject? details = null)
    {
        var json = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = status,
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            json["details"] = details;
        }

        if (code is not null)
        {
            json["code"] = code;
        }

        return json;
    }

    private static async Task RespondAsync(HttpListenerResponse response, int code, JsonNode body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(new JsonSerializerOptions()));
        response.StatusCode = code;
        response.ContentType = "application/json";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
        response.Close();
    }
}
