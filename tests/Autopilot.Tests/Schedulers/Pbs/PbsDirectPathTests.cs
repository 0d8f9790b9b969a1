using Autopilot.Domain;
using Autopilot.Schedulers.Common;
using Autopilot.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>
/// A tick collects pilots straight from the parser (no <see cref="PbsJob"/> per listed job); the public
/// parse-then-<see cref="PbsParsers.ToPilots"/> path must give exactly the same pilots and errors.
/// </summary>
public sealed class PbsDirectPathTests
{
    public enum Format
    {
        Json,
        Text,
        TorqueXml,
    }

    public static TheoryData<string, string, Format> Listings => new()
    {
        { "pbs", "qstat_f_F_json_one_job_pbs20__ionkrutov.json", Format.Json },
        { "pbs", "qstat_f_F_json_tab_indent_pbs20__ionkrutov.json", Format.Json },
        { "pbs", "qstat_f_F_json_two_jobs_pbs20__ionkrutov.json", Format.Json },
        { "pbs", "qstat_xf_F_json_finished_array_pbs22_spliced__baw_server.json", Format.Json },
        { "pbs", "qstat_xf_F_json_running_pbs19__swrap.json", Format.Json },
        { "pbs", "qstat_f_multi_job_tab_continuation__aiida.txt", Format.Text },
        { "torque", "qstat_f_tab_continuation_jobid_without_server__aiida.txt", Format.Text },
        { "torque", "qstat_x_completed_multiline_sched_hint__batcheuphoria.xml", Format.TorqueXml },
        { "torque", "qstat_x_queued__batcheuphoria.xml", Format.TorqueXml },
    };

    [Theory]
    [MemberData(nameof(Listings))]
    public void Direct_path_gives_the_pilots_of_the_job_path_for_every_name_user_and_finished_choice(string kind, string file, Format format)
    {
        var text = PbsLsfFixtures.Read(kind, file);
        var flavor = kind == "torque" ? PbsFlavor.Torque : PbsFlavor.PbsPro;
        var jobs = Parse(text, format, sink: null);
        Assert.NotEmpty(jobs);
        // Every name in the listing, one name, a name no job has; every owner and none.
        var names = jobs.Select(j => j.Name).Distinct().ToArray();
        var owners = jobs.Select(j => j.OwnerUser).OfType<string>().Distinct().Append("nobody").ToArray();
        string[][] nameSets = [names, [names[0]], ["no-such-pilot"]];
        var compared = 0;
        foreach (var wanted in nameSets)
        {
            foreach (var user in owners.Cast<string?>().Append(null))
            {
                foreach (var includeFinished in new[] { false, true })
                {
                    var expected = PbsParsers.ToPilots(jobs, wanted, flavor, user, includeFinished);
                    var collector = new PbsPilotCollector(wanted, flavor, user, includeFinished);
                    Parse(text, format, collector);
                    Assert.Equal(expected, collector.Pilots());
                    compared += expected.Count;
                }
            }
        }

        Assert.True(compared > 0, "no combination kept a pilot: the comparison proved nothing");
    }

    [Fact]
    public void Direct_path_gives_array_subjobs_not_their_parent_and_one_parent_string_per_array()
    {
        const string Json = """
            {"Jobs":{
              "5[].s":{"Job_Name":"ap","job_state":"B","Job_Owner":"u@h"},
              "5[1].s":{"Job_Name":"ap","job_state":"R","Job_Owner":"u@h"},
              "5[2].s":{"Job_Name":"ap","job_state":"Q","Job_Owner":"u@h"},
              "6[].s":{"Job_Name":"ap","job_state":"Q","Job_Owner":"u@h"},
              "7[1].s":{"Job_Name":"ap","job_state":"F","Job_Owner":"u@h"},
              "7[].s":{"Job_Name":"ap","job_state":"B","Job_Owner":"u@h"}
            }}
            """;
        var collector = new PbsPilotCollector(["ap"], PbsFlavor.PbsPro, "u");
        PbsParsers.ParseJson(Json, TimeZoneInfo.Utc, collector);
        var pilots = collector.Pilots();
        Assert.Equal(["5[1].s", "5[2].s", "6[].s"], pilots.Select(p => p.Id));
        Assert.Equal([1, 2, null], pilots.Select(p => p.ArrayIndex));
        Assert.Equal("5[].s", pilots[0].ArrayJobId);
        Assert.Same(pilots[0].ArrayJobId, pilots[1].ArrayJobId);
        Assert.Equal(PbsParsers.ToPilots(PbsParsers.ParseJson(Json, TimeZoneInfo.Utc).Jobs, ["ap"], PbsFlavor.PbsPro, "u"), pilots);
    }

