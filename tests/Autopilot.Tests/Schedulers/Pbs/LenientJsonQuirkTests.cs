using System.Text;
using Autopilot.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>Each JSON defect real PBS versions print, and the damaged outputs a parser must survive.</summary>
public sealed class LenientJsonQuirkTests
{
    private static string Doc(string attributes) =>
        "{\n    \"timestamp\":1618432467,\n    \"pbs_version\":\"19.1.1\",\n    \"pbs_server\":\"srv\",\n    \"Jobs\":{\n" +
        "        \"5.srv\":{\n            \"Job_Name\":\"autopilot-p\",\n" + attributes +
        "            \"job_state\":\"Q\"\n        }\n    }\n}\n";

    private static PbsJob One(string json) => Assert.Single(PbsParsers.ParseJson(json, TimeZoneInfo.Utc).Jobs);

    [Fact]
    public void Unquoted_number_with_leading_zeros_openpbs_1255()
    {
        var job = One(Doc("            \"Variable_List\":{\n                \"FOO\":005,\n                \"BAR\":\"x\"\n            },\n"));
        Assert.Equal(("5.srv", "Q"), (job.Id, job.State));
    }

    [Fact]
    public void Invalid_escapes_pr2049_and_balsam_324()
    {
        var job = One(Doc("            \"comment\":\"it\\'s a \\, test \\q\",\n            \"Variable_List\":{\n                \"P\":\"C:\\temp\\x\"\n            },\n"));
        Assert.Equal("it's a , test q", job.Comment);
    }

    [Fact]
    public void Exported_bash_function_with_raw_quotes_and_newlines_openpbs_2541()
    {
        var env = "            \"Variable_List\":{\n" +
                  "                \"BASH_FUNC_module%%\":\"() {  eval `/usr/bin/modulecmd bash \"$@\"`;\n  echo \"done\", \"really\"\n}\",\n" +
                  "                \"BASH_FUNC_ml()\":\"() {  module ml \"$@\"\n}\",\n" +
                  "                \"PBS_O_HOME\":\"/home/u\"\n            },\n" +
                  "            \"comment\":\"after the functions\",\n";
        var job = One(Doc(env));
        Assert.Equal("after the functions", job.Comment);
        Assert.Equal("Q", job.State);
    }

    [Fact]
    public void Raw_quotes_inside_a_value()
    {
        var job = One(Doc("            \"comment\":\"say \"hi\" to all\",\n"));
        Assert.Equal("say \"hi\" to all", job.Comment);
    }

    [Fact]
    public void Raw_control_characters_and_cjson_tab_after_colon()
    {
        var job = One(Doc("            \"comment\":\t\"a\tb\u0001c\",\n"));
        Assert.Equal("a\tb\u0001c", job.Comment);
    }

    [Fact]
    public void Duplicate_keys_last_wins_and_trailing_commas_pass()
    {
        var job = One(Doc("            \"comment\":\"one\",\n            \"comment\":\"two\",\n            \"Resource_List\":{\"walltime\":\"01:00:00\",},\n"));
        Assert.Equal("two", job.Comment);
        Assert.Equal(TimeSpan.FromHours(1), job.Walltime);
    }

    [Fact]
    public void Missing_Jobs_key_is_an_empty_listing_not_an_error()
    {
        var listing = PbsParsers.ParseJson("{\n    \"timestamp\":1,\n    \"pbs_version\":\"20.0.1\",\n    \"pbs_server\":\"s\"\n}\n", TimeZoneInfo.Utc);
        Assert.False(listing.HasJobsKey);
        Assert.Empty(listing.Jobs);
    }

