using System.Diagnostics;
using System.Text.Json.Nodes;
using static Autopilot.Tests.Operations.OpsTestSupport;
using Autopilot.Cli.Commands;
using Autopilot.Testing;

namespace Autopilot.Tests.Operations;

/// <summary>
/// kubectl-exec against <see cref="KubeApiServer"/> (the pod list and the exec WebSocket of the
/// Kubernetes API), each run a child autopilot process, which runs its helper autopilot-kubectl-exec
/// from its own folder: stdin, stdout, stderr and the exit code really pass through both.
/// </summary>
public sealed class KubectlExecTests : IDisposable
{
    private static readonly Dictionary<string, string> Server = new() { ["app"] = "hypershell-server" };
    private readonly string dir = TempDir();

    public void Dispose() => Directory.Delete(dir, true);

    private static List<JsonObject> Pods(string secondPhase = "Pending") =>
    [
        KubeApiServer.Pod("hs-server-7d9f-abcde", "Running", Server, false, "server", "sidecar"),
        KubeApiServer.Pod("hs-server-7d9f-old", "Running", Server, deleting: true, "server"),
        KubeApiServer.Pod("hs-server-7d9f-second", secondPhase, Server, false, "server"),
        KubeApiServer.Pod("other-1", "Running", new() { ["app"] = "other" }, false, "main"),
    ];

    private static string Cli => AutopilotBinary.Path;

    /// <summary>A child process with stdin, stdout and stderr as pipes, <paramref name="environment"/> added to this one's.</summary>
    private static Process Start(string program, string[] args, Dictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? [])
        {
            psi.Environment[name] = value;
        }

