using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Monitoring;

/// <summary>Issue 17: the [alerts] and [metrics] keys, their defaults and their errors.</summary>
public sealed class MonitoringConfigTests
{
    private static Autopilot.Configuration.LoadedConfig Load(string toml) =>
        Autopilot.Configuration.ConfigLoader.Load(new Autopilot.Configuration.ConfigRequest { ConfigPath = ConfigTestSupport.WriteConfig(toml) });

    [Fact]
    public void Defaults_are_off_and_on_loopback()
    {
        var options = Load("").Options;

        Assert.False(options.Alerts.Enabled);
        Assert.False(options.Metrics.Enabled);
        Assert.Equal(("127.0.0.1", 9467), (options.Metrics.Address, options.Metrics.Port));
        Assert.Null(options.Metrics.TextfileDir);
        Assert.Contains("crashloop", options.Alerts.Kinds);
    }

    [Fact]
    public void Every_key_binds()
    {
        var loaded = Load("""
            [alerts]
            command = ["/usr/local/bin/page", "--team", "hpc"]
            webhook = "https://hooks.example.org/autopilot"
            webhook_secret_header = "X-Token"
            webhook_secret_file = "/etc/autopilot/hook.secret"
            timeout = "5s"
            retries = 3
            kinds = ["crashloop", "recovered"]
            pools = ["main"]
            min_interval = "1h"
            [metrics]
            enabled = true
            address = "::1"
            port = 9100
            textfile_dir = "/var/lib/node_exporter/textfile"
            """);

        Assert.Empty(loaded.Errors);
        var a = loaded.Options.Alerts;
        Assert.Equal(["/usr/local/bin/page", "--team", "hpc"], a.Command);
        Assert.Equal(("https://hooks.example.org/autopilot", "X-Token", "/etc/autopilot/hook.secret"), (a.Webhook, a.WebhookSecretHeader, a.WebhookSecretFile));
        Assert.Equal((TimeSpan.FromSeconds(5), 3, TimeSpan.FromHours(1)), (a.Timeout, a.Retries, a.MinInterval));
        Assert.Equal(["crashloop", "recovered"], a.Kinds);
        Assert.Equal(["main"], a.Pools);
        var m = loaded.Options.Metrics;
        Assert.Equal((true, "::1", 9100, "/var/lib/node_exporter/textfile"), (m.Enabled, m.Address, m.Port, m.TextfileDir));
    }

    [Theory]
    [InlineData("[alerts]\nwebhook = \"http://hooks.example.org/x\"", "alerts:webhook", "must be an https:// URL (http:// only to a loopback address)")]
    [InlineData("[alerts]\nwebhook = \"https://user:pw@hooks.example.org/x\"", "alerts:webhook", "must not carry credentials")]
    [InlineData("[alerts]\nkinds = [\"crashloops\"]", "alerts:kinds", "'crashloops' is not an event kind")]
    [InlineData("[alerts]\nkinds = [\"submitted,cancelled\"]", "alerts:kinds", "'submitted,cancelled' is not an event kind")]
    [InlineData("[alerts]\nkinds = [\"3\"]", "alerts:kinds", "'3' is not an event kind")]
    [InlineData("[alerts]\nwebhook_secret_header = \"X Token\"", "alerts:webhook_secret_header", "is not an HTTP header name")]
    [InlineData("[metrics]\naddress = \"example.org\"", "metrics:address", "is not an IP address")]
    [InlineData("[metrics]\nport = 0", "metrics:port", "")]
    public void Bad_values_name_file_line_and_key(string toml, string key, string message)
    {
        var loaded = Load(toml);

        var error = Assert.Single(loaded.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.Contains(":2:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_reports_an_alert_command_it_cannot_run_and_a_secret_file_others_can_read()
    {
        var dir = ConfigTestSupport.TempDir();
        var secret = Path.Combine(dir, "hook.secret");
        File.WriteAllText(secret, "Bearer x\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var path = ConfigTestSupport.WriteConfig($"""
            state_dir = "{dir}/state"
            [alerts]
            command = ["{dir}/no-such-pager", "--now"]
            webhook = "https://hooks.example.org/x"
            webhook_secret_file = "{secret}"
            """);
        var output = new StringWriter();

        var exit = await Autopilot.Cli.CommandCatalog.BuildRoot().Parse(["check", "--config", path, "-q"])
            .InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = new StringWriter() });

        Assert.Equal(2, exit);
        Assert.Contains($"{path}:3:1: alerts:command: alert command '{dir}/no-such-pager' is not an executable file", output.ToString(), StringComparison.Ordinal);
        Assert.Contains($"{path}:5:1: alerts:webhook_secret_file: alerts.webhook_secret_file: {secret} is readable by group or others", output.ToString(), StringComparison.Ordinal);
    }
}
