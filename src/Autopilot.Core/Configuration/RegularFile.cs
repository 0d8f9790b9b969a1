using System.Runtime.InteropServices;
using Autopilot.Security;
using Microsoft.Win32.SafeHandles;

namespace Autopilot.Configuration;

/// <summary>
/// Reads a file that must be a regular file of bounded size, without ever blocking on a FIFO or
/// reading a device without end: on Linux the file is opened non-blocking and its type and size
/// are taken from the open descriptor (no window between the check and the read).
/// </summary>
public static class RegularFile
{
    /// <summary>1 MiB: far above any real configuration, far below trouble.</summary>
    public const int MaxConfigBytes = 1 << 20;

    /// <summary>Why <paramref name="path"/> is not there as a file: "is a folder, not a file" or "does not exist".</summary>
    public static string Missing(string path) => Directory.Exists(path) ? "is a folder, not a file" : "does not exist";

    /// <summary>The whole file; <see cref="IOException"/> with a message naming the path when it is not a regular file of at most <paramref name="maxBytes"/>.</summary>
    public static byte[] ReadAll(string path, int maxBytes)
    {
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new IOException($"{path} {Missing(path)}");
            }

            return info.Length > maxBytes ? throw new IOException(TooLarge(path, info.Length, maxBytes)) : File.ReadAllBytes(path);
        }

        var fd = Open(path, ORdOnly | ONonBlock | OCloExec | ONoCtty);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(errno == ENoEnt ? $"{path} does not exist" : $"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var status = UnixFile.Fstat(handle, path);
        var kind = status.Kind switch
        {
            UnixFileKind.Regular => null,
            UnixFileKind.Directory => "a folder",
            UnixFileKind.Fifo => "a FIFO (named pipe)",
            UnixFileKind.CharacterDevice => "a character device",
            UnixFileKind.BlockDevice => "a block device",
            UnixFileKind.Socket => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null)
        {
            throw new IOException($"{path} is {kind}, not a regular file (at most {Size(maxBytes)})");
        }

        var size = status.Size;
        if (size > maxBytes)
        {
            throw new IOException(TooLarge(path, size, maxBytes));
        }

        // The size may change while reading: never take more than the limit.
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var buffer = new byte[Math.Min(size, maxBytes) + 1];
        var total = 0;
        while (total < buffer.Length)
        {
            var read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total > maxBytes ? throw new IOException(TooLarge(path, total, maxBytes)) : buffer[..total];
    }

    private static string TooLarge(string path, long size, int maxBytes) =>
        $"{path} is larger than {Size(maxBytes)} ({size} bytes); a configuration file may be at most {Size(maxBytes)}";

    private static string Size(int bytes) => bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes} bytes";

    // Linux open(2) flags, the same on x86-64 and arm64.
    private const int ORdOnly = 0;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int ENoEnt = 2;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
}
