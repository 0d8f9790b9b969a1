using Autopilot.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.DemandSources.PiCaS;

namespace Autopilot.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private const string IssueCase = """
        state_dir = "/tmp/autopilot-test-state"

        [[pool]]
        name = "main"

        [pool.limits]
        max_pilot = 4
        min_pilots = 12
        max_pilots = 5
        tasks_per_pilot = "ten"
        """;

    [Fact]
    public void Misspelled_key_string_for_number_and_min_above_max_give_three_errors_with_lines()
    {
        var path = ConfigTestSupport.WriteConfig(IssueCase);

        var config = ConfigTestSupport.Load(path);

        Assert.Equal(
            [
                $"{path}:7:1: pool:0:limits:max_pilot: unknown key; did you mean 'max_pilots'?",
                $"{path}:8:1: pool:0:limits:min_pilots: min_pilots (12) is greater than max_pilots (5)",
                $"{path}:10:1: pool:0:limits:tasks_per_pilot: expected an integer, got string \"ten\"",
            ],
            config.Errors.Select(e => e.ToString()));
        Assert.False(config.IsValid);
    }

    [Fact]
    public void Example_file_binds_without_errors()
    {
        var config = ConfigTestSupport.Load(ConfigTestSupport.Example);

        Assert.Empty(config.Errors);
        var pool = Assert.Single(config.Options.Pools);
        Assert.Equal("main", pool.Name);
        Assert.Equal("local", pool.Scheduler.Kind);
        Assert.Equal("hypershell", pool.Demand.Kind);
        Assert.Equal("sqlite", ((HyperShellOptions)pool.Demand).Backend);
        Assert.Equal(TimeSpan.FromHours(1), pool.Scheduler.Walltime);
        Assert.Equal("localhost", pool.TemplateVars["server_host"]);
    }

    [Fact]
    public void Example_file_states_every_default()
    {
        // The example's values are the documented defaults; apart from the pool's name and
        // template_vars, and the paths it spells out, binding it equals binding nothing.
        var fromExample = ConfigTestSupport.Load(ConfigTestSupport.Example).Options;
        var defaults = new AutopilotOptions { StateDir = fromExample.StateDir, Pools = [new PoolOptions { Name = "main" }] };
        var exampleDump = ConfigDump.ToToml(fromExample with
        {
            Pools = [fromExample.Pools[0] with { TemplateVars = new Dictionary<string, string>(), Demand = (HyperShellOptions)fromExample.Pools[0].Demand with { Path = null } }],
        });

        Assert.Equal(ConfigDump.ToToml(defaults), exampleDump);
    }

    [Fact]
    public void Dump_of_the_effective_configuration_reads_back_identically()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [[pool]]
            name = "a"
            template_vars = { server_host = "login1", quote = "it's \"x\"" }
            [pool.scheduler]
            kind = "slurm"
            walltime = "2-00:00:00"
            memory = "1.5G"
            extra_args = ["--qos=high", "--exclusive"]
            [[pool]]
            name = "b"
            [pool.policy]
            backoff = ["30s", "2m"]
            ramp_up_fraction = 0.5
            """);
        var first = ConfigTestSupport.Load(path);
        Assert.Empty(first.Errors);
        var dumped = ConfigDump.ToToml(first.Options);

        var second = ConfigTestSupport.Load(ConfigTestSupport.WriteConfig(dumped));

        Assert.Empty(second.Errors);
        Assert.Equal(dumped, ConfigDump.ToToml(second.Options));
        Assert.Equal(1536, second.Options.Pools[0].Scheduler.MemoryMb);
        Assert.Equal(["--qos=high", "--exclusive"], second.Options.Pools[0].Scheduler.ExtraArgs);
        Assert.Equal("it's \"x\"", second.Options.Pools[0].TemplateVars["quote"]);
    }

    [Fact]
    public void Environment_variable_wins_over_file_and_records_its_origin()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [[pool]]
            name = "main"
            [pool.limits]
            max_pilots = 5
            """);
        var env = new Dictionary<string, string>
        {
            ["AUTOPILOT__POOL__0__LIMITS__MAX_PILOTS"] = "9",
            ["AUTOPILOT__LOG__LEVEL"] = "debug",
        };

        var config = ConfigTestSupport.Load(path, env);

        Assert.Empty(config.Errors);
        Assert.Equal(9, config.Options.Pools[0].Limits.MaxPilots);
        Assert.Equal("debug", config.Options.Log.Level);
        Assert.Equal("env AUTOPILOT__POOL__0__LIMITS__MAX_PILOTS", config.OriginOf("pool:0:limits:max_pilots").Description);
        Assert.Equal($"{path}:2:1", config.OriginOf("pool:0:name").Description);
        Assert.Equal(ConfigOrigin.Default, config.OriginOf("pool:0:limits:min_pilots"));
    }

    [Fact]
    public void Command_line_wins_over_environment_and_addresses_pools_by_name()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [[pool]]
            name = "first"
            [[pool]]
            name = "gpu.a100"
            [pool.limits]
            max_pilots = 5
            """);
        var env = new Dictionary<string, string> { ["AUTOPILOT__POOL__1__LIMITS__MAX_PILOTS"] = "9" };

        var config = ConfigTestSupport.Load(path, env, ["pool:gpu.a100:limits:max_pilots=11", "pool.0.scheduler.walltime=2h"]);

        Assert.Empty(config.Errors);
        Assert.Equal(11, config.Options.Pools[1].Limits.MaxPilots);
        Assert.Equal(TimeSpan.FromHours(2), config.Options.Pools[0].Scheduler.Walltime);
        Assert.Equal(ConfigOriginKind.CommandLine, config.OriginOf("pool:1:limits:max_pilots").Kind);
    }

    [Fact]
    public void Bad_values_from_environment_and_command_line_name_their_origin()
    {
        var path = ConfigTestSupport.WriteConfig("[[pool]]\nname = \"main\"\n");
        var env = new Dictionary<string, string> { ["AUTOPILOT__POOL__0__LIMITS__MAX_QUEUED"] = "many", ["AUTOPILOT__STATEDIR"] = "/x" };

        var config = ConfigTestSupport.Load(path, env, ["pool.main.scheduler.cpus=-2", "pool.nope.limits.max_pilots=1", "garbage"]);

        var lines = config.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("env AUTOPILOT__POOL__0__LIMITS__MAX_QUEUED: pool:0:limits:max_queued: expected an integer, got 'many'", lines);
        Assert.Contains("env AUTOPILOT__STATEDIR: statedir: unknown key; did you mean 'state_dir'?", lines);
        Assert.Contains("--set pool.main.scheduler.cpus: pool:0:scheduler:cpus: must be at least 1, got -2", lines);
        Assert.Contains("--set pool.nope.limits.max_pilots: pool.nope.limits.max_pilots: no pool named 'nope'", lines);
        Assert.Contains(lines, l => l.StartsWith("--set garbage: expected key=value", StringComparison.Ordinal));
        Assert.Equal(5, lines.Count);
    }

    [Fact]
    public void Every_kind_of_problem_is_reported_at_once()
    {
        var path = ConfigTestSupport.WriteConfig("""
            schedule = "*/5 * * *"
            job_prefix = "auto pilot"

            [log]
            level = "chatty"
            retained_files = -1

            [[pool]]
            name = "main/1"
            idle_timeout = "soon"
            [pool.scheduler]
            kind = "slurn"
            walltime = "1:30"
            memory = "4X"
            cpus = 2.5
            drain_lead = "2h"
            extra_args = "--qos=x"
            [pool.demand]
            kind = "picas"
            url = "https://admin:secret@couch.example.org"
            password = "hunter2"
            [pool.policy]
            ramp_up_fraction = 0
            [pool.template_vars]
            pool = "x"

            [[pool]]
            name = "main/1"
            """);

        var config = ConfigTestSupport.Load(path);

        var lines = config.Errors.Select(e => e.ToString()).ToList();
        void Has(int line, string key, string fragment) =>
            Assert.Contains(lines, l => l.StartsWith($"{path}:{line}:", StringComparison.Ordinal) && l.Contains($": {key}: ", StringComparison.Ordinal) && l.Contains(fragment, StringComparison.Ordinal));
        Has(1, "schedule", "has 4 fields");
        Has(2, "job_prefix", "may only contain");
        Has(5, "log:level", "unknown log level 'chatty'");
        Has(6, "log:retained_files", "must be at least 1");
        Has(9, "pool:0:name", "may only contain");
        Has(10, "pool:0:idle_timeout", "bad duration 'soon'");
        Has(12, "pool:0:scheduler:kind", "did you mean 'slurm'?");
        Has(13, "pool:0:scheduler:walltime", "bad walltime '1:30'");
        Has(14, "pool:0:scheduler:memory", "bad memory unit");
        Has(15, "pool:0:scheduler:cpus", "expected an integer, got float 2.5");
        Has(16, "pool:0:scheduler:drain_lead", "must be shorter than walltime");
        Has(17, "pool:0:scheduler:extra_args", "expected an array of strings");
        Has(20, "pool:0:demand:url", "credentials in the URL are not accepted");
        Has(21, "pool:0:demand:password", "inline passwords are not accepted");
        Has(23, "pool:0:policy:ramp_up_fraction", "must be in (0, 1]");
        Has(25, "pool:0:template_vars:pool", "built-in");
        Has(28, "pool:1:name", "duplicate pool name 'main/1'");
        Assert.Contains(lines, l => l.Contains("pool:0:demand:database: the picas demand source needs", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("secret", StringComparison.Ordinal) || l.Contains("hunter2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("-x")]
    [InlineData("--pool")]
    [InlineData("a/b")]
    [InlineData("")]
    public void Pool_names_that_escape_the_state_folder_or_read_as_options_are_refused(string name)
    {
        var path = ConfigTestSupport.WriteConfig($"state_dir = \"/tmp/x\"\n[[pool]]\nname = \"{name}\"\n");

        var config = ConfigTestSupport.Load(path);

        var error = Assert.Single(config.Errors, e => e.Key == "pool:0:name");
        Assert.StartsWith($"{path}:3:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains(name.Length == 0 ? "every pool needs a name" : "may not start with '.' or '-'", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("main")]
    [InlineData("gpu.a100")]
    [InlineData("_x-1")]
    [InlineData("9lives")]
    public void Ordinary_pool_names_are_accepted(string name)
    {
        var path = ConfigTestSupport.WriteConfig($"state_dir = \"/tmp/x\"\n[[pool]]\nname = \"{name}\"\n");

        var config = ConfigTestSupport.Load(path);

        Assert.DoesNotContain(config.Errors, e => e.Key == "pool:0:name");
        Assert.Equal(name, Assert.Single(config.Options.Pools).Name);
    }

    [Fact]
    public void Stale_lock_keys_bind_and_a_per_tick_reset_needs_its_limit()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [[pool]]
            name = "a"
            [pool.demand]
            kind = "picas"
            url = "http://couch.example.org:5984"
            database = "tokens"
            stale_lock_after = "6h"
            stale_lock_by_age = true
            reset_stale_locks = true

            [[pool]]
            name = "b"
            [pool.demand]
            kind = "picas"
            url = "http://couch.example.org:5984"
            database = "tokens"
            reset_stale_locks = true
            """);

        var config = ConfigTestSupport.Load(path);

        var a = (PiCaSOptions)config.Options.Pools[0].Demand;
        Assert.Equal(TimeSpan.FromHours(6), a.StaleLockAfter);
        Assert.True(a.StaleLockByAge);
        Assert.True(a.ResetStaleLocks);
        Assert.Null(((PiCaSOptions)config.Options.Pools[1].Demand).StaleLockAfter);
        var error = Assert.Single(config.Errors);
        Assert.Equal($"{path}:17:1: pool:1:demand:reset_stale_locks: needs stale_lock_after: how long a token may stay locked before its lock is judged", error.ToString());
    }

    [Fact]
    public void Keys_in_the_file_are_case_sensitive_as_toml_says()
    {
        var path = ConfigTestSupport.WriteConfig("[[pool]]\nname = \"main\"\n[pool.limits]\nMax_Pilots = 3\n");

        var config = ConfigTestSupport.Load(path);

        Assert.Equal($"{path}:4:1: pool:0:limits:Max_Pilots: unknown key; did you mean 'max_pilots'?", Assert.Single(config.Errors).ToString());
    }

    [Fact]
    public void Pool_written_as_a_plain_table_is_explained()
    {
        var path = ConfigTestSupport.WriteConfig("[pool]\nname = \"main\"\n");

        var config = ConfigTestSupport.Load(path);

        var error = Assert.Single(config.Errors);
        Assert.Equal($"{path}:1:1: pool: pools are an array of tables: write [[pool]], not [pool]", error.ToString());
    }

    [Fact]
    public void Toml_syntax_error_is_reported_with_line_and_column()
    {
        var path = ConfigTestSupport.WriteConfig("state_dir = \"/tmp\"\nmax_pilots = = 3\n");

        var config = ConfigTestSupport.Load(path);

        var error = Assert.Single(config.Errors);
        Assert.StartsWith($"{path}:2:", error.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void No_file_anywhere_means_defaults_and_no_pools()
    {
        var cwd = ConfigTestSupport.TempDir();

        var config = ConfigLoader.Load(new ConfigRequest
        {
            Environment = new Dictionary<string, string> { ["HOME"] = cwd },
            WorkingDirectory = cwd,
        });

        Assert.Null(config.Path);
        Assert.Empty(config.Errors);
        Assert.Empty(config.Options.Pools);
        Assert.Equal(Path.Combine(cwd, "autopilot.toml"), config.Searched[0]);
        Assert.Equal(Path.Combine(cwd, ".config", "autopilot", "autopilot.toml"), config.Searched[1]);
        Assert.Equal("/etc/autopilot/autopilot.toml", config.Searched[2]);
    }

    [Fact]
    public void Search_order_prefers_explicit_then_variable_then_working_directory_then_home()
    {
        var cwd = ConfigTestSupport.TempDir();
        var home = ConfigTestSupport.TempDir();
        Directory.CreateDirectory(Path.Combine(home, ".config", "autopilot"));
        var homeFile = Path.Combine(home, ".config", "autopilot", "autopilot.toml");
        File.WriteAllText(homeFile, "job_prefix = \"home\"\n");
        var env = new Dictionary<string, string> { ["HOME"] = home };
        var request = new ConfigRequest { Environment = env, WorkingDirectory = cwd };

        Assert.Equal("home", ConfigLoader.Load(request).Options.JobPrefix);

        File.WriteAllText(Path.Combine(cwd, "autopilot.toml"), "job_prefix = \"cwd\"\n");
        Assert.Equal("cwd", ConfigLoader.Load(request).Options.JobPrefix);

        var fromVar = Path.Combine(ConfigTestSupport.TempDir(), "x.toml");
        File.WriteAllText(fromVar, "job_prefix = \"var\"\n");
        env["AUTOPILOT_CONFIG"] = fromVar;
        Assert.Equal("var", ConfigLoader.Load(request).Options.JobPrefix);

        var explicitFile = Path.Combine(ConfigTestSupport.TempDir(), "y.toml");
        File.WriteAllText(explicitFile, "job_prefix = \"explicit\"\n");
        Assert.Equal("explicit", ConfigLoader.Load(request with { ConfigPath = explicitFile }).Options.JobPrefix);

        var missing = ConfigLoader.Load(request with { ConfigPath = "/nonexistent/autopilot.toml" });
        Assert.Equal("--config: configuration file /nonexistent/autopilot.toml does not exist", Assert.Single(missing.Errors).ToString());
    }

    [Fact]
    public void Relative_paths_resolve_against_the_config_folder_and_home_is_expanded()
    {
        var dir = ConfigTestSupport.TempDir();
        var path = ConfigTestSupport.WriteConfig("""
            state_dir = "state"
            [[pool]]
            name = "main"
            [pool.demand]
            path = "~/tasks.db"
            """, dir);

        var config = ConfigTestSupport.Load(path, cwd: "/");

        Assert.Equal(Path.Combine(dir, "state"), config.Options.StateDir);
        Assert.Equal(Environment.GetEnvironmentVariable("HOME") + "/tasks.db", ((HyperShellOptions)config.Options.Pools[0].Demand).Path);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Password_file_readable_by_others_is_refused_and_private_one_accepted()
    {
        var dir = ConfigTestSupport.TempDir();
        var secret = Path.Combine(dir, "pg.pass");
        File.WriteAllText(secret, "s3cr3t-Value\n");
        var path = ConfigTestSupport.WriteConfig($"""
            [[pool]]
            name = "main"
            [pool.demand]
            backend = "postgres"
            [pool.demand.postgres]
            database = "hypershell"
            password_file = "{secret}"
            """, dir);

        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var refused = ConfigTestSupport.Load(path, checkSecrets: true);
        var error = Assert.Single(refused.Errors);
        Assert.Equal($"{path}:7:1", error.Location);
        Assert.Equal("pool:0:demand:postgres:password_file", error.Key);
        Assert.Contains("readable by group or others (mode 0644)", error.Message, StringComparison.Ordinal);
        Assert.Contains("chmod go-rwx", error.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var accepted = ConfigTestSupport.Load(path, checkSecrets: true);
        Assert.Empty(accepted.Errors);

        Assert.DoesNotContain(refused.Errors, e => e.ToString().Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public void Password_variable_must_be_set_at_check_time_and_both_forms_are_exclusive()
    {
        var path = ConfigTestSupport.WriteConfig("""
            [leader]
            enabled = true
            [leader.postgres]
            database = "autopilot"
            password_env = "AUTOPILOT_TEST_UNSET_PASSWORD"
            [[pool]]
            name = "main"
            [pool.demand]
            password_file = "/x"
            password_env = "Y"
            """);

        var config = ConfigTestSupport.Load(path, checkSecrets: true);

        var lines = config.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains($"{path}:5:1: leader:postgres:password_env: environment variable AUTOPILOT_TEST_UNSET_PASSWORD is not set", lines);
        Assert.Contains($"{path}:10:1: pool:0:demand:password_env: set password_file or password_env, not both", lines);
    }

    [Fact]
    public void Document_tree_indexes_arrays_of_tables_with_their_positions()
    {
        var doc = TomlDocument.Parse("""
            a = 1
            [[pool]]
            name = "x"
            args = ["p", "q"]
            empty = []
            [pool.sub]
            k = true
            """, "t.toml");

        Assert.Empty(doc.Errors);
        var root = doc.Root;
        Assert.Equal("1", root.Find("a")!.Text);
        Assert.Equal("x", root.Find("pool:0:name")!.Text);
        Assert.Equal("q", root.Find("pool:0:args:1")!.Text);
        Assert.True(root.Find("pool:0:empty")!.IsArray);
        Assert.Empty(root.Find("pool:0:empty")!.ChildKeys);
        Assert.Equal("true", root.Find("pool:0:sub:k")!.Text);
        Assert.Equal("t.toml:7:1", root.Find("pool:0:sub:k")!.Origin.Description);
    }
}
