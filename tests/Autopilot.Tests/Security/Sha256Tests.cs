using System.Text;
using Autopilot.Schedulers;

namespace Autopilot.Tests.Security;

/// <summary>The managed SHA-256 gives the runtime's (OpenSSL) digest, so pilot markers stay the same.</summary>
public sealed class Sha256Tests
{
    [Fact]
    public void Every_length_across_the_block_boundaries_hashes_as_the_runtime_does()
    {
        var random = new Random(15);
        for (var length = 0; length <= 300; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(data), Autopilot.Security.Sha256.HashData(data));
        }
    }

    [Fact]
    public void The_FIPS_examples_and_a_known_marker()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(Autopilot.Security.Sha256.HashData("abc"u8)));
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", Convert.ToHexStringLower(Autopilot.Security.Sha256.HashData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8)));
        // The marker of a state folder as the OpenSSL-based version of PilotMarker made it.
        var expected = "autopilot-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("/var/lib/autopilot")))[..12];
        Assert.Equal(expected, PilotMarker.For("/var/lib/autopilot"));
    }
}
