using System.CommandLine;
using System.Diagnostics;
using Autopilot.Cli;
using static Autopilot.Tests.Operations.OpsTestSupport;

namespace Autopilot.Tests.Operations;

/// <summary>The hs site wrapper (rendered, checked, and run against a fake hs) and every command's --help.</summary>
public sealed class WrapperAndHelpTests
{
    private readonly string dir = TempDir();

    private string Config(string demand, string extra = "")
    {
        var path = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(path, $"""
            state_dir = "{dir}/state"
            [log]
            file = false
            [[pool]]
            name = "main"
            wrapper = "wrappers/hs-site.sh"
            {extra}
            [pool.demand]
            {demand}
            """);
        return path;
    }

    /// <summary>Runs the rendered wrapper with a fake hs that prints its argv and HYPERSHELL_ environment.</summary>
    private (int Exit, string Output, string Error) RunWrapper(string wrapper, IDictionary<string, string> env, params string[] args)
    {
        var fakeHs = WriteScript(Path.Combine(dir, "bin", "hs"), """
            #!/bin/sh
            printf 'argv:'; printf ' [%s]' "$@"; printf '\n'
            env | grep '^HYPERSHELL_' | sort
            """);
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(wrapper);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PATH"] = Path.GetDirectoryName(fakeHs) + ":/usr/bin:/bin";
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error);
    }

    [Fact]
    public async Task Sqlite_wrapper_pins_the_database_and_refuses_overrides()
    {
        var db = Path.Combine(dir, "it's main.db");
        var config = Config($"path = \"{db}\"");
        var wrapper = Path.Combine(dir, "main-hs");

        var (exit, output, error) = await Run("wrapper", "--pool", "main", "--output", wrapper, "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.Equal($"wrote {wrapper} (pool main)\n", output);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(wrapper));

        // The caller's own database settings are dropped, not merged.
        var run = RunWrapper(wrapper, new Dictionary<string, string> { ["HYPERSHELL_DATABASE_FILE"] = "/tmp/other.db", ["HYPERSHELL_DATABASE_PROVIDER"] = "postgres", ["HYPERSHELL_DATABASE_HOST"] = "elsewhere" },
            "task", "search", "--failed");
        Assert.True(run.Exit == 0, run.Error);
        Assert.Equal($"argv: [task] [search] [--failed]\nHYPERSHELL_DATABASE_FILE={db}\nHYPERSHELL_DATABASE_PROVIDER=sqlite\n", run.Output);

        foreach (var bad in new[] { "--database=/tmp/x.db", "--db", "database.file" })
        {
            run = RunWrapper(wrapper, new Dictionary<string, string>(), "config", "set", bad);
            Assert.Equal(2, run.Exit);
            Assert.Contains($"'{bad}' would point hs at another database", run.Error, StringComparison.Ordinal);
            Assert.Equal("", run.Output);
        }

        run = RunWrapper(wrapper, new Dictionary<string, string>(), "config", "get", "database.file");
        Assert.Equal(0, run.Exit);
    }

    [Fact]
    public async Task Postgres_wrapper_reads_the_password_at_run_time_and_never_embeds_it()
    {
        var passwordFile = Path.Combine(dir, "pg.pass");
        File.WriteAllText(passwordFile, "s3cret-Pw");
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = Config($"""
            backend = "postgres"
            [pool.demand.postgres]
            host = "db.example.org"
            port = 5433
            database = "pipeline"
            user = "hs"
            schema = "main"
            password_file = "{passwordFile}"
            """, "template_vars = { server_port = \"50001\" }");

        var (exit, text, error) = await Run("wrapper", "--config", config, "-q");

        Assert.True(exit == 0, error);
        Assert.DoesNotContain("s3cret-Pw", text, StringComparison.Ordinal);
        var wrapper = Path.Combine(dir, "rendered-hs");
        File.WriteAllText(wrapper, text);
        var run = RunWrapper(wrapper, new Dictionary<string, string>(), "task", "info", "abc");
        Assert.True(run.Exit == 0, run.Error);
        Assert.Equal(
            "argv: [task] [info] [abc]\nHYPERSHELL_DATABASE_DATABASE=pipeline\nHYPERSHELL_DATABASE_HOST=db.example.org\nHYPERSHELL_DATABASE_PASSWORD=s3cret-Pw\n"
            + "HYPERSHELL_DATABASE_PORT=5433\nHYPERSHELL_DATABASE_PROVIDER=postgres\nHYPERSHELL_DATABASE_SCHEMA=main\nHYPERSHELL_DATABASE_USER=hs\nHYPERSHELL_SERVER_PORT=50001\n",
            run.Output);
    }

    [Fact]
    public async Task Check_renders_the_wrapper_and_reports_its_errors()
    {
        var templates = Path.Combine(dir, "templates", "wrappers");
        Directory.CreateDirectory(templates);
        File.WriteAllText(Path.Combine(templates, "hs-site.sh"), "#!/bin/sh\nexport HYPERSHELL_DATABASE_FILE={{db_file}}\nexec hs --site {{hs_site_typo}} \"$@\"\n");
        var config = Config($"path = \"{dir}/main.db\"");
        File.WriteAllText(config, $"template_dir = \"{dir}/templates\"\n" + File.ReadAllText(config));

        var (exit, output, _) = await Run("check", "--config", config, "-q");

        Assert.Equal(2, exit);
        Assert.Contains($"{templates}/hs-site.sh:3:16: pool:0:wrapper: unknown placeholder '{{{{hs_site_typo}}}}'", output, StringComparison.Ordinal);

        // The shipped wrapper renders cleanly.
        File.Delete(Path.Combine(templates, "hs-site.sh"));
        (exit, output, _) = await Run("check", "--config", config, "-q");
        Assert.True(exit == 0, output);
    }

    [Fact]
    public void Every_command_help_has_an_example()
    {
        var missing = CommandCatalog.All()
            .Where(c => c.Description is null || !c.Description.Contains("Example: autopilot " + c.Name, StringComparison.Ordinal))
            .Select(c => c.Name)
            .ToList();
        Assert.Empty(missing);
        Assert.Contains(CommandCatalog.All(), c => c.Name == "kubectl-exec");
    }

    [Fact]
    public async Task Help_output_shows_the_example()
    {
        foreach (var name in new[] { "logs", "kubectl-exec", "wrapper", "config", "check" })
        {
            var (_, output, _) = await Run(name, "--help");
            Assert.Contains("Example: autopilot " + name, output, StringComparison.Ordinal);
        }
    }
}
