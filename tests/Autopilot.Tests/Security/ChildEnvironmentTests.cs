using System.Collections;
using Autopilot.Configuration;
using Autopilot.Processes;
using Autopilot.Tests.Configuration;
using Autopilot.DemandSources.HyperShell;
using Autopilot.DemandSources.PiCaS;

namespace Autopilot.Tests.Security;

/// <summary>Issue 14 problem 1: what of Autopilot's own environment reaches a child process.</summary>
public sealed class ChildEnvironmentTests
{
    private static Hashtable Current(params (string Name, string Value)[] variables)
    {
        var table = new Hashtable();
        foreach (var (name, value) in variables)
        {
            table[name] = value;
        }

        return table;
    }

    [Fact]
    public void Only_the_allow_list_is_inherited()
    {
        var env = ChildEnvironment.Build(null, Current(
            ("PATH", "/usr/bin"), ("HOME", "/home/u"), ("LANG", "C.UTF-8"), ("LC_TIME", "C"), ("TZ", "UTC"),
            ("SLURM_CONF", "/etc/slurm/slurm.conf"), ("SGE_ROOT", "/sge"), ("PBS_CONF_FILE", "/etc/pbs.conf"), ("LSF_ENVDIR", "/lsf/conf"),
            ("DB_PASS", "hunter2"), ("AWS_ACCESS_KEY_ID", "AKIA"), ("PGPASSWORD", "pw"), ("LD_PRELOAD", "/tmp/x.so"), ("SBATCH_EXPORT", "ALL")));

        Assert.Equal(
            ["HOME", "LANG", "LC_TIME", "LSF_ENVDIR", "PATH", "PBS_CONF_FILE", "SGE_ROOT", "SLURM_CONF", "TZ"],
            env.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void As_changes_every_other_inherited_variable_is_removed()
    {
        var changes = ChildEnvironment.Changes(
            new Dictionary<string, string?> { ["SLURM_TIME_FORMAT"] = "standard" },
            Current(("PATH", "/usr/bin"), ("DB_PASS", "hunter2"), ("SQUEUE_FORMAT", "%i")));

        Assert.Equal("/usr/bin", changes["PATH"]);
        Assert.Equal("standard", changes["SLURM_TIME_FORMAT"]);
        Assert.True(changes.ContainsKey("DB_PASS") && changes["DB_PASS"] is null);
        Assert.True(changes.ContainsKey("SQUEUE_FORMAT") && changes["SQUEUE_FORMAT"] is null);
        Assert.Equal(4, changes.Count);
    }

    [Theory]
    [InlineData("LSF_DB_PASSWORD")]
    [InlineData("PBS_SECRET")]
    [InlineData("LC_API_TOKEN")]
    public void A_name_that_says_secret_is_dropped_even_under_an_allowed_prefix(string name)
    {
        Assert.False(ChildEnvironment.IsInherited(name));
        Assert.Empty(ChildEnvironment.Build(new Dictionary<string, string?> { [name] = "x" }, Current((name, "x"))));
    }

    [Fact]
    public void A_password_env_named_by_the_configuration_never_passes_not_even_as_an_explicit_setting()
    {
        // An allow-listed prefix on purpose: the configuration's word is what counts.
        var variable = "LC_H14A_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Assert.True(ChildEnvironment.IsInherited(variable));
        var path = ConfigTestSupport.WriteConfig($"""
            [[pool]]
            name = "main"
            [pool.demand]
            kind = "hypershell"
            backend = "postgres"
            [pool.demand.postgres]
            host = "db"
            database = "hs"
            user = "hs"
            password_env = "{variable}"
            """);

        var loaded = ConfigTestSupport.Load(path);

        Assert.Empty(loaded.Errors);
        Assert.False(ChildEnvironment.IsInherited(variable));
        Assert.Empty(ChildEnvironment.Build(new Dictionary<string, string?> { [variable] = "set by a caller" }, Current((variable, "s3cret"))));
    }

    [Fact]
    public async Task A_real_child_sees_neither_a_password_env_nor_anything_else_outside_the_allow_list()
    {
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var plain = "H14A_PLAIN_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(plain, secret);
        try
        {
            var result = await new ProcessRunner().RunAsync(
                new ProcessSpec("sh", ["-c", "env; echo \"$HOME\""], Environment: new Dictionary<string, string?> { ["SLURM_TIME_FORMAT"] = "standard" }),
                CancellationToken.None);

            Assert.True(result.Succeeded, result.Describe());
            Assert.DoesNotContain(secret, result.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(plain, result.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("SLURM_TIME_FORMAT=standard", result.StandardOutput, StringComparison.Ordinal);
            Assert.Contains("PATH=", result.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(plain, null);
        }
    }

    [Fact]
    public void Secret_variables_lists_every_password_env()
    {
        var options = new AutopilotOptions
        {
            Leader = new LeaderOptions { Postgres = new PostgresOptions { PasswordEnv = "LEADER_PW" } },
            Pools =
            [
                new PoolOptions { Name = "a", Demand = new PiCaSOptions { PasswordEnv = "PICAS_PW" } },
                new PoolOptions { Name = "b", Demand = new HyperShellOptions { Postgres = new PostgresOptions { PasswordEnv = "HS_PW" } } },
            ],
        };

        Assert.Equal(["HS_PW", "LEADER_PW", "PICAS_PW"], ConfigLoader.SecretVariables(options).OfType<string>().Order(StringComparer.Ordinal));
    }
}