    [Theory]
    [InlineData("{\"Jobs\":{\"1.s\":{\"Job_Name\":\"ap\"}}}", Format.Json)]
    [InlineData("{\"Jobs\":{\"1.s\":{\"Job_Name\":\"ap\",\"job_state\":\"Q\"}", Format.Json)]
    [InlineData("Job Id: 1.s\n    Job_Name = ap\n", Format.Text)]
    [InlineData("<Data><Job><Job_Id>1</Job_Id><Job_Name>ap</Job_Name></Job></Data>", Format.TorqueXml)]
    [InlineData("<Data><Job><Job_Id>1</Job_Id><job_state>Q</job_state>", Format.TorqueXml)]
    public void Direct_path_fails_on_bad_input_with_the_message_of_the_job_path(string text, Format format)
    {
        var expected = Assert.Throws<FormatException>(() => Parse(text, format, sink: null));
        var actual = Assert.Throws<FormatException>(() => Parse(text, format, new PbsPilotCollector(["ap"], PbsFlavor.PbsPro)));
        Assert.Equal(expected.Message, actual.Message);
    }

    [Theory]
    [MemberData(nameof(Listings))]
    public void Direct_path_and_job_path_agree_on_every_truncation_of_a_listing(string kind, string file, Format format)
    {
        var text = PbsLsfFixtures.Read(kind, file);
        var flavor = kind == "torque" ? PbsFlavor.Torque : PbsFlavor.PbsPro;
        var failures = 0;
        // Every cut point of a short listing, an even spread of a long one: a pipe closed mid-output.
        var step = Math.Max(1, text.Length / 400);
        for (var cut = 0; cut < text.Length; cut += step)
        {
            var part = text[..cut];
            string[] names = ["autopilot-main"];
            IReadOnlyList<Pilot>? expected = null;
            string? expectedError = null;
            try
            {
                var jobs = Parse(part, format, sink: null);
                names = [.. jobs.Select(j => j.Name).Distinct().DefaultIfEmpty("autopilot-main")];
                expected = PbsParsers.ToPilots(jobs, names, flavor);
            }
            catch (FormatException ex)
            {
                expectedError = ex.Message;
                failures++;
            }

            var collector = new PbsPilotCollector(names, flavor);
            if (expectedError is null)
            {
                Parse(part, format, collector);
                Assert.Equal(expected, collector.Pilots());
            }
            else
            {
                Assert.Equal(expectedError, Assert.Throws<FormatException>(() => Parse(part, format, collector)).Message);
            }
        }

        Assert.True(failures > 0, "no cut made the listing unreadable: the comparison of errors proved nothing");
    }

    [Fact]
    public void String_pool_returns_equal_strings_when_values_share_a_cache_slot()
    {
        var pool = new StringPool();
        // Same length, first and last character: the same slot of the recent-value cache.
        string[] values = ["aXb", "aYb", "aXb", "aZb", "aYb", "aXb"];
        foreach (var value in values)
        {
            Assert.Equal(value, pool.Get(value.AsSpan()));
        }

        Assert.Same(pool.Get("aXb".AsSpan()), pool.Get("aXb".ToCharArray()));
        var longValue = new string('q', 500);
        Assert.Equal(longValue, pool.Get(longValue.AsSpan()));
        Assert.Equal("", pool.Get([]));
    }

    private static IReadOnlyList<PbsJob> Parse(string text, Format format, IPbsJobSink? sink)
    {
        var jobs = new PbsJobList();
        var target = sink ?? jobs;
        switch (format)
        {
            case Format.Json:
                PbsParsers.ParseJson(text, TimeZoneInfo.Utc, target);
                break;
            case Format.Text:
                PbsParsers.ParseFullText(text, TimeZoneInfo.Utc, target);
                break;
            default:
                TorqueXmlParser.Parse(text, TimeZoneInfo.Utc, target);
                break;
        }

        return jobs;
    }
}