    [Fact]
    public void Compact_single_line_json_reads_too()
    {
        var listing = PbsParsers.ParseJson("{\"Jobs\":{\"7.s\":{\"Job_Name\":\"n\",\"job_state\":\"R\",\"Resource_List\":{\"walltime\":\"00:30:00\"}}}}", TimeZoneInfo.Utc);
        var job = Assert.Single(listing.Jobs);
        Assert.Equal(("7.s", "R", TimeSpan.FromMinutes(30)), (job.Id, job.State, job.Walltime));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n")]
    [InlineData("qstat: cannot connect to server s (errno=15010)\n")]
    [InlineData("{")]
    [InlineData("{\"Jobs\":{\"7.s\":{\"Job_Name\":\"n\",\"job_sta")]
    [InlineData("{\"Jobs\":{\"7.s\":{\"Job_Name\":\"n\"}}}")]
    [InlineData("{\"Jobs\":{\"7.s\" \"x\"}}")]
    public void Empty_truncated_or_broken_json_is_a_clear_error(string text)
    {
        var ex = Assert.Throws<FormatException>(() => PbsParsers.ParseJson(text, TimeZoneInfo.Utc));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Every_truncation_of_a_real_listing_fails_cleanly_or_parses()
    {
        var full = PbsLsfFixtures.Read("pbs", "qstat_f_F_json_two_jobs_pbs20__ionkrutov.json");
        for (var cut = 0; cut < full.Length; cut += 7)
        {
            try
            {
                PbsParsers.ParseJson(full[..cut], TimeZoneInfo.Utc);
            }
            catch (FormatException)
            {
                // A clear error is fine; any other exception fails the test.
            }
        }
    }

    [Fact]
    public void Binary_output_is_refused()
    {
        var bytes = new byte[2048];
        new Random(7).NextBytes(bytes);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Throws<FormatException>(() => PbsParsers.ParseJson(text, TimeZoneInfo.Utc));
        Assert.Throws<FormatException>(() => PbsParsers.ParseFullText(text, TimeZoneInfo.Utc));
        Assert.Throws<FormatException>(() => TorqueXmlParser.Parse(text, TimeZoneInfo.Utc));
    }

    [Fact]
    public void Hundred_thousand_jobs_parse()
    {
        var json = PbsLsfGenerated.PbsJson(100_000);
        var jobs = PbsParsers.ParseJson(json, TimeZoneInfo.Utc).Jobs;
        Assert.Equal(100_000, jobs.Count);
        Assert.Equal("99999.srv", jobs[^1].Id);
        Assert.Equal(100_000, PbsParsers.ToPilots(jobs, ["autopilot-gen"], Autopilot.Schedulers.Pbs.PbsFlavor.PbsPro).Count);

        var text = PbsParsers.ParseFullText(PbsLsfGenerated.PbsFullText(100_000), TimeZoneInfo.Utc);
        Assert.Equal(100_000, text.Count);
    }

    [Fact]
    public void Full_text_garbage_is_a_clear_error()
    {
        Assert.Empty(PbsParsers.ParseFullText(""));
        Assert.Throws<FormatException>(() => PbsParsers.ParseFullText("hello world\n"));
        Assert.Throws<FormatException>(() => PbsParsers.ParseFullText("Job Id: 1.s\n    Job_Name = x\n"));
    }
}

/// <summary>Generated listings for the large-output tests and the benchmarks.</summary>
internal static class PbsLsfGenerated
{
    public static string PbsJson(int n)
    {
        var sb = new StringBuilder(n * 400);
        sb.Append("{\n    \"timestamp\":1618432467,\n    \"pbs_version\":\"20.0.1\",\n    \"pbs_server\":\"srv\",\n    \"Jobs\":{\n");
        for (var i = 0; i < n; i++)
        {
            sb.Append("        \"").Append(i).Append(".srv\":{\n")
              .Append("            \"Job_Name\":\"autopilot-gen\",\n")
              .Append("            \"Job_Owner\":\"alice@login1\",\n")
              .Append("            \"job_state\":\"").Append(i % 3 == 0 ? "R" : "Q").Append("\",\n")
              .Append("            \"queue\":\"workq\",\n")
              .Append("            \"Resource_List\":{\n                \"ncpus\":1,\n                \"walltime\":\"01:00:00\"\n            },\n")
              .Append("            \"qtime\":\"Wed Apr 14 23:34:17 2021\",\n")
              .Append("            \"Variable_List\":{\n                \"PBS_O_HOME\":\"/home/alice\",\n                \"X\":005\n            }\n")
              .Append(i == n - 1 ? "        }\n" : "        },\n");
        }

        sb.Append("    }\n}\n");
        return sb.ToString();
    }

    public static string PbsFullText(int n)
    {
        var sb = new StringBuilder(n * 200);
        for (var i = 0; i < n; i++)
        {
            sb.Append("Job Id: ").Append(i).Append(".srv\n    Job_Name = autopilot-gen\n    Job_Owner = alice@login1\n    job_state = Q\n    Resource_List.walltime = 01:00:00\n    Variable_List = PBS_O_HOME=/home/alice,\n\tPBS_O_SHELL=/bin/bash\n\n");
        }

        return sb.ToString();
    }

    public static string LsfJson(int n)
    {
        var sb = new StringBuilder(n * 250);
        sb.Append("{\n  \"COMMAND\":\"bjobs\",\n  \"JOBS\":").Append(n).Append(",\n  \"RECORDS\":[\n");
        for (var i = 0; i < n; i++)
        {
            sb.Append("    {\n      \"JOBID\":\"").Append(1000 + (i / 10)).Append("\",\n      \"JOBINDEX\":\"").Append((i % 10) + 1)
              .Append("\",\n      \"JOB_NAME\":\"autopilot-gen[").Append((i % 10) + 1).Append("]\",\n      \"STAT\":\"")
              .Append(i % 2 == 0 ? "RUN" : "PEND").Append("\",\n      \"QUEUE\":\"normal\",\n      \"SUBMIT_TIME\":\"Dec 28 19:56\",\n      \"START_TIME\":\"\",\n")
              .Append("      \"TIME_LEFT\":\"\",\n      \"RUNTIMELIMIT\":\"01:00:00\",\n      \"PEND_REASON\":\"\"\n    }")
              .Append(i == n - 1 ? "\n" : ",\n");
        }

        sb.Append("  ]\n}\n");
        return sb.ToString();
    }

    public static string LsfDelimited(int n)
    {
        var sb = new StringBuilder(n * 80);
        for (var i = 0; i < n; i++)
        {
            sb.Append(1000 + i).Append("|0|autopilot-gen|PEND|normal|Dec 28 19:56|-|-|60.0 min|New job is waiting for scheduling;\n");
        }

        return sb.ToString();
    }
}
