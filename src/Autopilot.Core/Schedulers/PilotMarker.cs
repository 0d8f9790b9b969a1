using System.Text;
using Autopilot.Security;

namespace Autopilot.Schedulers;

/// <summary>
/// The mark Autopilot puts on every pilot it submits, besides the name: Slurm's job comment, Grid
/// Engine's job context. A job with a pilot's name but without this mark is someone else's and is
/// never counted or cancelled. It is derived from the state folder, so two installations that share
/// a job prefix (and a user) do not take each other's pilots either.
/// </summary>
public static class PilotMarker
{
    /// <summary>For callers that have no state folder (tests, tools).</summary>
    public const string Default = "autopilot";

    /// <summary><c>autopilot-</c> and 12 hex digits of the SHA-256 of the state folder's full path.</summary>
    public static string For(string stateDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDir);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stateDir));
        var hash = Sha256.HashData(Encoding.UTF8.GetBytes(full));
        return Default + "-" + Convert.ToHexStringLower(hash)[..12];
    }
}
