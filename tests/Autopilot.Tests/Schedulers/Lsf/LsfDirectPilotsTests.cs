using Autopilot.Domain;
using Autopilot.Schedulers.Lsf;
using Autopilot.Tests.Schedulers.Pbs;

namespace Autopilot.Tests.Schedulers.Lsf;

/// <summary>
/// The tick path (a listing parsed straight to pilots) against the job path (ParseJson/ParseDelimited,
/// then ToPilots): the same pilots, or the same FormatException, on every input.
/// </summary>
public sealed class LsfDirectPilotsTests
{
    private static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;
    private static readonly DateTimeOffset Now = new(2019, 1, 10, 12, 0, 0, TimeSpan.Zero);

    // The field list of the aiida fixture (bjobs -noheader -o "... delimiter='|'").
    private const string AiidaFields = "id stat exit_reason exec_host user slots max_req_proc exec_host queue finish_time start_time %complete submit_time name delimiter=\"|\"";

    private const string ArrayListing =
        "LSF is processing your request. Please wait ...\n" +
        "{\"COMMAND\":\"bjobs\",\"JOBS\":3,\"RECORDS\":[" +
        "{\"JOBID\":\"77\",\"JOBINDEX\":\"2\",\"JOB_NAME\":\"autopilot-a[2]\",\"STAT\":\"PEND\",\"PEND_REASON\":\"The user has reached his/her job slot limit;\"}," +
        "{\"JOBID\":\"77\",\"JOBINDEX\":\"3\",\"JOB_NAME\":\"autopilot-a[3]\",\"STAT\":\"PSUSP\"}," +
        "{\"JOBID\":\"99\",\"ERROR\":\"Job <99> is not found\"}]}";

    // Escapes, bare words, nulls, duplicate keys, blanks, "-", nested values, a trailing comma, every state.
    private const string QuirkyListing =
        "{\"RECORDS\":[{\"JOBID\":\" 5 \",\"JOB_NAME\":\"autopilot-a\\u005b3]\",\"STAT\":\"RUN\",\"START_TIME\":\"Jan  9 10:05 L\",\"TIME_LEFT\":\"0:40 L\",\"RUNTIMELIMIT\":\"-\"}," +
        "{\"JOBID\":6,\"JOBINDEX\":7,\"JOB_NAME\":\"autopilot-a[7]\",\"STAT\":\"PEND\",\"PEND_REASON\":null,\"QUEUE\":null,\"EXIT_CODE\":-3,}," +
        "{\"JOBID\":\"8\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"RUN\",\"STAT\":\"DONE\",\"QUEUE\":{\"x\":[1,2]},\"USER\":[\"a\"],\"SUBMIT_TIME\":\"Dec 31 23:59\",\"FINISH_TIME\":\"Jan 10 11:00\"}," +
        "{\"JOBID\":\"9\",\"JOB_NAME\":\"autopilot-a[x]\",\"STAT\":\" PEND \",\"PEND_REASON\":\" Job dependency condition not satisfied; \",\"ERROR\":null}," +
        "{\"JOBID\":\"10\",\"JOB_NAME\":\"autopilot-a[2]\",\"JOBINDEX\":\"0\",\"STAT\":\"USUSP\",\"RUNTIMELIMIT\":\"600.0 min\",\"EXIT_REASON\":\"x\\\\y\"}," +
        "{\"JOBID\":\"11\",\"JOB_NAME\":\"*utopilot-a\",\"STAT\":\"WAIT\",\"ERROR\":\"\"}," +
        "{\"JOBID\":\"12\",\"JOB_NAME\":\"autopilot-b\",\"STAT\":\"ZOMBI\",\"USER\":\"me\"}," +
        "{\"JOBID\":\"13\",\"JOB_NAME\":\"autopilot-b\",\"STAT\":\"SSUSP\",\"X\":\"() {  echo \"hi\"\n}\",\"PEND_REASON\":\"r\"}," +
        "{\"JOBID\":\"14\",\"JOB_NAME\":\"\",\"STAT\":\"RUN\"},{\"JOBID\":\"15\",\"STAT\":\"UNKWN\"}," +
        "{\"JOBID\":\"16\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":EXIT,\"QUEUE\":  normal  ,\"SUBMIT_TIME\":\"Dec 28 19:56\"}],\"JOBS\":12}";

