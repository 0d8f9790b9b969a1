namespace Autopilot.State;

/// <summary>The state directory and its well-known sub-folders, created owner-only.</summary>
public static class StateDirectory
{
    public static string PilotLogs(string stateDir) => Path.Combine(stateDir, "pilots");

    public static string Scripts(string stateDir) => Path.Combine(stateDir, "scripts");

    public static string LockFile(string stateDir) => Path.Combine(stateDir, "tick.lock");

    /// <summary>Creates the folder (mode 0700: it holds logs and rendered scripts) when missing.</summary>
    public static void Ensure(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
