using System.Diagnostics;
using System.Text;
using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

/// <summary>Hardening problems 12, 14 and 18: what the configuration file itself may be.</summary>
public sealed class ConfigFileHardeningTests
{
    // Each case must end well within this; before the fix /dev/zero ran out of memory and a FIFO blocked for ever.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static Task<LoadedConfig> LoadBounded(string path) =>
        Task.Run(() => ConfigTestSupport.Load(path, cwd: "/")).WaitAsync(Bound);

    [Fact]
    public void Non_utf8_bytes_are_rejected_with_file_line_and_column()
    {
        // Problem 12: "caf\xe9" used to be read as "caf\uFFFD" without a word.
        var path = Path.Combine(ConfigTestSupport.TempDir(), "autopilot.toml");
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes("[[pool]]\nname = \"caf").Concat(new byte[] { 0xE9, (byte)'"', (byte)'\n' }).ToArray());

        var config = ConfigTestSupport.Load(path);

        var error = Assert.Single(config.Errors);
        Assert.Equal($"{path}:2:12: invalid UTF-8 (byte 0xE9): the configuration must be UTF-8 text", error.ToString());
        Assert.Empty(config.Options.Pools);
    }

    [Theory]
    [InlineData("/dev/zero", "a character device")]
    [InlineData("/dev/urandom", "a character device")]
    public async Task A_device_is_refused_at_once(string device, string kind)
    {
        // Problem 14: -c /dev/zero and /dev/urandom died with OutOfMemoryException.
        var config = await LoadBounded(device);

        var error = Assert.Single(config.Errors);
        Assert.Equal($"{device}: cannot read: {device} is {kind}, not a regular file (at most 1 MiB)", error.ToString());
    }

    [Fact]
    public async Task A_fifo_is_refused_without_waiting_for_a_writer()
    {
        // Problem 14: -c fifo hung for ever.
        var path = Path.Combine(ConfigTestSupport.TempDir(), "autopilot.toml");
        using (var mkfifo = Process.Start("mkfifo", [path]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var config = await LoadBounded(path);

        Assert.Equal($"{path}: cannot read: {path} is a FIFO (named pipe), not a regular file (at most 1 MiB)", Assert.Single(config.Errors).ToString());
    }

    [Fact]
    public async Task A_file_over_one_mebibyte_is_refused_and_one_at_the_limit_is_read()
    {
        // Problem 14: only regular files, at most 1 MiB, and the error says so.
        var dir = ConfigTestSupport.TempDir();
        var line = "# " + new string('x', 1021) + "\n";
        var atLimit = Path.Combine(dir, "limit.toml");
        await File.WriteAllTextAsync(atLimit, string.Concat(Enumerable.Repeat(line, 1024)));
        var over = Path.Combine(dir, "over.toml");
        await File.WriteAllTextAsync(over, string.Concat(Enumerable.Repeat(line, 1024)) + "\n");
        Assert.Equal(RegularFile.MaxConfigBytes, new FileInfo(atLimit).Length);

        Assert.Empty((await LoadBounded(atLimit)).Errors);
        var error = Assert.Single((await LoadBounded(over)).Errors);
        Assert.Equal($"{over}: cannot read: {over} is larger than 1 MiB (1048577 bytes); a configuration file may be at most 1 MiB", error.ToString());
    }

    [Fact]
    public void A_folder_given_as_the_configuration_is_reported_as_a_folder()
    {
        // Problem 18: it said "does not exist".
        var dir = ConfigTestSupport.TempDir();

        var config = ConfigTestSupport.Load(dir);

        Assert.Equal($"--config: configuration file {dir} is a folder, not a file", Assert.Single(config.Errors).ToString());
    }

    [Fact]
    public void A_folder_named_by_AUTOPILOT_CONFIG_is_reported_as_a_folder()
    {
        var dir = ConfigTestSupport.TempDir();

        var config = ConfigLoader.Load(new ConfigRequest
        {
            Environment = new Dictionary<string, string> { ["AUTOPILOT_CONFIG"] = dir, ["HOME"] = "/nonexistent-home" },
            WorkingDirectory = "/",
        });

        Assert.Equal($"env AUTOPILOT_CONFIG: configuration file {dir} is a folder, not a file", Assert.Single(config.Errors).ToString());
    }
}
