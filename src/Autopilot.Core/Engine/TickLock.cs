namespace Autopilot.Engine;

/// <summary>
/// The exclusive, non-blocking lock a tick holds for its whole run (flock on Linux through
/// FileShare.None). The kernel drops it when the process dies, so a kill -9 never leaves it held.
/// `autopilot tick` and `autopilot run` take the same lock, so they can never act at once.
/// </summary>
public sealed class TickLock : IDisposable
{
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
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();
}
