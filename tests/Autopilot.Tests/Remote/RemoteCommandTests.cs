using System.Text;
using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Remote;

namespace Autopilot.Tests.Remote;

/// <summary>
/// The remote command string ssh hands to the remote shell, run through a real local <c>sh -c</c>
/// (what sshd does with it) by <see cref="ShellAsRemote"/>: quoting, environment, the script upload,
/// the state-folder paths. The real ssh hop is in the integration tests (RemoteSchedulerTests).
/// </summary>
public sealed class RemoteCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ap-remote-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string StateDir => Path.Combine(_dir, "state");

    private string RemoteHome => Path.Combine(_dir, "home");

    private string RemoteTmp => Path.Combine(_dir, "tmp");

    /// <summary>Printable ASCII, what a shell treats specially, whitespace, and characters beyond ASCII.</summary>
    private const string Alphabet = "ab Z09 '\"$`\\!*?[]{}()<>|&;#~=%^-_./:\t\n\r日本é𝄞€";

    [Fact]
    public async Task Arguments_round_trip_through_a_real_sh_whatever_they_hold()
    {
        // A property over 300 random argument lists (fixed seed, so a failure repeats), plus the edge cases.
        var random = new Random(18);
        List<string[]> cases =
        [
            [""],
            ["", "", ""],
            ["a b", "'", "\"", "$HOME", "`id`", "$(id)", "\n", "line1\nline2", "-n", "--", "*", "~", "a'b'c", "'\\''"],
            ["日本語", "é", "🎉", "tab\there"],
        ];
        for (var i = 0; i < 300; i++)
        {
            cases.Add(Enumerable.Range(0, random.Next(0, 6)).Select(_ => RandomWord(random)).ToArray());
        }

        foreach (var args in cases)
        {
            var result = await Run(new ProcessSpec("printf", ["%s\\0", .. args]));

            Assert.True(result.Succeeded, result.Describe());
            var expected = string.Concat(args.Select(a => a + "\0"));
            Assert.Equal(args.Length == 0 ? "\0" : expected, result.StandardOutput);
        }
    }

    [Fact]
    public void A_NUL_in_an_argument_is_refused_not_cut()
    {
        var ex = Assert.Throws<ProcessFailedException>(() => RemoteCommand.For(new ProcessSpec("echo", "a\0b"), new PathMap(StateDir, ".autopilot")));
        Assert.Contains("NUL", ex.Message);
    }

    [Fact]
    public async Task The_commands_variables_are_set_and_removed_remotely_and_a_secrets_name_never_travels()
    {
        var spec = new ProcessSpec("sh", ["-c", "echo \"${SLURM_TIME_FORMAT}|${SQUEUE_FORMAT-removed}|${DB_PASSWORD-absent}\""],
            Environment: new Dictionary<string, string?> { ["SLURM_TIME_FORMAT"] = "standard", ["SQUEUE_FORMAT"] = null, ["DB_PASSWORD"] = "hunter2" });

        var remote = RemoteCommand.For(spec, new PathMap(StateDir, ".autopilot"));
        var result = await Run(spec, remoteEnv: new() { ["SQUEUE_FORMAT"] = "%i" });

        Assert.Equal("standard|removed|absent\n", result.StandardOutput);
        Assert.DoesNotContain("hunter2", remote.Script);
    }

    [Theory]
    [InlineData("sbatch")]
    [InlineData("bsub")]
    public async Task A_pilot_script_goes_to_sbatch_and_bsub_on_stdin_and_writes_no_file(string program)
    {
        var script = WriteScript("#!/bin/sh\n#SBATCH --comment=x\necho pilot\n");
        var submit = FakeProgram(program, "echo \"args:$*\"; cat");

        var result = await Run(new ProcessSpec(submit, "--parsable", "--job-name=p", script));

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal("args:--parsable --job-name=p\n#!/bin/sh\n#SBATCH --comment=x\necho pilot\n", result.StandardOutput);
        Assert.Empty(Directory.EnumerateFileSystemEntries(RemoteTmp));
    }

    [Fact]
    public async Task For_qsub_the_script_is_a_private_remote_temp_file_removed_afterwards()
    {
        var script = WriteScript("#!/bin/sh\n#$ -N p\necho pilot\n");
        // Prints the file's mode, its folder's mode and its text, as qsub would read it.
        var qsub = FakeProgram("qsub", "f=\"$3\"; stat -c '%a' \"$f\" \"$(dirname \"$f\")\"; cat \"$f\"; echo \"$1 $2\"");

        var result = await Run(new ProcessSpec(qsub, "-N", "p", script));

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal("600\n700\n#!/bin/sh\n#$ -N p\necho pilot\n-N p\n", result.StandardOutput);
        Assert.Empty(Directory.EnumerateFileSystemEntries(RemoteTmp));
    }

    [Fact]
    public async Task State_folder_paths_name_the_remote_folder_which_is_created_private()
    {
        var logs = Path.Combine(StateDir, "pilots", "pool a");
        Directory.CreateDirectory(logs);

        var result = await Run(new ProcessSpec("printf", "%s\\n", "--output=" + Path.Combine(logs, "%x-%j.out"), logs, "/elsewhere/x"));

        Assert.True(result.Succeeded, result.Describe());
        var remoteLogs = Path.Combine(RemoteHome, ".autopilot", "pilots", "pool a");
        Assert.Equal($"--output={remoteLogs}/%x-%j.out\n{remoteLogs}\n/elsewhere/x\n", result.StandardOutput);
        Assert.True(Directory.Exists(remoteLogs));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(remoteLogs));
    }

    [Fact]
    public void An_absolute_remote_folder_is_used_as_is()
    {
        var map = new PathMap(StateDir, "/scratch/me/autopilot/");

        Assert.Equal("'--output=''/scratch/me/autopilot/pilots/p/x.out'", map.Map("--output=" + Path.Combine(StateDir, "pilots/p/x.out"))!.Word);
        Assert.Null(map.Map(StateDir + "-other/x"));
        Assert.Null(map.Map("relative/x"));
    }

    private string WriteScript(string text)
    {
        var dir = Path.Combine(StateDir, "scripts");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "pool.sh");
        File.WriteAllText(path, text);
        return path;
    }

    private string FakeProgram(string name, string body)
    {
        var dir = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private async Task<ProcessResult> Run(ProcessSpec spec, Dictionary<string, string?>? remoteEnv = null)
    {
        Directory.CreateDirectory(RemoteHome);
        Directory.CreateDirectory(RemoteTmp);
        var env = new Dictionary<string, string?> { ["HOME"] = RemoteHome, ["TMPDIR"] = RemoteTmp };
        foreach (var (k, v) in remoteEnv ?? [])
        {
            env[k] = v;
        }

        var runner = new SshProcessRunner(new ShellAsRemote(new ProcessRunner(), env), new SshOptions { Host = "cluster.example", ControlPersist = TimeSpan.Zero }, StateDir);
        return await runner.RunAsync(spec with { Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);
    }

    private static string RandomWord(Random random)
    {
        var runes = Alphabet.EnumerateRunes().ToArray();
        var text = new StringBuilder();
        var length = random.Next(0, 12);
        for (var i = 0; i < length; i++)
        {
            text.Append(runes[random.Next(runes.Length)].ToString());
        }

        return text.ToString();
    }

    /// <summary>
    /// Stands in for the network hop only: takes the ssh command SshProcessRunner built and runs its
    /// remote command string with <c>sh -c</c> here, as sshd would run it with the account's shell.
    /// </summary>
    private sealed class ShellAsRemote(IProcessRunner inner, IReadOnlyDictionary<string, string?> env) : IProcessRunner
    {
        public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
        {
            Assert.Equal("ssh", spec.FileName);
            var dashes = spec.Arguments.ToList().IndexOf("--");
            Assert.Equal("cluster.example", spec.Arguments[dashes - 1]);
            Assert.Equal(dashes + 2, spec.Arguments.Count);
            return inner.RunAsync(spec with { FileName = "sh", Arguments = ["-c", spec.Arguments[^1]], Environment = env }, cancellationToken);
        }
    }
}
