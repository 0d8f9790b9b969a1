using Autopilot.IntegrationTests.Infrastructure;
using Autopilot.Processes;

namespace Autopilot.IntegrationTests.Service;

/// <summary>
/// deploy/install.sh for real, as root, into a temp prefix (it publishes the Native AOT binary once:
/// that is the slow part, so the whole story is one test; tests/run-all.sh published it just before,
/// so the ILCompiler's output is reused), then `systemd-analyze verify` on the INSTALLED
/// units, which point at the installed binary. systemd is not running here; Debian's systemd
/// package still provides systemd-analyze.
/// </summary>
public sealed class DeployTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ap-deploy-").FullName;
    private readonly string _user = TestServices.UniqueName("apsvc");

    private string Prefix => Path.Combine(_root, "opt");

    private string BinDir => Path.Combine(_root, "bin");

    private string StateDir => Path.Combine(_root, "state");

    private string ConfigDir => Path.Combine(_root, "etc");

    private string UnitDir => Path.Combine(_root, "units");

    public void Dispose()
    {
        // install.sh created this service account; nothing else uses it.
        TestServices.RunUncheckedAsync("userdel", [_user]).GetAwaiter().GetResult();
        Directory.Delete(_root, true);
    }

    [Fact]
    public async Task Install_publishes_and_installs_units_that_systemd_analyze_verifies_reinstalls_idempotently_and_uninstalls_keeping_config_and_state()
    {
        Assert.True(IsRoot(), "this test installs system units and a service account: run it as root (tests/run-all.sh does)");
        var analyze = await TestServices.RunUncheckedAsync("sh", ["-c", "command -v systemd-analyze"]);
        Assert.True(analyze.Succeeded, "systemd-analyze is missing: apt-get install systemd (Debian's package provides it even where systemd is not running)");

        // 1. The real thing: publish Native AOT and install the service unit.
        var first = await InstallAsync(build: true, "--systemd");
        Assert.Contains("publishing (Native AOT)", first, StringComparison.Ordinal);
        Assert.Contains($"created system user {_user}", first, StringComparison.Ordinal);
        var binary = Path.Combine(BinDir, "autopilot");
        var app = new DirectoryInfo(Path.Combine(Prefix, "app"));
        Assert.NotNull(app.LinkTarget);
        var firstVersion = app.ResolveLinkTarget(true)!.FullName;
        Assert.Equal(Path.Combine(Prefix, "app", "autopilot"), new FileInfo(binary).LinkTarget);
        var help = await TestServices.RunAsync(binary, ["--help"]);
        Assert.Contains("autopilot", help.StandardOutput, StringComparison.Ordinal);
        // Two native files (autopilot and its kubectl-exec helper) and the SQLite library: no
        // assemblies, no runtime, no debug symbols.
        Assert.Equal(["autopilot", "autopilot-kubectl-exec", "libe_sqlite3.so"], Directory.GetFiles(firstVersion).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(await BuiltVersionAsync(), await VersionAsync(binary));

        // State: private, owned by the service account. Configuration: from the example, group-readable only.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StateDir));
        Assert.Equal(_user, (await TestServices.RunAsync("stat", ["-c", "%U", StateDir])).StandardOutput.Trim());
        var config = Path.Combine(ConfigDir, "autopilot.toml");
        Assert.Contains($"state_dir = \"{StateDir}\"", await File.ReadAllTextAsync(config), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(config));

        var service = await File.ReadAllTextAsync(Path.Combine(UnitDir, "autopilot.service"));
        Assert.Contains($"ExecStart={binary} run --config {config}", service, StringComparison.Ordinal);
        Assert.Contains($"ReadWritePaths={StateDir}", service, StringComparison.Ordinal);
        Assert.Contains($"User={_user}", service, StringComparison.Ordinal);
        foreach (var line in new[] { "Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID", "KillMode=mixed", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=read-only" })
        {
            Assert.Contains("\n" + line, service, StringComparison.Ordinal);
        }

        // 2. Again, with the timer units too (the published folder reused: publishing once is enough).
        await File.AppendAllTextAsync(config, "# edited by the operator\n");
        var again = await InstallAsync(build: false, "--systemd");
        Assert.Contains($"kept existing {config}", again, StringComparison.Ordinal);
        Assert.DoesNotContain("created system user", again, StringComparison.Ordinal);
        Assert.EndsWith("# edited by the operator\n", await File.ReadAllTextAsync(config), StringComparison.Ordinal);
        Assert.Equal(service, await File.ReadAllTextAsync(Path.Combine(UnitDir, "autopilot.service")));
        await InstallAsync(build: false, "--timer");
        var versions = Directory.GetDirectories(Prefix, "app-*");
        Assert.Equal(2, versions.Length);
        Assert.DoesNotContain(firstVersion, versions);
        Assert.Equal(0, (await TestServices.RunUncheckedAsync(binary, ["--help"])).ExitCode);

        // 3. systemd-analyze verify on the installed units: silent and exit 0.
        var units = Directory.GetFiles(UnitDir).Order().ToList();
        Assert.Equal(["autopilot-tick.service", "autopilot-tick.timer", "autopilot.service"], units.Select(Path.GetFileName).Order().ToList());
        var verify = await VerifyAsync(units);
        Assert.True(verify.ExitCode == 0 && verify.StandardError.Trim().Length == 0, $"systemd-analyze verify: {verify.Describe()}\n{verify.StandardError}");

        // ... and it would have caught a unit whose binary is missing (the test can fail).
        var broken = Path.Combine(_root, "broken", "autopilot.service");
        Directory.CreateDirectory(Path.GetDirectoryName(broken)!);
        await File.WriteAllTextAsync(broken, service.Replace($"ExecStart={binary}", $"ExecStart={_root}/nowhere/autopilot", StringComparison.Ordinal));
        var brokenVerify = await VerifyAsync([broken]);
        Assert.NotEqual(0, brokenVerify.ExitCode);
        Assert.Contains("is not executable", brokenVerify.StandardError, StringComparison.Ordinal);

        // 4. Uninstall: the program, link and units go; configuration and state stay.
        var uninstall = await RunInstallShAsync(["--uninstall", .. Locations()], TimeSpan.FromMinutes(2));
        Assert.False(Directory.Exists(Prefix), uninstall);
        Assert.False(File.Exists(binary) || new FileInfo(binary).LinkTarget is not null, uninstall);
        Assert.Empty(Directory.GetFiles(UnitDir));
        Assert.True(File.Exists(config));
        Assert.True(Directory.Exists(StateDir));
        Assert.Contains($"kept configuration in {ConfigDir} and state in {StateDir}", uninstall, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_without_a_C_toolchain_says_so_and_installs_the_ReadyToRun_build()
    {
        Assert.True(IsRoot(), "this test installs into a temp prefix as root: run it as root (tests/run-all.sh does)");

        // Every command of the machine but the C compilers and objcopy: what a host without clang has.
        var path = Path.Combine(_root, "path");
        Directory.CreateDirectory(path);
        foreach (var dir in new[] { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" }.Where(Directory.Exists))
        {
            foreach (var tool in Directory.GetFiles(dir))
            {
                var name = Path.GetFileName(tool);
                var link = Path.Combine(path, name);
                if (!name.StartsWith("clang", StringComparison.Ordinal) && !name.Contains("gcc", StringComparison.Ordinal) && !name.Contains("objcopy", StringComparison.Ordinal)
                    && name is not ("cc" or "c89" or "c99") && !File.Exists(link))
                {
                    File.CreateSymbolicLink(link, tool);
                }
            }
        }

        var output = await RunInstallShAsync(Locations(), TimeSpan.FromMinutes(10), new() { ["PATH"] = path });
        Assert.Contains("the Native AOT toolchain is missing (clang or gcc, and objcopy; Debian: apt-get install clang): installing the ReadyToRun build instead", output, StringComparison.Ordinal);
        Assert.Contains("publishing (ReadyToRun)", output, StringComparison.Ordinal);
        var installed = new DirectoryInfo(Path.Combine(Prefix, "app")).ResolveLinkTarget(true)!.FullName;
        Assert.True(IsReadyToRun(Path.Combine(installed, "Autopilot.Core.dll")), "the installed Autopilot.Core.dll is not ReadyToRun");
        Assert.True(IsReadyToRun(Path.Combine(installed, "autopilot-kubectl-exec.dll")), "the installed kubectl-exec helper is not ReadyToRun");
        Assert.Contains("Internal helper of `autopilot kubectl-exec`", (await TestServices.RunAsync(Path.Combine(installed, "autopilot-kubectl-exec"), ["--help"])).StandardOutput, StringComparison.Ordinal);
        Assert.Equal(await BuiltVersionAsync(), await VersionAsync(Path.Combine(BinDir, "autopilot")));
        await RunInstallShAsync(["--uninstall", .. Locations()], TimeSpan.FromMinutes(2));
    }

    /// <summary>`autopilot --version` of the build output the tests were built with.</summary>
    private static Task<string> BuiltVersionAsync() => VersionAsync(Path.Combine(AppContext.BaseDirectory, "autopilot"));

    private static async Task<string> VersionAsync(string binary) => (await TestServices.RunAsync(binary, ["--version"])).StandardOutput.Trim();

    private string[] Locations() =>
    [
        "--prefix", Prefix, "--bindir", BinDir, "--state-dir", StateDir, "--config-dir", ConfigDir, "--unit-dir", UnitDir, "--user", _user,
    ];

    private async Task<string> InstallAsync(bool build, string mode)
    {
        var from = Path.Combine(_root, "published");
        if (!build)
        {
            // The version install.sh published and installed first, copied aside once.
            if (!Directory.Exists(from))
            {
                await TestServices.RunAsync("cp", ["-a", new DirectoryInfo(Path.Combine(Prefix, "app")).ResolveLinkTarget(true)!.FullName, from]);
            }

            return await RunInstallShAsync([.. Locations(), mode, "--no-build", "--from", from], TimeSpan.FromMinutes(2));
        }

        return await RunInstallShAsync([.. Locations(), mode], TimeSpan.FromMinutes(10));
    }

    private static async Task<string> RunInstallShAsync(IReadOnlyList<string> arguments, TimeSpan timeout, Dictionary<string, string?>? environment = null)
    {
        environment ??= [];
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        var spec = new ProcessSpec("bash", [Path.Combine(TestPaths.Repo, "deploy", "install.sh"), .. arguments], Environment: environment, Timeout: timeout);
        var result = await TestServices.Runner.RunAsync(spec, default);
        Assert.True(result.Succeeded, $"install.sh {string.Join(' ', arguments)}: {result.Describe()}\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    private static Task<ProcessResult> VerifyAsync(IReadOnlyList<string> units) =>
        TestServices.Runner.RunAsync(new ProcessSpec("systemd-analyze", ["verify", .. units], Timeout: TimeSpan.FromSeconds(60)), default);

    private static bool IsRoot() => File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0");

    /// <summary>A ReadyToRun assembly carries a managed native header ("RTR" signature) in its image.</summary>
    private static bool IsReadyToRun(string dll)
    {
        using var stream = File.OpenRead(dll);
        using var pe = new System.Reflection.PortableExecutable.PEReader(stream);
        return pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }
}
