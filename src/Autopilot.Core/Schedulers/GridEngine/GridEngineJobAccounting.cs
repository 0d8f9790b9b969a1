using System.Globalization;
using Autopilot.Configuration;
using Autopilot.Domain;
using Autopilot.Processes;
using Autopilot.Schedulers.Common;

namespace Autopilot.Schedulers.GridEngine;

/// <summary>
/// Grid Engine's accounting file through <c>qacct -j JOBNUMBER</c>: qacct takes one job (or name
/// pattern) per call, so one call per job number, at most <see cref="MaxPerTick"/> a tick; the
/// elements of an array share one call.
/// </summary>
public sealed class GridEngineJobAccounting(IProcessRunner runner, SchedulerOptions options, TimeZoneInfo zone) : IJobAccounting
{
    private readonly CommandRunner _commands = new(runner, options, (spec, ex) => $"`{spec.Display()}` could not run: {ex.Message}");

    public string Source => "qacct";

    /// <summary>Job numbers per tick (each is a process start reading the whole accounting file).</summary>
    public int MaxPerTick => 20;

    public async Task<IReadOnlyList<JobUsage>> UsageAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var found = new List<JobUsage>();
        foreach (var number in ids.Select(JobNumber).Distinct(StringComparer.Ordinal).Take(MaxPerTick))
        {
            var spec = _commands.Spec(options, "qacct", ["-j", number]);
            var result = await _commands.RunAsync(spec, cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                // Not written yet: qacct sees a job only once it has ended and the qmaster flushed its record.
                if (!result.TimedOut && (result.StandardError + result.StandardOutput).Contains($"job id {number} not found", StringComparison.Ordinal))
                {
                    continue;
                }

                throw new SchedulerException($"reading Grid Engine accounting failed: {result.Describe()}");
            }

            try
            {
                found.AddRange(Parse(result.StandardOutput, zone).Where(u => wanted.Contains(u.Id)));
            }
            catch (FormatException ex)
            {
                throw new SchedulerException($"`{spec.Display()}` printed output that cannot be read: {ex.Message}", ex);
            }
        }

        return found;
    }

    /// <summary>Grid Engine has no per-account usage figure to compare with (qacct sums are per owner or project, over the whole file).</summary>
    public Task<string?> AccountUsageAsync(string account, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>"123" of a pilot "123" or of an array element "123.4".</summary>
    public static string JobNumber(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var dot = id.IndexOf('.');
        return dot < 0 ? id : id[..dot];
    }

    /// <summary>
    /// The records of <c>qacct -j</c> (pure). Cores are the granted <c>slots</c> (on one node: qacct
    /// does not say how a parallel environment spread them); memory is the <c>h_vmem</c> (else
    /// <c>mem_free</c>) the job requested, per slot, from its <c>category</c>; null when it asked for none.
    /// When a job was resubmitted (qmod -r), the last record counts.
    /// </summary>
    public static IReadOnlyList<JobUsage> Parse(string output, TimeZoneInfo zone)
    {
        var byId = new Dictionary<string, JobUsage>(StringComparer.Ordinal);
        foreach (var a in GridEngineParser.ParseQacct(output, zone))
        {
            var f = a.Fields ?? new Dictionary<string, string>();
            int? slots = f.TryGetValue("slots", out var s) && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;
            var perSlot = RequestedMemoryMb(f.GetValueOrDefault("category", ""));
            var outcome = GridEngineParser.ToOutcome(a);
            byId[a.Id] = new JobUsage(
                a.Id,
                GridEngineParser.ParseQacctTime(f.GetValueOrDefault("qsub_time"), zone),
                a.StartTime,
                a.EndTime ?? a.StartTime,
                slots,
                1,
                perSlot * (slots ?? 1),
                outcome.RawState,
                outcome.End);
        }

        return [.. byId.Values];
    }

    /// <summary>h_vmem (else mem_free) of a category such as <c>-q all.q -l h_rt=60,h_vmem=2G</c>, in MiB.</summary>
    public static long? RequestedMemoryMb(string category)
    {
        long? free = null;
        var words = category.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 1 < words.Length; i++)
        {
            if (words[i] is not ("-l" or "-hard"))
            {
                continue;
            }

            foreach (var request in words[i + 1].Split(','))
            {
                var eq = request.IndexOf('=');
                if (eq <= 0)
                {
                    continue;
                }

                var (name, value) = (request[..eq], request[(eq + 1)..]);
                if (name is "h_vmem" or "hv")
                {
                    return JobAccountingFactory.MemoryMb(value);
                }

                if (name is "mem_free" or "mf")
                {
                    free = JobAccountingFactory.MemoryMb(value);
                }
            }
        }

        return free;
    }
}
