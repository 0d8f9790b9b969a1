using System.Diagnostics;
using Autopilot.Schedulers.Lsf;
using Autopilot.Schedulers.Pbs;
namespace Autopilot.Benchmarks;
public static class Scratch
{
    static void T(string name, Func<object> f)
    {
        for (var i = 0; i < 3; i++) f();
        var p = Process.GetCurrentProcess(); p.Refresh(); var c0 = p.TotalProcessorTime;
        for (var i = 0; i < 8; i++) f();
        p.Refresh();
        Console.WriteLine($"{name,-30} {(p.TotalProcessorTime - c0).TotalMilliseconds / 8,8:F1} ms CPU");
    }
    public static void Run()
    {
        var b = new PbsLsfParserBenchmarks(); b.Setup();
        var f = typeof(PbsLsfParserBenchmarks).GetFields(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance).ToDictionary(x => x.Name, x => x.GetValue(b));
        var json = (string)f["_pbsJson"]!; var text = (string)f["_pbsText"]!; var xml = (string)f["_torqueXml"]!; var lj = (string)f["_lsfJson"]!; var ld = (string)f["_lsfDelimited"]!;
        var names = new[] { "autopilot-gen" };
        Console.WriteLine($"sizes MB: pbsjson {json.Length/1e6:F1} text {text.Length/1e6:F1} xml {xml.Length/1e6:F1} lsfjson {lj.Length/1e6:F1} lsfdelim {ld.Length/1e6:F1}");
        T("scan pbsjson", () => json.AsSpan().IndexOf("zzzq"));
        var pj = PbsParsers.ParseJson(json, TimeZoneInfo.Utc).Jobs;
        T("PbsJson parse", () => PbsParsers.ParseJson(json, TimeZoneInfo.Utc));
        T("PbsJson topilots", () => PbsParsers.ToPilots(pj, names, PbsFlavor.PbsPro));
        var pt = PbsParsers.ParseFullText(text, TimeZoneInfo.Utc);
        T("PbsText parse", () => PbsParsers.ParseFullText(text, TimeZoneInfo.Utc));
        T("PbsText topilots", () => PbsParsers.ToPilots(pt, names, PbsFlavor.PbsPro));
        var tx = TorqueXmlParser.Parse(xml, TimeZoneInfo.Utc);
        T("Torque parse", () => TorqueXmlParser.Parse(xml, TimeZoneInfo.Utc));
        T("Torque topilots", () => PbsParsers.ToPilots(tx, names, PbsFlavor.Torque));
        var now = new DateTimeOffset(2019, 1, 10, 12, 0, 0, TimeSpan.Zero);
        T("LsfJson skip all", () => { var r = new LenientJsonReader(lj, 0); r.SkipValue(); return r; });
        T("LsfJson skip all pooled", () => { var r = new LenientJsonReader(lj, 0, new StringPool()); r.SkipValue(); return r; });
        T("LsfJson read all scalars pooled", () => { var r = new LenientJsonReader(lj, 0, new StringPool()); r.ReadObjectStart(); var f = true; while (r.NextMember(ref f, out var k)) { if (k is "RECORDS") { r.ReadArrayStart(); var fi = true; while (r.NextItem(ref fi)) { r.ReadObjectStart(); var ff = true; while (r.NextMember(ref ff, out _)) r.ReadScalar(); } } else r.SkipValue(); } return r; });
        T("LSF ParseTime x100k", () => { object? o = null; for (var i = 0; i < 100_000; i++) o = LsfParsers.ParseTime("Dec 28 19:56", now, TimeZoneInfo.Utc); return o!; });
        T("LSF ParseDuration x100k", () => { object? o = null; for (var i = 0; i < 100_000; i++) o = LsfParsers.ParseDuration("01:00:00"); return o!; });
        T("LSF SplitArrayName x100k", () => { object? o = null; for (var i = 0; i < 100_000; i++) o = LsfParsers.SplitArrayName("autopilot-gen[3]"); return o!; });
        T("PBS time x100k", () => { object? o = null; for (var i = 0; i < 100_000; i++) o = PbsTime.Parse("Wed Apr 14 23:34:17 2021", TimeZoneInfo.Utc); return o!; });
        var ff = typeof(LsfParsers).GetMethod("FromFields", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.CreateDelegate<Func<string?[], DateTimeOffset, TimeZoneInfo, LsfJob>>();
        var arr = new string?[15]; arr[0] = "1000"; arr[1] = "3"; arr[2] = "autopilot-gen[3]"; arr[3] = "PEND"; arr[4] = "normal"; arr[6] = "Dec 28 19:56"; arr[7] = ""; arr[10] = ""; arr[9] = "01:00:00"; arr[11] = "";
        T("LSF FromFields x100k", () => { object? o = null; for (var i = 0; i < 100_000; i++) o = ff(arr, now, TimeZoneInfo.Utc); return o!; });
        T("LSF FromFields x100k kept", () => { var l = new List<LsfJob>(); for (var i = 0; i < 100_000; i++) l.Add(ff(arr, now, TimeZoneInfo.Utc)); return l; });
        var lx = LsfParsers.ParseJson(lj, now, TimeZoneInfo.Utc);
        T("LsfJson parse", () => LsfParsers.ParseJson(lj, now, TimeZoneInfo.Utc));
        T("LsfJson topilots", () => LsfParsers.ToPilots(lx, names));
        var ldx = LsfParsers.ParseDelimited(ld, LsfParsers.ListFields, now, TimeZoneInfo.Utc);
        T("LsfDelim parse", () => LsfParsers.ParseDelimited(ld, LsfParsers.ListFields, now, TimeZoneInfo.Utc));
        T("LsfDelim topilots", () => LsfParsers.ToPilots(ldx, names));
    }
}
