using System.Globalization;
using Autopilot.Processes;

namespace Autopilot.Schedulers.Slurm;

/// <summary>
/// The optional cross-check of a budget against Slurm's own usage: <c>sshare -A ACCOUNT -o
/// Account,User,RawUsage -n -P</c>, the account's line (User empty). RawUsage is core-seconds decayed
/// by the fair-share half-life (PriorityDecayHalfLife), so it is shown next to Autopilot's figure,
/// never used for pacing. Without slurmdbd sshare prints no line: that is said instead of a number.
/// </summary>
public static class SlurmUsageCheck
{
    public static IReadOnlyList<string> Arguments(string account) => ["-A", account, "-o", "Account,User,RawUsage", "-n", "-P"];

    /// <summary>The account's RawUsage (pure); null when sshare printed no line for it.</summary>
    public static long? Parse(string output, string account)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var line in output.Split('\n'))
        {
            var f = line.Trim().Split('|');
            if (f.Length >= 3 && f[0].Trim() == account && f[1].Trim().Length == 0
                && long.TryParse(f[2].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var raw))
            {
                return raw;
            }
        }

        return null;
    }

    /// <summary>One line for `plan` from what sshare answered (pure): the account's decayed core-hours, or why there are none.</summary>
    public static string Describe(ProcessResult result, string account)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!result.Succeeded)
        {
            return $"sshare failed: {result.Describe()}";
        }

        return Parse(result.StandardOutput, account) is { } raw
            ? string.Create(CultureInfo.InvariantCulture, $"sshare RawUsage of account {account}: {raw / 3600.0:0.##} core-hours (decayed by the fair-share half-life; not used for pacing)")
            : $"sshare shows no usage for account {account}: this Slurm keeps no usage (no slurmdbd, or the account is unknown to it)";
    }
}