    private const string OwnDelimited =
        "101|0|autopilot-a|PEND|normal|Jan  9 10:00|-|-|01:00:00|New job is waiting for scheduling;\n" +
        "102|4|autopilot-a[4]|RUN|normal|Jan  9 10:00|Jan  9 10:05 L|0:40 L|01:00:00|-\n" +
        "103|0|autopilot-b|USUSP|normal|Jan  9 10:00|Jan  9 10:05|-|-|-\n" +
        "104|0|auto|pilot-a|DONE|normal|Jan  9 10:00|-|-|01:00:00|-\r\n" +
        "LSF is processing your request. Please wait ...\r\n\r\n  \n" +
        " 105 | 2 | autopilot-a[2] | EXIT | normal | Jan  9 10:00 | Jan  9 10:01 | 0:30 | - | - \r" +
        "106|0|autopilot-a|SSUSP|n|-|-|-|-|-\f107|-|autopilot-a[3]|RUN|n|-|-|-|-|-\u2028108|0|autopilot-b|PEND|n|-|-|-|-|Job dependency condition not satisfied;\n";

    private static readonly string[][] NameSets = [["autopilot-a"], ["autopilot-a", "autopilot-b"], ["test", "ls -l", "RoddyTest_testScript", "aiida-1033269"], [""], []];

