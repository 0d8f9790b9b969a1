using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Autopilot.IntegrationTests.EndToEnd;
using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;
using Xunit.Abstractions;

namespace Autopilot.IntegrationTests.Remote;

/// <summary>
/// Issue 18, items 1 and 2: pools whose scheduler is reached ONLY through the real OpenSSH server of
/// tests/infra/start-sshd.sh (127.0.0.1:2222), in front of the real Slurm and Grid Engine. `autopilot`
/// runs with a PATH holding nothing but ssh, so no local sbatch/qsub can be used; sshd's session has
/// the scheduler PATH. The "remote" folder is on this machine, so the test can look at what the
/// remote side wrote.
/// </summary>
public sealed class RemoteSchedulerTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Short: the ssh control socket under state_dir must fit a unix socket path.
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-ssh-").FullName;
    private readonly string _prefix = TestServices.UniqueName("apssh");

    private string Config => Path.Combine(_dir, "autopilot.toml");

    private string StateDir => Path.Combine(_dir, "state");

    private string RemoteDir => Path.Combine(_dir, "remote");

    private string LocalBin => Path.Combine(_dir, "bin");

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    private static string SshPort => Env("AUTOPILOT_TEST_SSH_PORT", "2222");

    private static string SshUser => Env("AUTOPILOT_TEST_SSH_USER", "root");

    private static string SshDir => $"/var/lib/autopilot-test/sshd/{SshPort}";

    private static string Identity => Env("AUTOPILOT_TEST_SSH_IDENTITY", SshDir + "/client_ed25519");

    private static string KnownHosts => Env("AUTOPILOT_TEST_SSH_KNOWN_HOSTS", SshDir + "/known_hosts");

    private static string WrongKnownHosts => Env("AUTOPILOT_TEST_SSH_WRONG_KNOWN_HOSTS", SshDir + "/wrong_known_hosts");

    private string Target => $"{SshUser}@127.0.0.1:{SshPort}";

    private const string Canary = "AP_SSH_CANARY";

    private const string CanaryValue = "canary-5f1e0c";

    public Task InitializeAsync()
    {
        Assert.True(File.Exists(Identity), $"no ssh test key at {Identity}: run `sudo bash tests/infra/start-sshd.sh` ({TestServices.StartHint})");
        Directory.CreateDirectory(LocalBin);
        File.CreateSymbolicLink(Path.Combine(LocalBin, "ssh"), "/usr/bin/ssh");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // Only this test's pilots: every job name carries the test's unique prefix.
        foreach (var pool in new[] { "slurm", "sge", "alive", "logs", "killed" })
        {
            await TestServices.RunUncheckedAsync("scancel", ["--name=" + JobName(pool)]);
            foreach (var (id, _) in await GridEngineJobs.ListAsync(JobName(pool)))
            {
                await TestServices.RunUncheckedAsync("qdel", [id.Split('.')[0]], TestServices.SgeEnvironment);
            }
        }

        // The master connections this test's ticks left behind (ControlPersist).
        foreach (var socket in Directory.Exists(Path.Combine(StateDir, "ssh")) ? Directory.GetFiles(Path.Combine(StateDir, "ssh")) : [])
        {
            await TestServices.RunUncheckedAsync("ssh", ["-o", "ControlPath=" + socket, "-O", "exit", "127.0.0.1"]);
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A pilot still writing its log; the temp folder is left for the OS.
        }
    }

    private string JobName(string pool) => $"{_prefix}-{pool}";

    /// <summary>One pool of the generated autopilot.toml.</summary>
    private sealed record RemotePool(string Name, string Kind, PendingTasks Tasks)
    {
        public IReadOnlyList<string> ExtraArgs { get; init; } = [];
        public int SleepSeconds { get; init; } = 300;
        public string? KnownHosts { get; init; }
        public int? Port { get; init; }
        public string CommandTimeout { get; init; } = "20s";
        public string? BinDir { get; init; }
        public string? Clusters { get; init; }
    }

    private void WriteConfig(params RemotePool[] pools)
    {
        var i = CultureInfo.InvariantCulture;
        var text = new StringBuilder($"state_dir = {Q(StateDir)}\njob_prefix = {Q(_prefix)}\n[log]\nfile = false\n");
        foreach (var pool in pools)
        {
            var queue = pool.Kind == "slurm" ? TestServices.SlurmPartition : TestServices.SgeQueue;
            text.Append(i, $"""
                [[pool]]
                name = {Q(pool.Name)}
                template = {Q(EndToEndHarness.Template)}
                [pool.template_vars]
                sleep_seconds = "{pool.SleepSeconds}"
                exit_code = "0"
                [pool.demand]
                {pool.Tasks.Demand.Toml.Trim()}
                [pool.scheduler]
                kind = {Q(pool.Kind)}
                queue = {Q(queue)}
                walltime = "00:30:00"
                drain_lead = "10s"
                extra_args = [{string.Join(", ", pool.ExtraArgs.Select(Q))}]

                """);
            if (pool.BinDir is not null)
            {
                text.Append(i, $"bin_dir = {Q(pool.BinDir)}\n");
            }

            if (pool.Clusters is not null)
            {
                text.Append(i, $"clusters = {Q(pool.Clusters)}\n");
            }

            text.Append(i, $"""
                [pool.scheduler.ssh]
                host = "127.0.0.1"
                port = {pool.Port?.ToString(i) ?? SshPort}
                user = {Q(SshUser)}
                identity_file = {Q(Identity)}
                known_hosts = {Q(pool.KnownHosts ?? KnownHosts)}
                command_timeout = {Q(pool.CommandTimeout)}
                remote_dir = {Q(RemoteDir)}
                [pool.limits]
                max_pilots = 4
                tasks_per_pilot = 10
                max_queued = 4
                max_submit_per_tick = 4
                scale_to_zero_after = "0s"
                [pool.policy]
                scale_in_after = "0s"
                min_pilot_runtime = "1m"
                min_useful_walltime = "30s"

                """);
        }

        File.WriteAllText(Config, text.ToString());
    }

    private static string Q(string value) => EndToEndHarness.Quote(value);

    /// <summary>`autopilot ARGS` with a PATH that has ssh and nothing else: no scheduler command is reachable here.</summary>
    private ProcessSpec Autopilot(params string[] arguments) => new(
        EndToEndHarness.Program,
        [.. arguments, "--config", Config],
        WorkingDirectory: _dir,
        // A canary in autopilot's own environment: the ssh it starts must not inherit it.
        Environment: new Dictionary<string, string?> { ["PATH"] = LocalBin, ["SGE_ROOT"] = null, ["SGE_CELL"] = null, ["SLURM_CONF"] = null, [Canary] = CanaryValue },
        Timeout: TimeSpan.FromSeconds(120));

    private async Task<CliRun> RunAsync(params string[] arguments)
    {
        Assert.False(File.Exists(Path.Combine(LocalBin, "sbatch")) || File.Exists(Path.Combine(LocalBin, "qsub")));
        var result = await TestServices.Runner.RunAsync(Autopilot(arguments), CancellationToken.None);
        Assert.False(result.TimedOut, $"autopilot {string.Join(' ', arguments)} timed out:\n{result.StandardError}");
        var run = new CliRun(arguments, result.ExitCode, result.StandardOutput, result.StandardError);
        output.WriteLine(run.ToString());
        return run;
    }

    private static string PoolLine(CliRun run, string pool) =>
        run.ErrLines.Single(l => l.Contains($"pool {pool}: demand", StringComparison.Ordinal) || l.Contains($"pool {pool}: nothing done", StringComparison.Ordinal));

    private static IReadOnlyList<string> Ids(CliRun run, string pool, string what)
    {
        var line = PoolLine(run, pool);
        var at = line.IndexOf(what, StringComparison.Ordinal);
        if (at < 0)
        {
            return [];
        }

        var open = line.IndexOf('(', at);
        return line[(open + 1)..line.IndexOf(')', open)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private async Task<IReadOnlyList<string>> SqueueAsync(string pool)
    {
        var result = await TestServices.RunAsync("squeue", ["--me", "-h", "-r", "--name=" + JobName(pool), "-o", "%i"]);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task A_slurm_pool_reached_only_over_ssh_scales_out_and_to_zero()
    {
        var tasks = new PendingTasks(_dir, 30);
        WriteConfig(new RemotePool("slurm", "slurm", tasks) { ExtraArgs = EndToEndHarness.StayQueued });

        var burst = await RunAsync("tick", "-v");

        Assert.True(burst.ExitCode == 0, burst.ToString());
        var submitted = Ids(burst, "slurm", ": submitted ");
        Assert.Equal(3, submitted.Count);
        Assert.Equal(submitted.Order(StringComparer.Ordinal), await SqueueAsync("slurm"));
        // Every scheduler command went through ssh: the runner logs each command it starts.
        var started = burst.ErrLines.Where(l => l.Contains("DBG] run: ", StringComparison.Ordinal)).ToList();
        Assert.Contains(started, l => l.Contains("DBG] run: ssh ", StringComparison.Ordinal) && l.Contains("sbatch", StringComparison.Ordinal));
        Assert.DoesNotContain(started, l => l.Contains("DBG] run: sbatch", StringComparison.Ordinal) || l.Contains("DBG] run: squeue", StringComparison.Ordinal));
        Assert.Contains(started, l => l.Contains("StrictHostKeyChecking=yes", StringComparison.Ordinal) && l.Contains("ControlMaster=auto", StringComparison.Ordinal));
        var master = await MasterPidAsync();
        // ssh got the allow-listed environment only, and nothing of autopilot's own on its command line.
        var environ = File.ReadAllText($"/proc/{master}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain(environ, e => e.StartsWith(Canary + "=", StringComparison.Ordinal) || e.Contains(CanaryValue, StringComparison.Ordinal));
        Assert.DoesNotContain(CanaryValue, File.ReadAllText($"/proc/{master}/cmdline"), StringComparison.Ordinal);

        // jobs shows where the pilots are.
        var jobs = await RunAsync("jobs", "--json");
        Assert.True(jobs.ExitCode == 0, jobs.ToString());
        var pool = jobs.Json().GetProperty("pools")[0];
        Assert.Equal("127.0.0.1", pool.GetProperty("cluster").GetString());
        Assert.All(pool.GetProperty("pilots").EnumerateArray(), p => Assert.Equal("127.0.0.1", p.GetProperty("cluster").GetString()));

        // Demand gone: the queued pilots are cancelled, over the same connection.
        tasks.Set(0);
        var zero = await RunAsync("tick", "-v");

        Assert.True(zero.ExitCode == 0, zero.ToString());
        Assert.Equal(submitted.Order(StringComparer.Ordinal), Ids(zero, "slurm", "cancelled ").Order(StringComparer.Ordinal));
        await TestServices.WaitUntilAsync(async () => (await SqueueAsync("slurm")).Count == 0, TimeSpan.FromSeconds(30), "the cancelled pilots gone from squeue");
        // The next tick (and the jobs in between) used the master connection of the first one.
        Assert.Equal(master, await MasterPidAsync());
        var events = await RunAsync("events", "--json");
        Assert.Contains(events.Json().EnumerateArray(), e => e.GetProperty("kind").GetString() == "cancelled" && e.GetProperty("cluster").GetString() == "127.0.0.1");
    }

    [Fact]
    public async Task Manual_submit_and_cancel_reach_a_remote_pool_over_ssh()
    {
        WriteConfig(new RemotePool("slurm", "slurm", new PendingTasks(_dir, 0)) { ExtraArgs = EndToEndHarness.StayQueued });

        var submit = await RunAsync("submit", "slurm", "1");

        Assert.True(submit.ExitCode == 0, submit.ToString());
        var id = Assert.Single(await SqueueAsync("slurm"));
        Assert.Contains($"pool slurm: submitted 1: {id}", submit.Stdout, StringComparison.Ordinal);

        var cancel = await RunAsync("cancel", id);

        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Contains($"pool slurm: cancelled {id}", cancel.Stdout, StringComparison.Ordinal);
        await TestServices.WaitUntilAsync(async () => (await SqueueAsync("slurm")).Count == 0, TimeSpan.FromSeconds(30), "the cancelled pilot gone from squeue");
    }

    [Fact]
    public async Task A_grid_engine_pool_reached_only_over_ssh_scales_out_and_to_zero()
    {
        var tasks = new PendingTasks(_dir, 20);
        var later = DateTime.Now.AddHours(1).ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture);
        WriteConfig(new RemotePool("sge", "sge", tasks) { ExtraArgs = ["-a", later] });

        var burst = await RunAsync("tick", "-v");

        Assert.True(burst.ExitCode == 0, burst.ToString());
        Assert.Equal(2, Ids(burst, "sge", ": submitted ").Count);
        var queued = await GridEngineJobs.ListAsync(JobName("sge"));
        Assert.Equal(2, queued.Count);
        Assert.All(queued, j => Assert.Equal("qw", j.State));
        // qsub read the script from a private temporary file that is gone again.
        Assert.Contains(burst.ErrLines, l => l.Contains("DBG] run: ssh ", StringComparison.Ordinal) && l.Contains("mktemp", StringComparison.Ordinal));

        tasks.Set(0);
        var zero = await RunAsync("tick", "-v");

        Assert.True(zero.ExitCode == 0, zero.ToString());
        Assert.Equal(2, Ids(zero, "sge", "cancelled ").Count);
        await TestServices.WaitUntilAsync(async () => (await GridEngineJobs.ListAsync(JobName("sge"))).Count == 0, TimeSpan.FromSeconds(30), "the deleted pilots gone from qstat");
    }

    [Fact]
    public async Task A_remote_pilots_log_is_written_on_the_host_and_fetched_over_ssh()
    {
        WriteConfig(new RemotePool("logs", "slurm", new PendingTasks(_dir, 5)) { SleepSeconds = 0 });

        var tick = await RunAsync("tick", "-v");

        Assert.True(tick.ExitCode == 0, tick.ToString());
        var id = Assert.Single(Ids(tick, "logs", ": submitted "));
        var file = Path.Combine(RemoteDir, "pilots", "logs", $"{JobName("logs")}-{id}.out");
        await TestServices.WaitUntilAsync(
            () => Task.FromResult(File.Exists(file) && File.ReadAllText(file).Contains("test pilot: pool=logs", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(90), $"the pilot's output in {file}");
        // Written where the remote side said, in a private folder.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));

        var logs = await RunAsync("logs", "--pilot", id);

        Assert.True(logs.ExitCode == 0, logs.ToString());
        Assert.Contains($"==> {Target}:{RemoteDir}/pilots/logs/{JobName("logs")}-{id}.out (pool logs) <==", logs.Stdout, StringComparison.Ordinal);
        Assert.Contains("test pilot: pool=logs", logs.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_host_key_is_refused_with_a_clear_message_and_nothing_is_submitted()
    {
        WriteConfig(new RemotePool("slurm", "slurm", new PendingTasks(_dir, 30)) { KnownHosts = WrongKnownHosts, ExtraArgs = EndToEndHarness.StayQueued });

        var tick = await RunAsync("tick");

        Assert.True(tick.ExitCode == 1, tick.ToString());
        var line = PoolLine(tick, "slurm");
        Assert.Contains("nothing done: cannot list pilots", line, StringComparison.Ordinal);
        Assert.Contains($"ssh to {Target} failed", line, StringComparison.Ordinal);
        Assert.Contains("Host key verification failed", line, StringComparison.Ordinal);
        Assert.Empty(await SqueueAsync("slurm"));

        var check = await RunAsync("check", "--connect");
        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.Contains("Host key verification failed", check.Stdout + check.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_connect_tests_the_connection_each_remote_command_and_the_listing()
    {
        WriteConfig(new RemotePool("slurm", "slurm", new PendingTasks(_dir, 0)));

        var check = await RunAsync("check", "--connect", "--submit-test");

        Assert.True(check.ExitCode == 0, check.ToString());
        var text = check.Stdout + check.Stderr;
        // sbatch --test-only ran on the host, the script on its stdin.
        Assert.Contains("submit test: ", text, StringComparison.Ordinal);
        Assert.Contains("to start at", text, StringComparison.Ordinal);
        Assert.Contains($"over ssh on {Target} (connected, listing answered (0 pilot(s))): runs ", text, StringComparison.Ordinal);
        Assert.Contains("/sbatch", text, StringComparison.Ordinal);
        Assert.Contains("/scancel", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hanging_host_costs_its_own_timeout_and_the_other_pool_still_ticks()
    {
        // Two black holes: they accept TCP and never say a word, so ssh waits until command_timeout.
        using var hole1 = new TcpListener(IPAddress.Loopback, 0);
        using var hole2 = new TcpListener(IPAddress.Loopback, 0);
        hole1.Start();
        hole2.Start();
        int Port(TcpListener l) => ((IPEndPoint)l.LocalEndpoint).Port;
        var tasks = new PendingTasks(_dir, 10);
        WriteConfig(
            new RemotePool("dead1", "slurm", tasks) { Port = Port(hole1), CommandTimeout = "8s" },
            new RemotePool("dead2", "slurm", tasks) { Port = Port(hole2), CommandTimeout = "8s" },
            new RemotePool("alive", "slurm", tasks) { ExtraArgs = EndToEndHarness.StayQueued });
        var clock = Stopwatch.StartNew();

        var tick = await RunAsync("tick", "-v");
        clock.Stop();

        Assert.True(tick.ExitCode == 1, tick.ToString());
        Assert.Single(Ids(tick, "alive", ": submitted "));
        foreach (var (pool, hole) in new[] { ("dead1", hole1), ("dead2", hole2) })
        {
            var line = PoolLine(tick, pool);
            Assert.Contains($"no answer from {SshUser}@127.0.0.1:{Port(hole)} over ssh within 8 s", line, StringComparison.Ordinal);
        }

        // Read one after the other, the two would take 16 s before the live pool was even listed.
        output.WriteLine($"tick took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the tick took {clock.Elapsed.TotalSeconds:0.0} s: the hanging hosts were not read concurrently");
    }

    [Fact]
    public async Task Killing_the_master_connection_mid_tick_fails_closed()
    {
        // A squeue on the remote side that says it started, then takes its time: the moment to cut the connection.
        var slow = Path.Combine(_dir, "slowbin");
        Directory.CreateDirectory(slow);
        var marker = Path.Combine(_dir, "squeue-started");
        foreach (var command in new[] { "sbatch", "scancel", "sacct", "scontrol" })
        {
            Script(Path.Combine(slow, command), $"exec /usr/bin/{command} \"$@\"");
        }

        Script(Path.Combine(slow, "squeue"), $"touch {marker}; sleep 5; exec /usr/bin/squeue \"$@\"");
        WriteConfig(new RemotePool("killed", "slurm", new PendingTasks(_dir, 30)) { BinDir = slow, ExtraArgs = EndToEndHarness.StayQueued });

        var running = TestServices.Runner.RunAsync(Autopilot("tick", "-v"), CancellationToken.None);
        await TestServices.WaitUntilAsync(() => Task.FromResult(File.Exists(marker)), TimeSpan.FromSeconds(30), "the remote squeue started");
        var pid = await MasterPidAsync();
        // The master this test's tick started (found by its own control socket), nothing else.
        Process.GetProcessById(pid).Kill();
        var result = await running;

        var tick = new CliRun(["tick"], result.ExitCode, result.StandardOutput, result.StandardError);
        output.WriteLine(tick.ToString());
        Assert.True(tick.ExitCode == 1, tick.ToString());
        var line = PoolLine(tick, "killed");
        Assert.Contains("nothing done: cannot list pilots", line, StringComparison.Ordinal);
        Assert.Contains($"ssh to {Target} failed", line, StringComparison.Ordinal);
        Assert.Empty(await SqueueAsync("killed"));

        // The next tick opens a new master connection and acts.
        File.Delete(marker);
        var again = await RunAsync("tick", "-v");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(3, Ids(again, "killed", ": submitted ").Count);
    }

    [Fact]
    public async Task A_slurm_cluster_pool_asks_with_M_and_without_slurmdbd_fails_closed_in_slurms_words()
    {
        // -M needs slurmdbd with the cluster registered; the test Slurm has none (docs/remote-clusters.md).
        var config = await TestServices.RunAsync("scontrol", ["show", "config"]);
        Assert.Contains("accounting_storage/none", config.StandardOutput, StringComparison.Ordinal);
        var cluster = config.StandardOutput.Split('\n').Single(l => l.StartsWith("ClusterName ", StringComparison.Ordinal)).Split('=')[1].Trim();
        WriteConfig(new RemotePool("slurm", "slurm", new PendingTasks(_dir, 30)) { Clusters = cluster, ExtraArgs = EndToEndHarness.StayQueued });

        var tick = await RunAsync("tick", "-v");

        Assert.True(tick.ExitCode == 1, tick.ToString());
        var line = PoolLine(tick, "slurm");
        Assert.Contains($"`squeue -M {cluster} ", line, StringComparison.Ordinal);
        Assert.Contains("squeue: error: Problem talking to database", line, StringComparison.Ordinal);
        Assert.Empty(await SqueueAsync("slurm"));
        var status = await RunAsync("status", "--json");
        Assert.Equal($"{cluster}@127.0.0.1", status.Json().GetProperty("pools")[0].GetProperty("cluster").GetString());
    }

    [Fact]
    public async Task Arguments_round_trip_through_the_real_sshd_and_the_remote_shell()
    {
        // The quoting property of RemoteCommandTests, through the real ssh, sshd and the account's login shell.
        var runner = new Autopilot.Remote.SshProcessRunner(TestServices.Runner, new Autopilot.Configuration.SshOptions
        {
            Host = "127.0.0.1",
            Port = int.Parse(SshPort, CultureInfo.InvariantCulture),
            User = SshUser,
            IdentityFile = Identity,
            KnownHosts = KnownHosts,
        }, StateDir);
        var random = new Random(1818);
        const string alphabet = "ab Z09 '\"$`\\!*?[]{}()<>|&;#~=%^-_./:\t\n日本é𝄞€";
        var runes = alphabet.EnumerateRunes().ToArray();
        List<string[]> cases = [[""], ["a b", "'", "\"", "$HOME", "`id`", "$(id)", "\n", "-n", "--", "*", "~"]];
        for (var i = 0; i < 40; i++)
        {
            cases.Add(Enumerable.Range(0, random.Next(1, 5)).Select(_ => string.Concat(Enumerable.Range(0, random.Next(0, 10)).Select(_ => runes[random.Next(runes.Length)].ToString()))).ToArray());
        }

        foreach (var args in cases)
        {
            var result = await runner.RunAsync(new ProcessSpec("printf", ["%s\\0", .. args], Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None);

            Assert.True(result.Succeeded, result.Describe());
            Assert.Equal(string.Concat(args.Select(a => a + "\0")), result.StandardOutput);
        }
    }

    /// <summary>The pid of the master connection behind this test's control socket (`ssh -O check`).</summary>
    private async Task<int> MasterPidAsync()
    {
        var socket = Assert.Single(Directory.GetFiles(Path.Combine(StateDir, "ssh")));
        var check = await TestServices.RunUncheckedAsync("ssh", ["-o", "ControlPath=" + socket, "-O", "check", "127.0.0.1"]);
        var text = check.StandardError;
        Assert.True(check.ExitCode == 0, $"no master connection behind {socket}: {text}");
        return int.Parse(text[(text.IndexOf("pid=", StringComparison.Ordinal) + 4)..text.IndexOf(')', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }

    private static void Script(string path, string body)
    {
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }
}
