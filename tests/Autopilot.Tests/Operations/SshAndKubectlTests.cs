using System.Text.Json;
using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Operations;

/// <summary>
/// `logs` over ssh, with a recording fake `ssh` on PATH (kubectl-exec, which talks to the
/// Kubernetes API, is tested in <see cref="KubectlExecTests"/>).
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
}
