using System.Diagnostics;
using System.Text.Json;
using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Operations;

/// <summary>
/// The commands that run other programs, with recording fakes on PATH: `ssh` for remote task logs,
/// `kubectl` for kubectl-exec (in a child autopilot process, so stdin and stdout really pass through).
/// </summary>
[Collection(PathCollection.Name)]
public sealed class SshAndKubectlTests
{
    private readonly string dir = TempDir();

    [Fact]
    public async Task Remote_logs_are_fetched_with_ssh_and_the_path_arrives_as_one_quoted_word()
    {
        const string id = "abcd0000-0000-4000-8000-000000000009";
        var remotePath = "/nonexistent/remote dir/it's -n.out";
        var db = CreateDatabase(dir, new TaskRow(id, "echo remote")
        {
            Scheduled = T0, Started = T0, Completed = T0.AddSeconds(3), ExitStatus = 0, ClientHost = "node9",
            Outpath = remotePath, Errpath = null,
        });
        var bin = Path.Combine(dir, "bin");
        var argvLog = Path.Combine(dir, "ssh.argv");
        // The fake ssh records its argv, then runs the remote words through sh as sshd would, with a
        // "remote" cat that prints the single path argument it was given.
        WriteScript(Path.Combine(bin, "ssh"), $$"""
            #!/bin/bash
            printf '%s\n' "$@" > '{{argvLog}}'
            while [ "$1" != "--" ]; do shift; done
            shift 2
            PATH='{{dir}}/remote-bin':$PATH exec sh -c "$*"
            """);
        WriteScript(Path.Combine(dir, "remote-bin", "cat"), """
            #!/bin/bash
            [ "$1" = "--" ] && [ $# -eq 2 ] || { echo "bad cat argv: $*" >&2; exit 9; }
            printf 'remote content of [%s]\n' "$2"
            """);
        var config = WriteHyperShellConfig(dir, db, """
            [pool.logs]
            ssh = true
            ssh_args = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
            task_dirs = ["/nonexistent/remote dir"]
            """);

        (int Exit, string Output, string Error) result = (-1, "", "");
        await WithPath(bin, async () => result = await Run("logs", "abcd", "--json", "--config", config, "-q"));

        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal(["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "--", "node9", "cat", "--", "'/nonexistent/remote dir/it'\\''s -n.out'"],
            File.ReadAllLines(argvLog));
        var stdout = JsonDocument.Parse(result.Output).RootElement.GetProperty("stdout");
        Assert.Equal("ssh", stdout.GetProperty("source").GetString());
        Assert.Equal($"remote content of [{remotePath}]\n", stdout.GetProperty("text").GetString());
        Assert.Equal("none", JsonDocument.Parse(result.Output).RootElement.GetProperty("stderr").GetProperty("source").GetString());
    }

    [Fact]
    public async Task Ssh_failure_is_reported_with_the_command_and_its_stderr()
    {
        const string id = "abcd0000-0000-4000-8000-00000000000a";
        var db = CreateDatabase(dir, new TaskRow(id, "echo remote")
        {
            Scheduled = T0, Started = T0, Completed = T0.AddSeconds(3), ExitStatus = 0, ClientHost = "node9", Outpath = "/nonexistent/x.out",
        });
        var bin = Path.Combine(dir, "bin");
        WriteScript(Path.Combine(bin, "ssh"), "#!/bin/bash\necho 'ssh: connect to host node9 port 22: No route to host' >&2\nexit 255\n");
        var config = WriteHyperShellConfig(dir, db, """
            [pool.logs]
            ssh = true
            task_dirs = ["/nonexistent"]
            """);

        (int Exit, string Output, string Error) result = (-1, "", "");
        await WithPath(bin, async () => result = await Run("logs", id, "--config", config, "-q"));

        Assert.Equal(0, result.Exit);
        Assert.Contains("--- stdout: `ssh -o BatchMode=yes -- node9 cat -- ''\\''/nonexistent/x.out'\\'''` exited with 255: ssh: connect to host node9 port 22: No route to host", result.Output, StringComparison.Ordinal);
    }

    private const string PodsJson = """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"metadata": {"name": "hs-server-7d9f-abcde", "namespace": "pipelines"},
           "spec": {"containers": [{"name": "server"}, {"name": "sidecar"}]},
           "status": {"phase": "Running"}},
          {"metadata": {"name": "hs-server-7d9f-old", "namespace": "pipelines", "deletionTimestamp": "2025-03-01T10:00:00Z"},
           "spec": {"containers": [{"name": "server"}]},
           "status": {"phase": "Running"}},
          {"metadata": {"name": "hs-server-7d9f-pending", "namespace": "pipelines"},
           "spec": {"containers": [{"name": "server"}]},
           "status": {"phase": "Pending"}}
        ]}
        """;

    /// <summary>A fake kubectl: answers `get pods` with <paramref name="pods"/>, records `exec` argv and echoes its stdin.</summary>
    private string FakeKubectl(string pods)
    {
        var bin = Path.Combine(dir, "bin");
        File.WriteAllText(Path.Combine(dir, "pods.json"), pods);
        WriteScript(Path.Combine(bin, "kubectl"), $$"""
            #!/bin/bash
            printf '%s\n' "$@" > '{{dir}}/kubectl.'"$(for a in "$@"; do case $a in get|exec) echo $a; break;; esac; done)"'.argv'
            for a in "$@"; do
              case $a in
                get) cat '{{dir}}/pods.json'; exit 0 ;;
                exec) while IFS= read -r line; do echo "container got: $line"; done; echo "stdin closed"; exit 7 ;;
              esac
            done
            echo "fake kubectl: unexpected argv: $*" >&2
            exit 1
            """);
        return bin;
    }

    private string KubeConfig(string extra = "")
    {
        var config = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(config, $"""
            state_dir = "{dir}/state"
            [log]
            file = false
            [kubernetes]
            namespace = "pipelines"
            selector = "app=hypershell-server"
            container = "server"
            kubeconfig = "{dir}/kube config"
            {extra}
            """);
        return config;
    }

    [Fact]
    public async Task Exec_finds_the_running_pod_and_passes_stdin_and_stdout_through()
    {
        var bin = FakeKubectl(PodsJson);
        var config = KubeConfig();
        var cli = Path.Combine(AppContext.BaseDirectory, "autopilot.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { cli, "kubectl-exec", "--config", config, "-q" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PATH"] = bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteLineAsync("hs task search --failed");
        await process.StandardInput.WriteLineAsync("exit");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "autopilot kubectl-exec did not end");

        Assert.Equal("container got: hs task search --failed\ncontainer got: exit\nstdin closed\n", await stdout);
        // kubectl's exit code is ours.
        Assert.True(process.ExitCode == 7, await stderr);
        Assert.Equal([$"--kubeconfig={dir}/kube config", "get", "pods", "-l", "app=hypershell-server", "-n", "pipelines", "-o", "json"],
            File.ReadAllLines(Path.Combine(dir, "kubectl.get.argv")));
        // stdin is a pipe here: -i without -t.
        Assert.Equal([$"--kubeconfig={dir}/kube config", "exec", "-i", "-n", "pipelines", "hs-server-7d9f-abcde", "-c", "server", "--", "/bin/sh", "-c", "exec bash || exec sh"],
            File.ReadAllLines(Path.Combine(dir, "kubectl.exec.argv")));
    }

