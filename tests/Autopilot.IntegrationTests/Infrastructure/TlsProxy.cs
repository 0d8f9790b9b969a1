using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Autopilot.IntegrationTests.Infrastructure;

/// <summary>
/// HTTPS in front of a real plain-HTTP server (the test CouchDB): a TLS listener on 127.0.0.1 with a
/// freshly made self-signed certificate, each connection forwarded byte for byte. No CA knows the
/// certificate, as with a site's self-signed CouchDB.
/// </summary>
public sealed class TlsProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly X509Certificate2 _certificate = SelfSigned();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly string _backendHost;
    private readonly int _backendPort;
    private int _handshakes;

    public TlsProxy(Uri backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backendHost = backend.Host;
        _backendPort = backend.Port;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Url => new($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>TLS handshakes that completed: proof that a request went through TLS.</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _certificate.Dispose();
        _stop.Dispose();
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=autopilot-test-couchdb", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // A certificate with a private key that SslStream can use on Linux: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }

            connections.Add(ServeAsync(client));
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                Interlocked.Increment(ref _handshakes);
                using var backend = new TcpClient();
                await backend.ConnectAsync(_backendHost, _backendPort, _stop.Token);
                var plain = backend.GetStream();
                var up = tls.CopyToAsync(plain, _stop.Token);
                var down = plain.CopyToAsync(tls, _stop.Token);
                await Task.WhenAny(up, down);
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // A client that refuses our certificate closes the connection mid-handshake: expected.
            }
        }
    }
}
