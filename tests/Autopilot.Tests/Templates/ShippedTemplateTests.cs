using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Templates;
using Autopilot.Tests.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.DemandSources.PiCaS;

namespace Autopilot.Tests.Templates;

/// <summary>Every shipped pilot template, rendered with the real renderer (includes from bin-templates/common) and run where it can be.</summary>
public sealed class ShippedTemplateTests
{
    private static readonly string[] Schedulers = ["slurm", "sge", "pbs", "torque", "lsf"];

    private readonly string _dir = ConfigTestSupport.TempDir();

    /// <summary>Every pilot template in a scheduler's folder (not common/ bodies, not wrappers/).</summary>
    public static TheoryData<string> ShippedTemplates()
    {
        var data = new TheoryData<string>();
        var root = Path.Combine(ConfigTestSupport.Repo, "bin-templates");
        foreach (var kind in Schedulers.Prepend("local"))
        {
            foreach (var file in Directory.GetFiles(Path.Combine(root, kind), "*.sh").Order(StringComparer.Ordinal))
            {
                data.Add($"{kind}/{Path.GetFileName(file)}");
            }
        }

        return data;
    }

    private static IReadOnlyDictionary<string, string> ValuesFor(string template, string stateDir, IReadOnlyDictionary<string, string>? extra = null, int idleSeconds = 42)
    {
        var kind = template[..template.IndexOf('/', StringComparison.Ordinal)];
        var vars = new Dictionary<string, string>
        {
            ["server_dir"] = "/shared/hq server",
            ["password_file"] = "/home/alice/.couch pass",
            ["autopilot"] = "/opt/autopilot/autopilot",
            ["task_seconds"] = "1",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            vars[key] = value;
        }

        var pool = new PoolOptions
        {
            Name = "main",
            IdleTimeout = TimeSpan.FromSeconds(idleSeconds),
            TemplateVars = vars,
            Scheduler = new SchedulerOptions { Kind = kind, Cpus = 2 },
            Demand = template.Contains("picas", StringComparison.Ordinal)
                ? new PiCaSOptions { Url = "http://couch.example:5984", Database = "tokens", User = "alice" }
                : new HyperShellOptions(),
        };
        return TemplateValues.For(new AutopilotOptions { StateDir = stateDir }, pool);
    }

    private string RenderToFile(string template, IReadOnlyDictionary<string, string>? extra = null, int idleSeconds = 42)
    {
        var text = TemplateRenderer.Render(TemplateRenderer.Resolve(template, null), ValuesFor(template, _dir, extra, idleSeconds));
        var file = Path.Combine(_dir, template.Replace('/', '-'));
        File.WriteAllText(file, text);
        return file;
    }

