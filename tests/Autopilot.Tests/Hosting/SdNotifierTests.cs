using System.Net.Sockets;
using System.Text;
using Autopilot.Hosting;

namespace Autopilot.Tests.Hosting;

public sealed class SdNotifierTests
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
            using var notifier = new SdNotifier(abstractName ? "@" + name : path);
            Assert.True(notifier.Enabled);
            notifier.Ready();
            notifier.Status("main: demand 3\nsecond line");
            notifier.Watchdog();
            notifier.Stopping();

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
    public void Without_a_socket_it_does_nothing()
    {
        using var notifier = new SdNotifier(null);
        Assert.False(notifier.Enabled);
        notifier.Ready();
    }

    [Fact]
    public void A_vanished_socket_does_not_throw()
    {
        using var notifier = new SdNotifier(Path.Combine(Path.GetTempPath(), $"gone-{Guid.NewGuid():N}.sock"));
        notifier.Status("still here");
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        var n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
