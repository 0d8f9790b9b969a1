using System.Buffers.Binary;
using System.Runtime.InteropServices;
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
        var stat = new byte[256];
        if (Statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxType | StatxMode | StatxSize, stat) != 0)
        {
            throw new IOException($"cannot examine {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        var mode = BinaryPrimitives.ReadUInt16LittleEndian(stat.AsSpan(28));
        var size = BinaryPrimitives.ReadInt64LittleEndian(stat.AsSpan(40));
        var kind = (mode & SIfMt) switch
        {
            SIfReg => null,
            SIfDir => "a folder",
            SIfIfo => "a FIFO (named pipe)",
            SIfChr => "a character device",
            SIfBlk => "a block device",
            SIfSock => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null)
        {
            throw new IOException($"{path} is {kind}, not a regular file (at most {Size(maxBytes)})");
        }

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

    // Linux open(2) flags and statx(2), the same on x86-64 and arm64; statx's layout is fixed across architectures.
    private const int ORdOnly = 0;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxMode = 0x2;
    private const uint StatxSize = 0x200;
    private const int ENoEnt = 2;
    private const int SIfMt = 0xF000;
    private const int SIfSock = 0xC000;
    private const int SIfReg = 0x8000;
    private const int SIfBlk = 0x6000;
    private const int SIfDir = 0x4000;
    private const int SIfChr = 0x2000;
    private const int SIfIfo = 0x1000;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
