using Autopilot.Configuration;

namespace Autopilot.Tests.Configuration;

/// <summary>[pool.scheduler.ssh], scheduler.clusters and max_parallel_reads (docs/remote-clusters.md).</summary>
public sealed class RemoteConfigTests
{
    private static string Pool(string scheduler, string ssh = "") => $"""
        state_dir = "/tmp/x"
        max_parallel_reads = 8
        [[pool]]
        name = "p"
        [pool.demand]
        path = "/tmp/tasks.db"
        [pool.scheduler]
        {scheduler}
        {ssh}

        """;

    [Fact]
    public void Ssh_settings_bind_and_print_back()
    {
        var path = ConfigTestSupport.WriteConfig(Pool("kind = \"slurm\"\nclusters = \"c2\"\nbin_dir = \"/opt/slurm/bin\"", """
            [pool.scheduler.ssh]
            host = "login1.example.org"
            user = "svc"
            port = 2222
            identity_file = "/etc/autopilot/id_ed25519"
            known_hosts = "/etc/autopilot/known_hosts"
            control_persist = "30m"
            command_timeout = "20s"
            remote_dir = "/scratch/svc/autopilot"
            """));

        var config = ConfigTestSupport.Load(path);

        Assert.Empty(config.Errors);
        Assert.Equal(8, config.Options.MaxParallelReads);
        var scheduler = config.Options.Pools[0].Scheduler;
        Assert.Equal("c2", scheduler.Clusters);
        Assert.Equal("/opt/slurm/bin", scheduler.BinDir);
        Assert.Equal(new SshOptions
        {
            Host = "login1.example.org",
            User = "svc",
            Port = 2222,
            IdentityFile = "/etc/autopilot/id_ed25519",
            KnownHosts = "/etc/autopilot/known_hosts",
            ControlPersist = TimeSpan.FromMinutes(30),
            CommandTimeout = TimeSpan.FromSeconds(20),
            RemoteDir = "/scratch/svc/autopilot",
        }, scheduler.Ssh);
        Assert.Equal("c2@login1.example.org", scheduler.ClusterLabel);

        var again = ConfigTestSupport.Load(ConfigTestSupport.WriteConfig(ConfigDump.ToToml(config.Options)));
        Assert.Empty(again.Errors);
        Assert.Equal(scheduler.Ssh, again.Options.Pools[0].Scheduler.Ssh);
        Assert.Equal("c2", again.Options.Pools[0].Scheduler.Clusters);
        Assert.Equal(8, again.Options.MaxParallelReads);
    }

    [Fact]
    public void Defaults_keep_one_master_connection_for_ten_minutes_and_read_four_schedulers_at_once()
    {
        var config = ConfigTestSupport.Load(ConfigTestSupport.WriteConfig("[[pool]]\nname = \"p\"\n[pool.demand]\npath = \"/tmp/t.db\"\n[pool.scheduler]\nkind = \"sge\"\n[pool.scheduler.ssh]\nhost = \"h\"\nuser = \"u\"\n"));

        Assert.Empty(config.Errors);
        Assert.Equal(4, config.Options.MaxParallelReads);
        var ssh = config.Options.Pools[0].Scheduler.Ssh!;
        Assert.Equal(TimeSpan.FromMinutes(10), ssh.ControlPersist);
        Assert.Null(ssh.CommandTimeout);
        Assert.Equal(".autopilot", ssh.RemoteDir);
        Assert.Equal("h", config.Options.Pools[0].Scheduler.ClusterLabel);
    }

    [Theory]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nuser = \"svc\"", "pool:0:scheduler:ssh", "needs a host")]
    [InlineData("kind = \"sge\"", "[pool.scheduler.ssh]\nhost = \"h\"\nport = 22", "pool:0:scheduler:ssh", "needs a user")]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nhost = \"-oProxyCommand=sh\"", "pool:0:scheduler:ssh:host", "not starting with '-'")]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nhost = \"a b\"", "pool:0:scheduler:ssh:host", "safely")]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nhost = \"h\"\nuser = \"-l\"", "pool:0:scheduler:ssh:user", "safely")]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nhost = \"h\"\nport = 70000", "pool:0:scheduler:ssh:port", "")]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nhost = \"h\"\nstrict_host_key_checking = false", "pool:0:scheduler:ssh:strict_host_key_checking", "always checked")]
    [InlineData("kind = \"slurm\"", "[pool.scheduler.ssh]\nhost = \"h\"\nremote_dir = \"logs%j\"", "pool:0:scheduler:ssh:remote_dir", "'%'")]
    [InlineData("kind = \"local\"", "[pool.scheduler.ssh]\nhost = \"h\"", "pool:0:scheduler:ssh", "a local pool runs its pilots on this machine")]
    [InlineData("kind = \"slurm\"\nbin_dir = \"bin\"", "[pool.scheduler.ssh]\nhost = \"h\"", "pool:0:scheduler:bin_dir", "must be absolute")]
    [InlineData("kind = \"sge\"\nclusters = \"c2\"", "", "pool:0:scheduler:clusters", "only Slurm pools name a cluster")]
    [InlineData("kind = \"slurm\"\nclusters = \"a,b\"", "", "pool:0:scheduler:clusters", "one cluster per pool")]
    public void Bad_remote_settings_name_the_key(string scheduler, string ssh, string key, string message)
    {
        // Every case names a user unless the missing user is the point.
        if (!message.Contains("needs a user", StringComparison.Ordinal) && ssh.Contains("host =", StringComparison.Ordinal) && !ssh.Contains("user =", StringComparison.Ordinal))
        {
            ssh += "\nuser = \"u\"";
        }

        var config = ConfigTestSupport.Load(ConfigTestSupport.WriteConfig(Pool(scheduler, ssh)));

        var error = Assert.Single(config.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