    public static TheoryData<string> ListingFixtures() =>
        new(Directory.GetFiles(Path.Combine(PbsLsfFixtures.Repo, "tests", "fixtures", "schedulers", "lsf"))
            .Select(f => Path.GetFileName(f))
            .Where(f => f.StartsWith("bjobs", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(ListingFixtures))]
    public void Every_fixture_gives_the_same_pilots_or_the_same_error(string file)
    {
        var text = PbsLsfFixtures.Read("lsf", file);
        AssertAllForms(text);
    }

    [Fact]
    public void The_fixtures_do_give_pilots()
    {
        var jobs = LsfParsers.ParseJson(PbsLsfFixtures.Read("lsf", "bjobs_o_json_six_jobs_exit_done__batcheuphoria.json"), Now, Utc);
        var names = jobs.Select(j => j.Name).Distinct().ToList();
        var direct = LsfParsers.PilotsFromJson(PbsLsfFixtures.Read("lsf", "bjobs_o_json_six_jobs_exit_done__batcheuphoria.json"), names, includeFinished: true, Now, Utc);
        Assert.Equal(6, direct.Count);
        Assert.Equal(LsfParsers.ToPilots(jobs, names, includeFinished: true), direct);

        var aiida = PbsLsfFixtures.Read("lsf", "bjobs_noheader_o_delimiter_pipe__aiida.txt");
        var pilots = LsfParsers.PilotsFromDelimited(aiida, AiidaFields, ["test"], includeFinished: false, Now, Utc);
        Assert.Equal(["764254593", "764255172", "764245175"], pilots.Select(p => p.Id));
    }

    [Theory]
    [InlineData(ArrayListing)]
    [InlineData(QuirkyListing)]
    [InlineData(OwnDelimited)]
    [InlineData("{\"COMMAND\":\"bjobs\",\"JOBS\":2147483648,\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"RUN\"}]}")]
    public void Inline_listings_give_the_same_pilots(string text)
    {
        AssertAllForms(text);
        Assert.NotEmpty(JobPathPilots(text));
    }

    [Fact]
    public void Every_cut_of_a_listing_gives_the_same_pilots_or_the_same_error()
    {
        string[] texts =
        [
            ArrayListing, QuirkyListing, OwnDelimited,
            PbsLsfFixtures.Read("lsf", "bjobs_o_json_done__batcheuphoria.json"),
            PbsLsfFixtures.Read("lsf", "bjobs_noheader_o_delimiter_pipe__aiida.txt"),
        ];
        foreach (var text in texts)
        {
            for (var cut = 0; cut < text.Length; cut++)
            {
                AssertAllForms(text[..cut]);
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\n")]
    [InlineData("garbage\n")]
    [InlineData("LSF is processing your request. Please wait ...\n")]
    [InlineData("LSF is down. Please wait ...\n{\"JOBS\":0,\"RECORDS\":[]}")]
    [InlineData("{\"COMMAND\":\"bjobs\",\"JOBS\":2}")]
    [InlineData("{\"COMMAND\":\"bjobs\",\"JOBS\":0}")]
    [InlineData("{\"RECORDS\":[{\"JOB_NAME\":\"not-ours\",\"STAT\":\"RUN\"}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"-\",\"JOB_NAME\":\"not-ours\",\"STAT\":\"RUN\"}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"not-ours\"}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"not-ours\",\"STAT\":\"\"}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"not-ours\",\"STAT\":null}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"RUN\",\"QUEUE\":\"q\\")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"RUN\",\"QUEUE\":,}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"RUN\",\"QUEUE\":a{b}]}")]
    [InlineData("{\"RECORDS\":[{\"JOBID\":\"1\",\"JOB_NAME\":\"autopilot-a\",\"STAT\":\"RUN\"} {\"JOBID\":\"2\"}]}")]
    [InlineData("{\"RECORDS\":[1]}")]
    [InlineData("1|RUN\n")]
    [InlineData("|0|not-ours|RUN|normal|-|-|-|-|-\n")]
    [InlineData("5|0|not-ours|-|normal|-|-|-|-|-\n")]
    public void Empty_truncated_and_garbage_input_fail_alike(string text) => AssertAllForms(text);

    [Fact]
    public void Binary_output_fails_alike()
    {
        var bytes = new byte[1024];
        new Random(3).NextBytes(bytes);
        AssertAllForms(System.Text.Encoding.Latin1.GetString(bytes) + "\0");
    }

    [Fact]
    public void A_large_listing_gives_the_same_pilots()
    {
        var json = PbsLsfGenerated.LsfJson(20_000);
        var direct = LsfParsers.PilotsFromJson(json, ["autopilot-gen"], includeFinished: false, Now, Utc);
        Assert.Equal(20_000, direct.Count);
        Assert.Equal(LsfParsers.ToPilots(LsfParsers.ParseJson(json, Now, Utc), ["autopilot-gen"]), direct);
        var delimited = PbsLsfGenerated.LsfDelimited(20_000);
        Assert.Equal(
            LsfParsers.ToPilots(LsfParsers.ParseDelimited(delimited, LsfParsers.ListFields, Now, Utc), ["autopilot-gen"]),
            LsfParsers.PilotsFromDelimited(delimited, LsfParsers.ListFields, ["autopilot-gen"], includeFinished: false, Now, Utc));
    }

    private static List<Pilot> JobPathPilots(string text)
    {
        var pilots = new List<Pilot>();
        foreach (var names in NameSets)
        {
            pilots.AddRange(Try(() => LsfParsers.ToPilots(LsfParsers.ParseJson(text, Now, Utc), names, includeFinished: true)).Pilots ?? []);
            pilots.AddRange(Try(() => LsfParsers.ToPilots(LsfParsers.ParseDelimited(text, LsfParsers.ListFields, Now, Utc), names, includeFinished: true)).Pilots ?? []);
        }

        return pilots;
    }

    /// <summary>JSON, our delimited field list and the aiida one; every name set; with and without finished jobs.</summary>
    private static void AssertAllForms(string text)
    {
        foreach (var names in NameSets)
        {
            foreach (var finished in new[] { false, true })
            {
                AssertSame(
                    () => LsfParsers.ToPilots(LsfParsers.ParseJson(text, Now, Utc), names, finished),
                    () => LsfParsers.PilotsFromJson(text, names, finished, Now, Utc));
                AssertSame(
                    () => LsfParsers.ToPilots(LsfParsers.ParseDelimited(text, LsfParsers.ListFields, Now, Utc), names, finished),
                    () => LsfParsers.PilotsFromDelimited(text, LsfParsers.ListFields, names, finished, Now, Utc));
                AssertSame(
                    () => LsfParsers.ToPilots(LsfParsers.ParseDelimited(text, AiidaFields, Now, Utc), names, finished),
                    () => LsfParsers.PilotsFromDelimited(text, AiidaFields, names, finished, Now, Utc));
            }
        }
    }

    private static void AssertSame(Func<IReadOnlyList<Pilot>> viaJobs, Func<IReadOnlyList<Pilot>> direct)
    {
        var expected = Try(viaJobs);
        var actual = Try(direct);
        Assert.Equal(expected.Error, actual.Error);
        Assert.Equal(expected.Pilots, actual.Pilots);
    }

    private static (IReadOnlyList<Pilot>? Pilots, string? Error) Try(Func<IReadOnlyList<Pilot>> parse)
    {
        try
        {
            return (parse(), null);
        }
        catch (FormatException ex)
        {
            return (null, ex.Message);
        }
    }
}
