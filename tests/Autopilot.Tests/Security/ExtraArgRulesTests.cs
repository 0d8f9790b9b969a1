using Autopilot.Configuration;
using Autopilot.Schedulers;
using Autopilot.Schedulers.Common;
using Autopilot.Schedulers.GridEngine;
using Autopilot.Schedulers.Lsf;
using Autopilot.Schedulers.Pbs;
using Autopilot.Schedulers.Slurm;
using Autopilot.Tests.Configuration;

namespace Autopilot.Tests.Security;

/// <summary>Issue 14 problem 3: extra_args may not set what Autopilot owns, in any spelling the scheduler takes.</summary>
public sealed class ExtraArgRulesTests
{
    /// <summary>Arguments are separated by '|'; the expected outcome is whether the list is refused.</summary>
    [Theory]
    // Slurm: short, glued, grouped, long, abbreviated long, '=' or a separate value.
    [InlineData("slurm", "-J|other", true)]
    [InlineData("slurm", "-Jother", true)]
    [InlineData("slurm", "-vJother", true)]
    [InlineData("slurm", "-HJother", true)]
    [InlineData("slurm", "--job-name=other", true)]
    [InlineData("slurm", "--job-name|other", true)]
    [InlineData("slurm", "--job=other", true)]
    [InlineData("slurm", "--jo|other", true)]
    [InlineData("slurm", "-a1-100", true)]
    [InlineData("slurm", "-a|1-100", true)]
    [InlineData("slurm", "--array=1-100", true)]
    [InlineData("slurm", "--arr=1-100", true)]
    [InlineData("slurm", "-o|/tmp/x", true)]
    [InlineData("slurm", "--out=/tmp/x", true)]
    [InlineData("slurm", "-e/tmp/x", true)]
    [InlineData("slurm", "--error=/tmp/x", true)]
    [InlineData("slurm", "--export=ALL", true)]
    [InlineData("slurm", "--exp=ALL", true)]
    [InlineData("slurm", "--export-file=/tmp/env", true)]
    [InlineData("slurm", "--get-user-env", true)]
    [InlineData("slurm", "-dafterok:1", true)]
    [InlineData("slurm", "--dependency=singleton", true)]
    [InlineData("slurm", "--dep|afterany:5", true)]
    [InlineData("slurm", "--comment=mine", true)]
    [InlineData("slurm", "--parsable", true)]
    [InlineData("slurm", "--wrap=hostname", true)]
    [InlineData("slurm", "-Mother", true)]
    [InlineData("slurm", "--clusters=other", true)]
    [InlineData("slurm", "--qos=normal", false)]
    [InlineData("slurm", "-p|gpu", false)]
    [InlineData("slurm", "-pdebug", false)] // 'd' is the partition's value, not --dependency
    [InlineData("slurm", "-Aproj-e", false)]
    [InlineData("slurm", "--exclusive", false)]
    [InlineData("slurm", "--exclude=node1", false)]
    [InlineData("slurm", "--open-mode=truncate", true)]
    [InlineData("slurm", "--signal=B:USR1@600", false)]
    [InlineData("slurm", "--begin=now+1hour", false)]
    [InlineData("slurm", "-H", false)]
    [InlineData("slurm", "--gres=gpu:1|--constraint=a100", false)]
    // Grid Engine: whole words, separate values.
    [InlineData("sge", "-N|x", true)]
    [InlineData("sge", "-t|1-100", true)]
    [InlineData("sge", "-V", true)]
    [InlineData("sge", "-v|DB_PASS", true)]
    [InlineData("sge", "-o|/tmp", true)]
    [InlineData("sge", "-e|/tmp", true)]
    [InlineData("sge", "-j|y", true)]
    [InlineData("sge", "-hold_jid|12", true)]
    [InlineData("sge", "-hold_jid_ad|12", true)]
    [InlineData("sge", "-ac|AUTOPILOT=x", true)]
    [InlineData("sge", "-dc|AUTOPILOT", true)]
    [InlineData("sge", "-@|/tmp/opts", true)]
    [InlineData("sge", "-clear", true)]
    [InlineData("sge", "-l|gpu=1", false)]
    [InlineData("sge", "-tc|4", false)]
    [InlineData("sge", "-notify", false)]
    [InlineData("sge", "-R|y", false)]
    // PBS Pro and Torque: getopt short options.
    [InlineData("pbs", "-N|x", true)]
    [InlineData("pbs", "-Nx", true)]
    [InlineData("pbs", "-J|1-10", true)]
    [InlineData("torque", "-t|1-10", true)]
    [InlineData("torque", "-t1-10", true)]
    [InlineData("pbs", "-V", true)]
    [InlineData("pbs", "-hV", true)]
    [InlineData("pbs", "-v|DB_PASS=x", true)]
    [InlineData("pbs", "-o|/tmp", true)]
    [InlineData("pbs", "-joe", true)]
    [InlineData("pbs", "-z", true)]
    [InlineData("pbs", "-W|depend=afterok:1", true)]
    [InlineData("pbs", "-Wdepend=afterok:1", true)]
    [InlineData("pbs", "-W|group_list=physics", false)]
    [InlineData("pbs", "-l|select=1:ncpus=4", false)]
    [InlineData("pbs", "-lwalltime=1:00:00", false)]
    [InlineData("pbs", "-m|n", false)]
    // LSF: whole words, separate values.
    [InlineData("lsf", "-J|x", true)]
    [InlineData("lsf", "-J|x[1-100]", true)]
    [InlineData("lsf", "-o|/tmp/x", true)]
    [InlineData("lsf", "-oo|/tmp/x", true)]
    [InlineData("lsf", "-e|/tmp/x", true)]
    [InlineData("lsf", "-eo|/tmp/x", true)]
    [InlineData("lsf", "-env|all", true)]
    [InlineData("lsf", "-w|done(1)", true)]
    [InlineData("lsf", "-pack|/tmp/jobs", true)]
    [InlineData("lsf", "-wa|USR1", false)]
    [InlineData("lsf", "-R|rusage[mem=100]", false)]
    [InlineData("lsf", "-outdir|/tmp", false)]
    public void Extra_args_that_set_what_Autopilot_owns_are_refused(string kind, string args, bool refused)
    {
        var list = args.Split('|');
        var problems = SchedulerKinds.Find(kind)!.ExtraArgs!.Check(list);
        Assert.True(refused == (problems.Count > 0), $"{kind} {string.Join(' ', list)}: {string.Join("; ", problems)}");
        if (refused)
        {
            Assert.Equal("scheduler.extra_args", problems[0].Key);
            Assert.StartsWith("extra_args[0]: '" + list[0] + "' would set ", problems[0].Message, StringComparison.Ordinal);
        }

        // Every adapter's own check (used by `check` and before every submission) says the same.
        IScheduler scheduler = kind switch
        {
            "slurm" => new SlurmScheduler(new Autopilot.Processes.ProcessRunner()),
            "sge" => new GridEngineScheduler(new Autopilot.Processes.ProcessRunner()),
            "lsf" => new LsfScheduler(new Autopilot.Processes.ProcessRunner()),
            _ => new PbsScheduler(kind, new Autopilot.Processes.ProcessRunner()),
        };
        var settings = scheduler.ValidateSettings(new SchedulerOptions { Kind = kind, Walltime = TimeSpan.FromHours(1), ExtraArgs = list }, "ap-main");
        Assert.Equal(refused, settings.Any(p => p.Key == "scheduler.extra_args" && p.Message.StartsWith("extra_args[", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("slurm", "\"-Jother\"")]
    [InlineData("slurm", "\"--arr=1-100\"")]
    [InlineData("sge", "\"-N\", \"x\"")]
    [InlineData("torque", "\"-t\", \"1-5\"")]
    [InlineData("lsf", "\"-env\", \"all\"")]
    public void The_configuration_is_refused_at_load_naming_file_line_and_key(string kind, string args)
    {
        var path = ConfigTestSupport.WriteConfig($"""
            [[pool]]
            name = "main"
            [pool.demand]
            kind = "command"
            command = ["echo", "1"]
            [pool.scheduler]
            kind = "{kind}"
            walltime = "01:00:00"
            extra_args = [{args}]
            """);

        var loaded = ConfigTestSupport.Load(path);

        var error = Assert.Single(loaded.Errors);
        Assert.Contains($"{path}:9:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("extra_args", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("which Autopilot sets itself", error.ToString(), StringComparison.Ordinal);
    }
}
