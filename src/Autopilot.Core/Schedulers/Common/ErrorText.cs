namespace Autopilot.Schedulers.Common;

internal static class ErrorText
{
    /// <summary>A value quoted in an error message, cut so one bad line cannot flood the log.</summary>
    internal static string Clip(string s) => s.Length <= 120 ? s : s[..120] + "...";
}