    [Fact]
    public async Task Print_shows_the_quoted_command_with_a_given_command_and_container()
    {
        var bin = FakeKubectl(PodsJson);
        var config = KubeConfig();
        (int Exit, string Output, string Error) result = (-1, "", "");
        await WithPath(bin, async () => result = await Run("kubectl-exec", "--print", "--container", "sidecar", "--config", config, "-q", "--", "hs", "task", "search", "--failed"));

        Assert.True(result.Exit == 0, result.Error);
        var tty = Console.IsInputRedirected ? "-i" : "-it";
        Assert.Equal($"kubectl '--kubeconfig={dir}/kube config' exec {tty} -n pipelines hs-server-7d9f-abcde -c sidecar -- hs task search --failed\n", result.Output);
        Assert.False(File.Exists(Path.Combine(dir, "kubectl.exec.argv")));
    }

    [Fact]
    public async Task Several_running_pods_are_listed_and_none_is_a_clear_error()
    {
        var several = PodsJson.Replace("\"Pending\"", "\"Running\"", StringComparison.Ordinal).Replace("hs-server-7d9f-pending", "hs-server-7d9f-second", StringComparison.Ordinal);
        Assert.NotEqual(PodsJson, several);
        var bin = FakeKubectl(several);
        var config = KubeConfig();
        (int Exit, string Output, string Error) result = (-1, "", "");
        await WithPath(bin, async () => result = await Run("kubectl-exec", "--print", "--config", config, "-q"));
        Assert.Equal(1, result.Exit);
        Assert.Contains("2 Running pods match selector 'app=hypershell-server' in namespace 'pipelines': hs-server-7d9f-abcde, hs-server-7d9f-second; choose one with --pod", result.Error, StringComparison.Ordinal);

        // --pod settles it without asking kubectl.
        await WithPath(bin, async () => result = await Run("kubectl-exec", "--print", "--pod", "hs-server-7d9f-second", "--config", config, "-q"));
        Assert.Equal(0, result.Exit);
        Assert.Contains(" hs-server-7d9f-second -c server -- /bin/sh -c 'exec bash || exec sh'", result.Output, StringComparison.Ordinal);

        FakeKubectl("""{"apiVersion": "v1", "kind": "List", "items": []}""");
        await WithPath(bin, async () => result = await Run("kubectl-exec", "--print", "--config", config, "-q"));
        Assert.Equal(1, result.Exit);
        Assert.Contains("no Running pod matches selector 'app=hypershell-server' in namespace 'pipelines'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_kubectl_is_a_clear_error()
    {
        var config = KubeConfig("kubectl = \"kubectl-not-installed-here\"");
        var (exit, _, error) = await Run("kubectl-exec", "--print", "--config", config, "-q");

        Assert.Equal(1, exit);
        Assert.Contains("kubectl is not available ('kubectl-not-installed-here'; install it or set kubernetes.kubectl to its path)", error, StringComparison.Ordinal);
    }
}