        return Process.Start(psi)!;
    }

    /// <summary>`autopilot args...` as a process with an empty stdin (a pipe: no terminal).</summary>
    private static async Task<(int Exit, string Output, string Error)> RunProcess(string program, string[] args)
    {
        using var process = Start(program, args);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{program} {string.Join(' ', args)} did not end");
        return (process.ExitCode, await stdout, await stderr);
    }

    private static Task<(int Exit, string Output, string Error)> RunCli(params string[] args) => RunProcess(Cli, args);

    /// <summary>dir/autopilot.toml naming the kubeconfig written for <paramref name="api"/> (as <paramref name="kubeconfigSetting"/> when given).</summary>
    private string Config(KubeApiServer api, string? kubeconfigSetting = null)
    {
        var kubeconfig = kubeconfigSetting ?? api.WriteKubeconfig(Path.Combine(dir, "kube config"));
        var config = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(config, $"""
            state_dir = "{dir}/state"
            [log]
            file = false
            [kubernetes]
            namespace = "pipelines"
            selector = "app=hypershell-server"
            container = "server"
            kubeconfig = "{kubeconfig}"
            """);
        return config;
    }

    [Theory]
    [InlineData(true, "v5.channel.k8s.io")]
    [InlineData(false, "v4.channel.k8s.io")]
    public async Task Exec_finds_the_running_pod_by_selector_passes_stdin_and_stdout_and_returns_the_exit_code(bool v5, string protocol)
    {
        using var api = new KubeApiServer(Pods(), v5);
        // The "container" reads two lines, answers on stdout and stderr, and exits 7.
        var config = Config(api);
        using var process = Start(Cli, ["kubectl-exec", "--config", config, "-q", "--", "sh", "-c", "read a; read b; echo \"container got: $a / $b\"; echo 'to stderr' >&2; exit 7"]);
        await process.StandardInput.WriteLineAsync("hs task search --failed");
        await process.StandardInput.WriteLineAsync("exit");
        await process.StandardInput.FlushAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "autopilot kubectl-exec did not end");

        Assert.Equal("container got: hs task search --failed / exit\n", await stdout);
        // The container's stderr, and nothing else but the warning every command gives as root.
        Assert.Equal(["to stderr"], (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("running as root", StringComparison.Ordinal)));
        Assert.Equal(7, process.ExitCode);
        Assert.Equal([protocol], api.Protocols);
        // stdin is a pipe here: no tty, stderr on its own channel, the configured container.
        // A server without v5 refuses the first upgrade; the second offers v4.
        var execs = api.Requests.Where(r => r.Contains("/exec", StringComparison.Ordinal)).ToList();
        Assert.Equal(v5 ? 1 : 2, execs.Count);
        var exec = execs[^1];
        Assert.StartsWith("GET /api/v1/namespaces/pipelines/pods/hs-server-7d9f-abcde/exec?", exec, StringComparison.Ordinal);
        Assert.Contains("container=server", exec, StringComparison.Ordinal);
        Assert.Contains("tty=0", exec, StringComparison.Ordinal);
        Assert.Contains("stderr=1", exec, StringComparison.Ordinal);
        Assert.True(api.Requests.Any(r => Uri.UnescapeDataString(r) == "GET /api/v1/namespaces/pipelines/pods?labelSelector=app=hypershell-server&watch=false"), string.Join("\n", api.Requests));
    }

    [Fact]
    public async Task Stdin_end_reaches_the_container_on_v5_and_exit_0_comes_back()
    {
        using var api = new KubeApiServer(Pods());
        var config = Config(api);
        using var process = Start(Cli, ["kubectl-exec", "--config", config, "-q", "--", "wc", "-l"]);
        await process.StandardInput.WriteAsync("one\ntwo\nthree\n");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "autopilot kubectl-exec did not end: the container never saw the end of stdin");

        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Equal("3", (await stdout).Trim());
    }

    [Fact]
    public async Task On_a_terminal_exec_asks_for_a_tty_sends_the_window_size_and_returns_the_exit_code()
    {
        using var api = new KubeApiServer(Pods());
        var config = Config(api);
        // script(1) gives autopilot a pseudo-terminal as stdin and stdout, 100x30.
        using var process = Start("script", ["-qec", $"stty cols 100 rows 30; '{Cli}' kubectl-exec --config '{config}' -q -- sh -c 'echo tty-ok; exit 4'", "/dev/null"]);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "autopilot kubectl-exec on a terminal did not end");

        Assert.True(process.ExitCode == 4, $"exit {process.ExitCode}: {await stdout} {await stderr}");
        Assert.Contains("tty-ok", await stdout, StringComparison.Ordinal);
        var exec = Assert.Single(api.Requests, r => r.Contains("/exec", StringComparison.Ordinal));
        Assert.Contains("tty=1", exec, StringComparison.Ordinal);
        Assert.Contains("stderr=0", exec, StringComparison.Ordinal);
        // The server reads the resize frame on its own task: give it a moment after the exit.
        for (var i = 0; i < 50 && api.Resizes.IsEmpty; i++)
        {
            await Task.Delay(100);
        }

        Assert.Equal("""{"Width":100,"Height":30}""", Assert.Single(api.Resizes));
    }

    [Fact]
    public async Task Print_shows_the_equivalent_kubectl_command_with_a_given_command_and_container()
    {
        using var api = new KubeApiServer(Pods());
        var config = Config(api);

        var result = await RunCli("kubectl-exec", "--print", "--container", "sidecar", "--config", config, "-q", "--", "hs", "task", "search", "--failed");

        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal($"kubectl '--kubeconfig={dir}/kube config' exec -i -n pipelines hs-server-7d9f-abcde -c sidecar -- hs task search --failed\n", result.Output);
        Assert.DoesNotContain(api.Requests, r => r.Contains("/exec", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_pod_none_running_and_several_running_each_have_their_message_and_exit_code()
    {
        using var api = new KubeApiServer(Pods(secondPhase: "Running"));
        var config = Config(api);

        var several = await RunCli("kubectl-exec", "--print", "--config", config, "-q");
        Assert.Equal(5, several.Exit);
        Assert.Contains("2 Running pods match selector 'app=hypershell-server' in namespace 'pipelines': hs-server-7d9f-abcde, hs-server-7d9f-second; choose one with --pod", several.Error, StringComparison.Ordinal);

        // --pod settles it without asking for the list.
        var chosen = await RunCli("kubectl-exec", "--print", "--pod", "hs-server-7d9f-second", "--config", config, "-q");
        Assert.Equal(0, chosen.Exit);
        Assert.Contains(" hs-server-7d9f-second -c server -- /bin/sh -c 'exec bash || exec sh'", chosen.Output, StringComparison.Ordinal);

        api.Pods = [KubeApiServer.Pod("hs-server-7d9f-old", "Running", Server, deleting: true, "server"), KubeApiServer.Pod("hs-server-7d9f-new", "Pending", Server, false, "server")];
        var notRunning = await RunCli("kubectl-exec", "--print", "--config", config, "-q");
        Assert.Equal(4, notRunning.Exit);
        Assert.Contains("no Running pod matches selector 'app=hypershell-server' in namespace 'pipelines' (hs-server-7d9f-old: terminating, hs-server-7d9f-new: Pending)", notRunning.Error, StringComparison.Ordinal);

        api.Pods = [KubeApiServer.Pod("other-1", "Running", new() { ["app"] = "other" }, false, "main")];
        var none = await RunCli("kubectl-exec", "--print", "--config", config, "-q");
        Assert.Equal(3, none.Exit);
        Assert.Contains("no pod matches selector 'app=hypershell-server' in namespace 'pipelines'", none.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_API_server_and_a_bad_kubeconfig_are_clear_errors()
    {
        int port;
        using (var api = new KubeApiServer(Pods()))
        {
            port = api.Port;
            Config(api);
        }

        var config = Path.Combine(dir, "autopilot.toml");
        var gone = await RunCli("kubectl-exec", "--print", "--config", config, "-q");
        Assert.Equal(1, gone.Exit);
        Assert.Contains($"cannot list pods in namespace 'pipelines' at http://127.0.0.1:{port}/", gone.Error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(dir, "kube config"), "this: is: not: a kubeconfig");
        var bad = await RunCli("kubectl-exec", "--print", "--config", config, "-q");
        Assert.Equal(1, bad.Exit);
        Assert.Contains($"cannot read the kubeconfig {dir}/kube config", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_helper_gets_every_setting_on_its_command_line_and_only_the_allow_listed_environment()
    {
        using var api = new KubeApiServer(Pods());
        var kubeconfig = api.WriteKubeconfig(Path.Combine(dir, "kube config"));
        // The kubeconfig through a variable only autopilot has: the helper must get the expanded path.
        var config = Config(api, "$AUTOPILOT_TEST_KUBE_DIR/kube config");
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        using var process = Start(
            Cli,
            ["kubectl-exec", "--config", config, "-q", "--", "sh", "-c", "read a; echo \"got $a\"; exit 6"],
            new() { ["AUTOPILOT_TEST_KUBE_DIR"] = dir, ["AUTOPILOT_TEST_CANARY"] = canary, ["AUTOPILOT_TEST_SECRET"] = canary, ["HOME"] = dir });
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // The container waits for a line: the helper is running meanwhile, as autopilot's child.
        string[] environment, argv;
        try
        {
            var helper = await ChildOfAsync(process.Id, KubectlExecCommand.HelperName);
            environment = File.ReadAllText($"/proc/{helper}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            argv = File.ReadAllText($"/proc/{helper}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await process.StandardInput.WriteLineAsync("go");
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(60_000), "autopilot kubectl-exec did not end");

        Assert.True(process.ExitCode == 6, $"exit {process.ExitCode}: {await stderr}");
        Assert.Equal("got go\n", await stdout);
        Assert.Equal(KubectlExecCommand.HelperName, Path.GetFileName(argv[0]));
        Assert.Equal(
            ["--namespace=pipelines", "--selector=app=hypershell-server", "--container=server", $"--kubeconfig={kubeconfig}", "--kubectl=kubectl", "--", "sh", "-c", "read a; echo \"got $a\"; exit 6"],
            argv[1..]);
        Assert.DoesNotContain(argv, a => a.Contains(api.Token, StringComparison.Ordinal));
        Assert.DoesNotContain(environment, e => e.Contains(canary, StringComparison.Ordinal));
        Assert.DoesNotContain(environment, e => e.StartsWith("AUTOPILOT_TEST_", StringComparison.Ordinal));
        Assert.Contains($"HOME={dir}", environment);
        Assert.Contains(environment, e => e.StartsWith("PATH=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_the_helper_beside_it_or_with_one_it_cannot_run_kubectl_exec_says_which_path_and_exits_1()
    {
        using var api = new KubeApiServer(Pods());
        var config = Config(api);
        // The binary's folder without the helper (all of it for a build output, where autopilot is an
        // apphost; the published one's debug symbols are not needed).
        var alone = Path.Combine(dir, "alone");
        Directory.CreateDirectory(alone);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(Cli)!)
            .Where(f => !Path.GetFileName(f).StartsWith(KubectlExecCommand.HelperName, StringComparison.Ordinal) && !f.EndsWith(".dbg", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(alone, Path.GetFileName(file)));
        }

        var result = await RunProcess(Path.Combine(alone, Path.GetFileName(Cli)), ["kubectl-exec", "--print", "--config", config, "-q"]);

        Assert.Equal(1, result.Exit);
        Assert.Contains($"kubectl-exec: the helper {alone}/{KubectlExecCommand.HelperName} is missing: it is installed beside autopilot (deploy/install.sh installs both", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(api.Requests, r => r.Contains("/pods", StringComparison.Ordinal));

        // There but not executable: the same exit code, and why.
        var notExecutable = Path.Combine(alone, KubectlExecCommand.HelperName);
        File.WriteAllText(notExecutable, "");
        File.SetUnixFileMode(notExecutable, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var refused = await RunProcess(Path.Combine(alone, Path.GetFileName(Cli)), ["kubectl-exec", "--print", "--config", config, "-q"]);
        Assert.Equal(1, refused.Exit);
        Assert.Contains($"kubectl-exec: cannot run the helper {notExecutable}: ", refused.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TERM", 15)]
    [InlineData("HUP", 1)]
    public async Task A_SIGTERM_or_SIGHUP_to_autopilot_alone_ends_the_helper_too_and_its_code_comes_back(string signal, int number)
    {
        using var api = new KubeApiServer(Pods());
        var config = Config(api);
        // The container waits for a line that never comes: only the signal ends the session.
        using var process = Start(Cli, ["kubectl-exec", "--config", config, "-q", "--", "sh", "-c", "read a; exit 6"]);
        var stderr = process.StandardError.ReadToEndAsync();
        int helper;
        try
        {
            helper = await ChildOfAsync(process.Id, KubectlExecCommand.HelperName);
            await UntilAsync(() => api.Requests.Any(r => r.Contains("/exec", StringComparison.Ordinal)), "the helper never opened the exec session");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        // Sent to autopilot's pid only, as a supervisor or sshd does; not to the process group.
        var (killed, killError) = Security.SecurityTestSupport.Exec("kill", "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(killed == 0, killError);

        var ended = process.WaitForExit(60_000);
        var helperGone = await UntilAsync(() => !ReadProc($"/proc/{helper}/cmdline").Contains(KubectlExecCommand.HelperName, StringComparison.Ordinal), null);
        if (!helperGone)
        {
            Security.SecurityTestSupport.Exec("kill", "-KILL", helper.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.True(ended, "autopilot kubectl-exec did not end on SIG" + signal);
        Assert.True(helperGone, $"the helper {helper} still runs after autopilot ended on SIG{signal}");
        Assert.True(process.ExitCode == 128 + number, $"exit {process.ExitCode}: {await stderr}");
    }

    /// <summary>Polls <paramref name="done"/> for up to 60 s; false then (or a failure with <paramref name="failure"/> when given).</summary>
    private static async Task<bool> UntilAsync(Func<bool> done, string? failure)
    {
        for (var i = 0; i < 600; i++)
        {
            if (done())
            {
                return true;
            }

            await Task.Delay(100);
        }

        Assert.True(failure is null, failure);
        return false;
    }

    /// <summary>
    /// The pid of <paramref name="parent"/>'s child process once it runs <paramref name="program"/>
    /// (between fork and exec it still has the parent's command line and environment).
    /// </summary>
    private static async Task<int> ChildOfAsync(int parent, string program)
    {
        for (var i = 0; i < 600; i++)
        {
            foreach (var stat in Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "stat")))
            {
                var text = ReadProc(stat);
                if (!text.Contains(')', StringComparison.Ordinal))
                {
                    continue;
                }

                // pid (comm) state ppid ...: comm may hold spaces and parentheses, so from the last ')'.
                var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 1 && fields[1] == parent.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    && int.TryParse(Path.GetFileName(Path.GetDirectoryName(stat)), out var pid)
                    && Path.GetFileName(ReadProc($"/proc/{pid}/cmdline").Split('\0')[0]) == program)
                {
                    return pid;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"process {parent} started no {program} in 60 s");
    }

    /// <summary>A /proc file, or "" when its process has gone.</summary>
    private static string ReadProc(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
