namespace Autopilot.Engine;

/// <summary>
/// The exclusive, non-blocking lock a tick holds for its whole run (flock on Linux through
/// FileShare.None). The kernel drops it when the process dies, so a kill -9 never leaves it held.
/// `autopilot tick` and `autopilot run` take the same lock, so they can never act at once.
/// </summary>
public sealed class TickLock : IDisposable
{
    // .NET reports flock(LOCK_NB) refused as an IOException carrying the raw errno, EWOULDBLOCK (= EAGAIN, 11 on Linux).
    private const int EWouldBlock = 11;

    private readonly FileStream _stream;

    private TickLock(FileStream stream)
    {
        _stream = stream;
    }

    /// <summary>Returns the lock, or null when another process holds it.</summary>
    /// <exception cref="State.UnsafeStateException">the state folder is not private, or the lock file is a link.</exception>
    public static TickLock? TryAcquire(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            State.StateDirectory.Secure(dir);
        }

        // The folder is private (checked above), so no one else can plant a link between this check and the open.
        State.StateDirectory.RefuseLink(path);
        try
        {
            var stream = new FileStream(path, State.StateDirectory.PrivateFile(FileMode.OpenOrCreate, FileAccess.ReadWrite));
            stream.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId + "\n");
            stream.Write(pid);
            stream.Flush();
            return new TickLock(stream);
        }
        catch (IOException ex) when (ex.HResult == EWouldBlock)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not "busy": a read-only or full file system, or no permission. Saying "another tick is
            // running" here would hide that no tick can ever run.
            throw new State.StateStoreException($"tick lock {path}: {ex.Message}");
        }
    }

    public void Dispose() => _stream.Dispose();
}
