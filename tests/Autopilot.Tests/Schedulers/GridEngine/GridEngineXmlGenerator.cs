using System.Globalization;
using System.Text;

namespace Autopilot.Tests.Schedulers.GridEngine;

/// <summary>Builds a `qstat -xml -r` listing shaped like SGE 8.1.9's (see real_qstat_xml_r__sge819.xml).</summary>
internal static class GridEngineXmlGenerator
{
    /// <summary>Half running, a quarter qw, a quarter hqw; names alternate autopilot-cpu / autopilot-gpu; ids 1..n.</summary>
    public static string Listing(int jobs)
    {
        var sb = new StringBuilder(jobs * 520);
        sb.Append("<?xml version='1.0'?>\n<job_info  xmlns:xsd=\"http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd\">\n  <queue_info>\n");
        var running = jobs / 2;
        for (var i = 1; i <= running; i++)
        {
            Job(sb, i, "running", "r", i % 2 == 0 ? "autopilot-gpu" : "autopilot-cpu");
        }

        sb.Append("  </queue_info>\n  <job_info>\n");
        for (var i = running + 1; i <= jobs; i++)
        {
            Job(sb, i, "pending", i % 2 == 0 ? "hqw" : "qw", i % 2 == 0 ? "autopilot-gpu" : "autopilot-cpu");
        }

        sb.Append("  </job_info>\n</job_info>\n");
        return sb.ToString();
    }

    private static void Job(StringBuilder sb, int id, string section, string state, string name)
    {
        var n = id.ToString(CultureInfo.InvariantCulture);
        sb.Append("    <job_list state=\"").Append(section).Append("\">\n")
          .Append("      <JB_job_number>").Append(n).Append("</JB_job_number>\n")
          .Append("      <JAT_prio>0.50000</JAT_prio>\n")
          .Append("      <JB_name>").Append(name).Append("</JB_name>\n")
          .Append("      <JB_owner>autopilot</JB_owner>\n")
          .Append("      <state>").Append(state).Append("</state>\n")
          .Append(section == "running" ? "      <JAT_start_time>2026-11-21T23:51:50</JAT_start_time>\n      <queue_name>all.q@vm</queue_name>\n"
                                      : "      <JB_submission_time>2026-11-21T23:51:50</JB_submission_time>\n      <queue_name></queue_name>\n")
          .Append("      <slots>1</slots>\n")
          .Append("      <full_job_name>").Append(name).Append("</full_job_name>\n")
          .Append("      <hard_request name=\"h_rt\" resource_contribution=\"0.000000\">3600</hard_request>\n")
          .Append("      <hard_req_queue>all.q</hard_req_queue>\n")
          .Append("      <binding>NONE</binding>\n")
          .Append("    </job_list>\n");
    }
}
