using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Autopilot.Tests.Monitoring;

/// <summary>A webhook receiver on 127.0.0.1 (ours, real HTTP): records each POST and answers as told.</summary>
internal sealed class LocalWebhook : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<int, HttpStatusCode?> _answer;
    private readonly Task _loop;
    private int _count;

    /// <param name="answer">Status for the n-th request (0-based); null: never answer.</param>
    public LocalWebhook(Func<int, HttpStatusCode?>? answer = null)
    {
        _answer = answer ?? (_ => HttpStatusCode.OK);
        Port = FreePort();
        Url = $"http://127.0.0.1:{Port}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url { get; }

    public ConcurrentQueue<(string Body, string? Authorization, string? ContentType)> Received { get; } = new();

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
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

            using (var reader = new StreamReader(context.Request.InputStream))
            {
                Received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers["Authorization"], context.Request.ContentType));
            }

            if (_answer(Interlocked.Increment(ref _count) - 1) is { } status)
            {
                context.Response.StatusCode = (int)status;
                context.Response.Close();
            }
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
