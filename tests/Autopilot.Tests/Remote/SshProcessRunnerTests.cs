using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Remote;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Slurm;
using Microsoft.Extensions.Logging.Abstractions;

namespace Autopilot.Tests.Remote;

/// <summary>The ssh command line, the failure messages, Slurm's -M, and the runner the factory picks.</summary>
public sealed class SshProcessRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-ssh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SshOptions Options => new()
    {
        Host = "login1.example.org",
        User = "svc",
        Port = 2222,
        IdentityFile = "/etc/autopilot/id_ed25519",
        KnownHosts = "/etc/autopilot/known hosts",
        ControlPersist = TimeSpan.FromMinutes(10),
    };

    [Fact]
    public void The_ssh_command_checks_the_host_key_strictly_never_prompts_and_shares_one_master_in_the_state_folder()
    {
        var runner = new SshProcessRunner(new ProcessRunner(), Options, _dir);

        var args = runner.SshArguments(TimeSpan.FromSeconds(20));

        Assert.Equal(["login1.example.org", "--"], args.TakeLast(2));
        var options = Pairs(args, "-o");
        Assert.Equal("yes", options["BatchMode"]);
        Assert.Equal("yes", options["StrictHostKeyChecking"]);
        Assert.Equal("\"/etc/autopilot/known hosts\"", options["UserKnownHostsFile"]);
        Assert.Equal("/dev/null", options["GlobalKnownHostsFile"]);
        Assert.Equal("/etc/autopilot/id_ed25519", options["IdentityFile"]);
        Assert.Equal("yes", options["IdentitiesOnly"]);
        Assert.Equal("auto", options["ControlMaster"]);
        Assert.Equal("600", options["ControlPersist"]);
        Assert.Equal("20", options["ConnectTimeout"]);
        Assert.StartsWith(Path.Combine(_dir, "ssh") + "/", options["ControlPath"]);
        Assert.Equal("2222", Pairs(args, "-p")["2222"]);
        Assert.Contains("-l", args);
        Assert.Contains("svc", args);
    }

    [Fact]
    public void Without_control_persist_every_command_has_its_own_connection()
    {
        var runner = new SshProcessRunner(new ProcessRunner(), Options with { ControlPersist = TimeSpan.Zero }, _dir);

        var options = Pairs(runner.SshArguments(TimeSpan.FromSeconds(5)), "-o");

        Assert.Equal("no", options["ControlMaster"]);
        Assert.Equal("none", options["ControlPath"]);
    }

    [Fact]
    public void A_state_folder_too_long_for_a_control_socket_is_refused_with_the_way_out()
    {
        var deep = "/" + string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", 4));

        var ex = Assert.Throws<ArgumentException>(() => new SshProcessRunner(new ProcessRunner(), Options, deep));

        Assert.Contains("control socket", ex.Message);
        Assert.Contains("control_persist = 0", ex.Message);
    }

    [Fact]
    public async Task Ssh_that_cannot_connect_is_a_failure_naming_the_host_and_sshs_own_words()
    {
        // A port nothing listens on: the real ssh client fails with 255 and says why.
        var port = FreePort();
        var runner = new SshProcessRunner(new ProcessRunner(), new SshOptions { Host = "127.0.0.1", Port = port, ControlPersist = TimeSpan.Zero, KnownHosts = Path.Combine(_dir, "kh") }, _dir);

        var result = await runner.RunAsync(new ProcessSpec("squeue", ["--me"], Timeout: TimeSpan.FromSeconds(10)), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(SshProcessRunner.SshFailed, result.ExitCode);
        Assert.Equal("squeue", result.Spec.FileName);
        Assert.Contains($"ssh to 127.0.0.1:{port} failed", result.Describe());
        Assert.Contains("Connection refused", result.Describe());
    }

    [Fact]
    public void Slurm_commands_get_the_cluster_first_so_it_never_lands_after_the_script()
    {
        var request = new SubmitRequest("p", "ap-p", "/state/scripts/p.sh", 2, new SchedulerOptions { Kind = "slurm" }, "/state/pilots/p");
        var sbatch = new ProcessSpec("/opt/slurm/bin/sbatch", SlurmScheduler.SubmitArguments(request, 2));

        var args = SlurmClusterRunner.WithCluster(sbatch, "cluster2").Arguments;

        Assert.Equal(["-M", "cluster2", "--parsable"], args.Take(3));
        Assert.Equal("/state/scripts/p.sh", args[^1]);
        foreach (var command in new[] { "squeue", "scancel", "sacct", "scontrol" })
        {
            Assert.Equal(["-M", "cluster2", "x"], SlurmClusterRunner.WithCluster(new ProcessSpec(command, "x"), "cluster2").Arguments);
        }

        Assert.Equal(["x"], SlurmClusterRunner.WithCluster(new ProcessSpec("qstat", "x"), "cluster2").Arguments);
    }

    [Fact]
    public async Task The_factory_gives_a_pool_with_clusters_a_runner_that_names_it_on_every_slurm_command()
    {
        var seen = new List<ProcessSpec>();
        var recorder = new Recorder(seen, "CLUSTER: c2\n");
        var scheduler = SchedulerFactory.Create(new SchedulerOptions { Kind = "slurm", Clusters = "c2" }, recorder, _dir, NullLoggerFactory.Instance, TimeProvider.System);

        await scheduler.ListAsync(new PilotQuery(["ap-p"]), CancellationToken.None);
        await scheduler.CancelAsync(["12"], CancellationToken.None);

        Assert.All(seen, s => Assert.Equal(["-M", "c2"], s.Arguments.Take(2)));
        Assert.Equal(["squeue", "scancel"], seen.Select(s => s.FileName));
    }

    [Fact]
    public void Pools_share_a_listing_only_on_the_same_host_and_cluster()
    {
        var a = new SchedulerOptions { Kind = "slurm", Ssh = Options };
        Assert.True(RemoteRunners.SameScheduler(a, a with { Ssh = Options }));
        Assert.False(RemoteRunners.SameScheduler(a, a with { Ssh = Options with { Host = "login2" } }));
        Assert.False(RemoteRunners.SameScheduler(a, a with { Ssh = null }));
        Assert.False(RemoteRunners.SameScheduler(a, a with { Clusters = "c2" }));
    }

    private static Dictionary<string, string> Pairs(IReadOnlyList<string> args, string flag)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == flag)
            {
                var value = args[i + 1];
                var eq = value.IndexOf('=', StringComparison.Ordinal);
                result[eq < 0 ? value : value[..eq]] = eq < 0 ? value : value[(eq + 1)..];
            }
        }

        return result;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Recorder(List<ProcessSpec> seen, string stdout) : IProcessRunner
    {
        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            seen.Add(spec);
            return Task.FromResult(new ProcessResult(spec, 0, stdout, "", TimeSpan.Zero, false, false));
        }
    }
}
