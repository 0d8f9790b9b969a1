using System.Net.Sockets;
using System.Text;
using Autopilot.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace Autopilot.Tests.Hosting;

/// <summary>sd_notify through Microsoft.Extensions.Hosting.Systemd's notifier, on a real datagram socket.</summary>
[Collection(NotifySocket.Collection)]
public sealed class ServiceNotifierTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sends_each_notification_as_one_datagram(bool abstractName)
    {
        var name = $"autopilot-test-{Guid.NewGuid():N}";
        var path = abstractName ? "\0" + name : Path.Combine(Path.GetTempPath(), name + ".sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(path));
        receiver.ReceiveTimeout = 2000;
        try
        {
            var notifier = NotifySocket.Notifier(abstractName ? "@" + name : path);
            Assert.True(notifier.IsEnabled);
            notifier.Ready();
            notifier.Status("main: demand 3\nsecond line");
            notifier.Watchdog();
            notifier.Notify(ServiceState.Stopping);

            Assert.Equal("READY=1", Receive(receiver));
            Assert.Equal("STATUS=main: demand 3 second line", Receive(receiver));
            Assert.Equal("WATCHDOG=1", Receive(receiver));
            Assert.Equal("STOPPING=1", Receive(receiver));
        }
        finally
        {
            if (!abstractName)
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public void Nothing_is_sent_after_STOPPING()
    {
        var path = Path.Combine(Path.GetTempPath(), $"autopilot-test-{Guid.NewGuid():N}.sock");
        using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        receiver.Bind(new UnixDomainSocketEndPoint(path));
        receiver.ReceiveTimeout = 2000;
        try
        {
            var notifier = NotifySocket.Notifier(path);
            notifier.Notify(ServiceState.Stopping);
            notifier.Status("late");
            notifier.Watchdog();

            Assert.Equal("STOPPING=1", Receive(receiver));
            Thread.Sleep(100);
            Assert.Equal(0, receiver.Available);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Without_a_socket_it_does_nothing()
    {
        var notifier = NotifySocket.Notifier(null);
        Assert.False(notifier.IsEnabled);
        notifier.Ready();
    }

    [Fact]
    public void A_vanished_socket_does_not_throw()
    {
        var notifier = NotifySocket.Notifier(Path.Combine(Path.GetTempPath(), $"gone-{Guid.NewGuid():N}.sock"));
        notifier.Status("still here");
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        var n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}

/// <summary>
/// SystemdNotifier reads $NOTIFY_SOCKET when it is made: tests that set the variable to make one run
/// in this collection, one at a time.
/// </summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class NotifySocket
{
    public const string Collection = "NOTIFY_SOCKET";

    private static readonly Lock Gate = new();

    public static ServiceNotifier Notifier(string? socketPath)
    {
        lock (Gate)
        {
            var saved = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", socketPath);
            try
            {
                return new ServiceNotifier(new SystemdNotifier());
            }
            finally
            {
                Environment.SetEnvironmentVariable("NOTIFY_SOCKET", saved);
            }
        }
    }
}
