using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Remote;
using Autopilot.TaskLogs;

namespace Autopilot.Tests.Remote;

/// <summary>`autopilot logs` of a remote pool: a task file that is not on this machine is read on the pool's host, over its connection.</summary>
public sealed class RemoteTaskLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-rlog-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_task_file_missing_here_is_read_on_the_pools_host()
    {
        var seen = new List<ProcessSpec>();
        var reader = Reader(seen);

        var log = await reader.ReadAsync("/cluster/home/u/tasks/it's here.out", "node7", CancellationToken.None);

        Assert.Equal(LogSource.Ssh, log.Source);
        Assert.Equal("remote cat: -- /cluster/home/u/tasks/it's here.out\n", log.Text);
        Assert.Equal("login1", Assert.Single(seen).Arguments[^3]);
    }

    [Fact]
    public async Task A_file_outside_the_task_folders_is_not_fetched_at_all()
    {
        var seen = new List<ProcessSpec>();
        var reader = Reader(seen);

        var log = await reader.ReadAsync("/etc/shadow", "node7", CancellationToken.None);

        Assert.Equal(LogSource.Missing, log.Source);
        Assert.Empty(seen);
    }

    /// <summary>A reader of a pool on host login1 whose task files are under /cluster/home/u/tasks.</summary>
    private TaskLogReader Reader(List<ProcessSpec> seen) =>
        new(new LogsOptions(), new ProcessRunner(), ["/cluster/home/u/tasks"],
            new SshProcessRunner(new RemoteShell(seen), new SshOptions { Host = "login1", ControlPersist = TimeSpan.Zero }, Path.Combine(_dir, "state")));

    /// <summary>The network hop only: the remote command runs in a local sh whose `cat` stands for the cluster's file system.</summary>
    private sealed class RemoteShell(List<ProcessSpec> seen) : IProcessRunner
    {
        private readonly ProcessRunner _sh = new();

        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            seen.Add(spec);
            var script = "cat() { printf 'remote cat: %s\\n' \"$*\"; }; " + spec.Arguments[^1];
            return _sh.RunAsync(spec with { FileName = "sh", Arguments = ["-c", script] }, cancellationToken);
        }
    }
}