    private static async Task<ProcessResult> RunAsync(string shell, string script, IReadOnlyDictionary<string, string?>? environment = null) =>
        await new ProcessRunner().RunAsync(new ProcessSpec(shell, [script], Environment: environment, Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None);

    private static void MakeExecutable(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Theory]
    [MemberData(nameof(ShippedTemplates))]
    public async Task Every_shipped_template_renders_completely_and_passes_its_shells_syntax_check(string template)
    {
        var file = RenderToFile(template);
        var text = File.ReadAllText(file);

        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
        var shell = text.StartsWith("#!/bin/bash\n", StringComparison.Ordinal) ? "bash"
            : text.StartsWith("#!/bin/sh\n", StringComparison.Ordinal) ? "sh"
            : throw new Xunit.Sdk.XunitException($"{template}: no #!/bin/bash or #!/bin/sh first line");
        var check = await new ProcessRunner().RunAsync(new ProcessSpec(shell, ["-n", file], Timeout: TimeSpan.FromSeconds(20)), CancellationToken.None);
        Assert.True(check.ExitCode == 0, $"{shell} -n {template}: {check.StandardError}");
    }

    [Theory]
    [MemberData(nameof(ShippedTemplates))]
    public void Embedded_directives_stand_before_the_first_command(string template)
    {
        var lines = File.ReadAllLines(RenderToFile(template));
        var firstCommand = Array.FindIndex(lines, l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
        var directives = lines.Select((l, i) => (l, i)).Where(x => x.l.StartsWith("#SBATCH", StringComparison.Ordinal)).ToList();

        // sbatch stops reading #SBATCH lines at the first command; the other schedulers take everything from the command line.
        Assert.All(directives, d => Assert.True(d.i < firstCommand, $"{template}:{d.i + 1}: '{d.l}' after the first command"));
        Assert.DoesNotContain(lines, l => l.StartsWith("#$", StringComparison.Ordinal) || l.StartsWith("#PBS", StringComparison.Ordinal) || l.StartsWith("#BSUB", StringComparison.Ordinal));
        if (template is "slurm/hypershell-pilot.sh" or "slurm/picas-pilot.sh")
        {
            Assert.Contains("#SBATCH --signal=B:USR1@'600'", lines);
        }
    }

    [Theory]
    [InlineData("slurm/hypershell-pilot.sh", "bash")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_pilot_the_scheduler_signals_passes_usr1_to_its_client_and_sets_no_timer(string template, string shell)
    {
        var marker = Path.Combine(_dir, "client.log");
        // A stand-in for `hs`: records its arguments, then waits for USR1 like a draining client.
        var fakeHs = Path.Combine(_dir, "hs");
        File.WriteAllText(fakeHs, $"#!/bin/sh\necho \"args: $*\" > '{marker}'\ntrap 'echo drained >> \"{marker}\"; exit 0' USR1\ni=0\nwhile [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\necho timeout >> '{marker}'\nexit 3\n");
        MakeExecutable(fakeHs);
        // walltime 1 h, lead 10 min: a self-timer would not fire within this test anyway; none must be started.
        var script = RenderToFile(template, new Dictionary<string, string> { ["hs_command"] = fakeHs, ["server_port"] = "6000" });

        var start = new System.Diagnostics.ProcessStartInfo(shell, [script]) { RedirectStandardOutput = true };
        start.Environment["SLURM_JOB_ID"] = "77";
        using var pilot = System.Diagnostics.Process.Start(start)!;
        var output = pilot.StandardOutput.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!File.Exists(marker) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        await Task.Delay(200);
        using (var kill = System.Diagnostics.Process.Start("kill", ["-USR1", pilot.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }

        Assert.True(pilot.WaitForExit(8000), "pilot did not exit after USR1");
        var stdout = await output;
        var log = File.ReadAllText(marker);
        Assert.Contains("args: client -H localhost -p 6000 -N 2 -T 42", log, StringComparison.Ordinal);
        Assert.Contains("drained", log, StringComparison.Ordinal);
        Assert.Equal(0, pilot.ExitCode);
        Assert.Contains("drain requested", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("drain lead reached", stdout, StringComparison.Ordinal);
        if (template.StartsWith("slurm/", StringComparison.Ordinal))
        {
            Assert.Contains("job=77 ", stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_local_pilot_logs_its_pilot_id_not_its_process_id()
    {
        // Issue 17: started by the real local scheduler, the pilot names itself local-N in its log.
        var fakeHs = Path.Combine(_dir, "hs");
        File.WriteAllText(fakeHs, "#!/bin/sh\nexit 0\n");
        MakeExecutable(fakeHs);
        var script = RenderToFile("local/hypershell-pilot.sh", new Dictionary<string, string> { ["hs_command"] = fakeHs });
        var scheduler = new Autopilot.Schedulers.Local.LocalScheduler(Path.Combine(_dir, "state"));
        var logs = Path.Combine(_dir, "logs");
        var options = new SchedulerOptions { Kind = "local", Walltime = TimeSpan.FromMinutes(5) };

        var submitted = await scheduler.SubmitAsync(new Autopilot.Schedulers.SubmitRequest("main", "ap-main", script, 1, options, logs), CancellationToken.None);

        var id = Assert.Single(submitted.JobIds);
        var log = Path.Combine(logs, $"ap-main-{id}.out");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(File.Exists(log) && File.ReadAllText(log).Contains("autopilot pilot:", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Contains($"job={id} ", File.ReadAllText(log), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("slurm", "slurm", "SLURM_JOB_ID", "job=41 ")]
    [InlineData("sge", "none", "JOB_ID", "job=41.undefined ")]
    [InlineData("pbs", "pbs", "PBS_JOBID", "job=41 ")]
    [InlineData("torque", "pbs", "PBS_JOBID", "job=41 ")]
    [InlineData("lsf", "none", "LSB_JOBID", "job=41 ")]
    public async Task The_hyperqueue_worker_gets_the_schedulers_manager_and_a_time_limit_short_of_the_lead(string kind, string manager, string jobVariable, string jobText)
    {
        var log = Path.Combine(_dir, "hq.log");
        var fakeHq = Path.Combine(_dir, "hq");
        File.WriteAllText(fakeHq, $"#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\n");
        MakeExecutable(fakeHq);
        var script = RenderToFile($"{kind}/hyperqueue-worker.sh", new Dictionary<string, string> { ["hq_command"] = fakeHq });

        var result = await RunAsync("bash", script, new Dictionary<string, string?> { [jobVariable] = "41" });

        Assert.Equal(0, result.ExitCode);
        // Default walltime 1 h, drain lead 10 min.
        Assert.Equal(
            ["--server-dir", "/shared/hq server", "worker", "start", "--manager", manager, "--cpus", "2", "--idle-timeout", "42s", "--time-limit", "3000s"],
            File.ReadAllLines(log));
        Assert.Contains(jobText, result.StandardOutput, StringComparison.Ordinal);
    }

    public static TheoryData<string> SchedulerKinds() => new(Schedulers);

    [Theory]
    [MemberData(nameof(SchedulerKinds))]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_picas_pilot_talks_to_the_pools_couchdb_with_the_password_on_stdin_only(string kind)
    {
        var secret = Path.Combine(_dir, "pass");
        File.WriteAllText(secret, "s3\"cret\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        var log = Path.Combine(_dir, "curl.log");
        // A stand-in CouchDB behind a stand-in curl: the todo view is empty.
        File.WriteAllText(Path.Combine(bin, "curl"), $"#!/bin/sh\nprintf 'argv: %s\\n' \"$*\" >> '{log}'\nprintf 'stdin: %s\\n' \"$(cat)\" >> '{log}'\necho '{{\"total_rows\":0,\"rows\":[]}}'\n");
        MakeExecutable(Path.Combine(bin, "curl"));
        var script = RenderToFile($"{kind}/picas-pilot.sh", new Dictionary<string, string> { ["password_file"] = secret, ["poll_seconds"] = "1" }, idleSeconds: 1);
        var values = ValuesFor($"{kind}/picas-pilot.sh", _dir);

        var result = await RunAsync("bash", script, new Dictionary<string, string?>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
        });

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(("http://couch.example:5984", "tokens", "alice"), (values["db_url"], values["db_name"], values["db_user"]));
        var calls = File.ReadAllLines(log);
        Assert.Equal("argv: -sS -K - -X GET http://couch.example:5984/tokens/_design/Monitor/_view/todo?limit=20&include_docs=true", calls[0]);
        Assert.Equal("stdin: user = \"alice:s3\\\"cret\"", calls[1]);
        Assert.DoesNotContain(calls, l => l.StartsWith("argv:", StringComparison.Ordinal) && l.Contains("s3", StringComparison.Ordinal));
        Assert.Contains("db=http://couch.example:5984/tokens", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("no token for 1s", result.StandardOutput, StringComparison.Ordinal);
    }

    private const string Key = "k3y-0f-the-hs-server-0123456789";

    /// <summary>A stand-in for `hs` that records its arguments, its environment and the configuration file it was given.</summary>
    private string FakeHsRecording(string record)
    {
        var fakeHs = Path.Combine(_dir, "hs");
        File.WriteAllText(fakeHs, $"#!/bin/sh\n{{ echo \"argv: $*\"; env | sed 's/^/env: /'; [ -n \"${{HYPERSHELL_CONFIG_FILE:-}}\" ] && stat -c 'mode: %a' \"$HYPERSHELL_CONFIG_FILE\" && sed 's/^/config: /' \"$HYPERSHELL_CONFIG_FILE\"; }} > '{record}'\nexit 0\n");
        MakeExecutable(fakeHs);
        return fakeHs;
    }

    [Theory]
    [InlineData("slurm/hypershell-pilot.sh", "bash")]
    [InlineData("sge/hypershell-pilot.sh", "bash")]
    [InlineData("local/hypershell-pilot.sh", "sh")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_client_gets_server_key_tls_and_capture_explicitly_and_the_key_only_from_a_private_file(string template, string shell)
    {
        // Issue 19, item 3: on a compute node there is no submitter environment to lean on.
        var record = Path.Combine(_dir, "hs.record");
        var keyFile = Path.Combine(_dir, "hs.key");
        File.WriteAllText(keyFile, Key + "\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var ca = Path.Combine(_dir, "server.crt");
        File.WriteAllText(ca, "-----BEGIN CERTIFICATE-----\n");
        var script = RenderToFile(template, new Dictionary<string, string>
        {
            ["hs_command"] = FakeHsRecording(record),
            ["server_host"] = "hs.example.org",
            ["server_port"] = "50123",
            ["server_auth_file"] = keyFile,
            ["server_tls_ca"] = ca,
            ["hypershell_site"] = Path.Combine(_dir, "site"),
        });

        var result = await RunAsync(shell, script, new Dictionary<string, string?> { ["TMPDIR"] = _dir });

        Assert.True(result.ExitCode == 0, result.StandardError);
        var lines = File.ReadAllLines(record);
        Assert.Contains($"argv: client -H hs.example.org -p 50123 -N 2 -T 42 --capture --tls-ca {ca}", lines);
        Assert.Contains($"env: HYPERSHELL_SITE={Path.Combine(_dir, "site")}", lines);
        Assert.Contains("mode: 600", lines);
        Assert.Contains("config: [server]", lines);
        Assert.Contains($"config: auth = \"{Key}\"", lines);
        // The key reaches the client only through that file: not its arguments, not its environment, not the script.
        Assert.DoesNotContain(lines, l => (l.StartsWith("argv:", StringComparison.Ordinal) || l.StartsWith("env:", StringComparison.Ordinal)) && l.Contains(Key, StringComparison.Ordinal));
        Assert.DoesNotContain(Key, File.ReadAllText(script), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.StandardOutput + result.StandardError, StringComparison.Ordinal);
        // ... and the file is gone when the pilot ends.
        Assert.Empty(Directory.GetFiles(_dir, "autopilot-hs-client.*"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task No_tls_and_no_capture_are_the_sites_choice()
    {
        var record = Path.Combine(_dir, "hs.record");
        var script = RenderToFile("slurm/hypershell-pilot.sh", new Dictionary<string, string>
        {
            ["hs_command"] = FakeHsRecording(record),
            ["server_tls"] = "no",
            ["hs_capture"] = "no",
        });

        var result = await RunAsync("bash", script);

        Assert.True(result.ExitCode == 0, result.StandardError);
        var lines = File.ReadAllLines(record);
        Assert.Contains("argv: client -H localhost -p 50001 -N 2 -T 42 --no-tls", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("env: HYPERSHELL_CONFIG_FILE=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0640", "", "is readable by group or others")]
    [InlineData("0600", "has spaces in it", "does not hold a HyperShell auth key")]
    [InlineData("0600", "", "is empty")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_key_file_others_can_read_or_that_holds_no_key_stops_the_pilot_before_the_client(string mode, string content, string message)
    {
        var record = Path.Combine(_dir, "hs.record");
        var keyFile = Path.Combine(_dir, "hs.key");
        File.WriteAllText(keyFile, content.Length == 0 && mode == "0600" ? "" : content.Length == 0 ? Key : content);
        File.SetUnixFileMode(keyFile, Convert.ToInt32(mode, 8) == 0x1A0 ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var script = RenderToFile("slurm/hypershell-pilot.sh", new Dictionary<string, string>
        {
            ["hs_command"] = FakeHsRecording(record),
            ["server_auth_file"] = keyFile,
        });

        var result = await RunAsync("bash", script);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(record), "hs ran");
    }
}
