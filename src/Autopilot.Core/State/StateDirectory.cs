using Autopilot.Security;

namespace Autopilot.State;

/// <summary>
/// The state folder and its well-known sub-folders. It holds rendered scripts that get submitted and
/// the lock and store of a process that may run as root, so it is owner-only and checked before use:
/// nobody else may own or write anything in it, and nothing in it may be a symbolic link.
/// </summary>
public static class StateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string PilotLogs(string stateDir) => Path.Combine(stateDir, "pilots");

    public static string Scripts(string stateDir) => Path.Combine(stateDir, "scripts");

    public static string LockFile(string stateDir) => Path.Combine(stateDir, "tick.lock");

    /// <summary>Options that open a file exclusively (flock) and create it owner-only (0600), whatever the umask.</summary>
    public static FileStreamOptions PrivateFile(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None, BufferSize = 1 };
        if (!OperatingSystem.IsWindows() && mode is FileMode.OpenOrCreate or FileMode.Create or FileMode.CreateNew)
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }

    /// <summary>Creates the folder when missing, mode 0700 whatever the umask.</summary>
    public static void Ensure(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        // Directory.CreateDirectory gives only the last folder the mode (parents get 0777 less the umask),
        // so each missing folder is made here, top down, and its mode set outright (mkdir applies the umask).
        var missing = new Stack<string>();
        for (var dir = Path.GetFullPath(path); !Directory.Exists(dir); dir = Path.GetDirectoryName(dir)!)
        {
            missing.Push(dir);
            if (Path.GetDirectoryName(dir) is null)
            {
                break;
            }
        }

        while (missing.TryPop(out var dir))
        {
            Directory.CreateDirectory(dir, OwnerOnly);
            File.SetUnixFileMode(dir, OwnerOnly);
        }
    }

    /// <summary>
    /// Creates the state folder when missing, then <see cref="Verify"/>s it. Every command that uses
    /// the folder calls this first.
    /// </summary>
    /// <exception cref="UnsafeStateException">the folder, or something in it, is not private.</exception>
    public static void Secure(string stateDir)
    {
        try
        {
            Ensure(stateDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UnsafeStateException($"state folder {stateDir}: cannot create it: {ex.Message}");
        }

        Verify(stateDir);
    }

    /// <summary>
    /// Refuses a state folder that another user owns or may write, or that holds (at its top, in
    /// scripts/, logs/, pilots/ and local/) a symbolic link or an entry owned or writable by someone else.
    /// Pilot job output inside pilots/&lt;pool&gt;/ is written by the jobs under their own umask and
    /// only ever read, so the check stops at the pool folders (a 0700 folder admits no one else anyway).
    /// </summary>
    public static void Verify(string stateDir)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var me = UnixFile.EffectiveUid;
        var top = UnixFile.Lstat(stateDir) ?? throw new UnsafeStateException($"state folder {stateDir}: does not exist");
        if (top.Kind == UnixFileKind.SymbolicLink)
        {
            // The configured path may be a link (e.g. to local scratch), but only one its owner made.
            CheckOwner(stateDir, top, me, "state folder");
            top = StatTarget(stateDir);
        }

        if (top.Kind != UnixFileKind.Directory)
        {
            throw new UnsafeStateException($"state folder {stateDir}: is not a folder");
        }

        CheckEntry(stateDir, top, me, "state folder");
        foreach (var entry in Entries(stateDir))
        {
            var status = CheckEntry(entry, me);
            if (status?.Kind == UnixFileKind.Directory && Path.GetFileName(entry) is "scripts" or "logs" or "pilots" or "local")
            {
                foreach (var inner in Entries(entry))
                {
                    CheckEntry(inner, me);
                }
            }
        }
    }

    /// <summary>Refuses a symbolic link at <paramref name="path"/> (lstat): the no-follow rule for files opened in the state folder.</summary>
    public static void RefuseLink(string path)
    {
        if (UnixFile.Lstat(path) is { Kind: UnixFileKind.SymbolicLink })
        {
            throw new UnsafeStateException($"{path}: is a symbolic link; refusing to follow it (remove it: nothing in the state folder is a link)");
        }
    }

    private static UnixFileStatus? CheckEntry(string path, uint me)
    {
        var status = UnixFile.Lstat(path);
        if (status is null)
        {
            return null;
        }

        if (status.Kind == UnixFileKind.SymbolicLink)
        {
            throw new UnsafeStateException($"{path}: is a symbolic link (to {Target(path)}); refusing to use the state folder: nothing in it may be a link (remove it)");
        }

        CheckEntry(path, status, me, "");
        return status;
    }

    private static void CheckEntry(string path, UnixFileStatus status, uint me, string what)
    {
        CheckOwner(path, status, me, what);
        if (status.WritableByOthers)
        {
            throw new UnsafeStateException($"{Describe(path, what)}: mode {status.ModeText} lets group or others write it; refusing to use the state folder (chmod go-w it)");
        }
    }

    private static void CheckOwner(string path, UnixFileStatus status, uint me, string what)
    {
        if (status.Uid != me)
        {
            throw new UnsafeStateException($"{Describe(path, what)}: owned by {UnixFile.UserName(status.Uid)}, not by {UnixFile.UserName(me)} who runs autopilot; refusing to use the state folder");
        }
    }

    private static string Describe(string path, string what) => what.Length == 0 ? path : $"{what} {path}";

    private static UnixFileStatus StatTarget(string path)
    {
        var info = new DirectoryInfo(path).ResolveLinkTarget(returnFinalTarget: true)
            ?? throw new UnsafeStateException($"state folder {path}: is a link that leads nowhere");
        return UnixFile.Lstat(info.FullName) ?? throw new UnsafeStateException($"state folder {path}: is a link to {info.FullName}, which does not exist");
    }

    private static string Target(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static IEnumerable<string> Entries(string dir)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(dir).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UnsafeStateException($"{dir}: cannot list it: {ex.Message}");
        }
    }
}

/// <summary>The state folder cannot be used safely; the message says which entry and why (exit 2).</summary>
public sealed class UnsafeStateException(string message) : Exception(message);

/// <summary>The state store cannot be opened or written (unwritable folder, full disk, ...); the message is one line (exit 2).</summary>
public sealed class StateStoreException(string message) : Exception(message);
