using System.Runtime.InteropServices;

namespace Autopilot.Security;

/// <summary>What statx says about a path or an open file: its type, owner, permission bits and size (for a path, the link itself, never its target).</summary>
public sealed record UnixFileStatus(UnixFileKind Kind, uint Uid, uint Gid, int Mode, long Size = 0)
{
    /// <summary>Group or others may write it (mode & 022).</summary>
    public bool WritableByOthers => (Mode & 0x12) != 0;

    public string ModeText => Convert.ToString(Mode & 0xFFF, 8).PadLeft(4, '0');
}

public enum UnixFileKind
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>
/// The owner and mode checks .NET does not offer: statx(2) with AT_SYMLINK_NOFOLLOW, whose buffer
/// layout (unlike struct stat) is the same on every Linux architecture.
/// </summary>
public static class UnixFile
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7FF;
    private const int Enoent = 2;
    private const int Enotdir = 20;

    /// <summary>True when the process runs as root (effective uid 0).</summary>
    public static bool IsRoot => !OperatingSystem.IsWindows() && EffectiveUid == 0;

    public static uint EffectiveUid => OperatingSystem.IsWindows() ? 0 : GetEuid();

    /// <summary>The path's own status (a symbolic link is reported as one), or null when it does not exist.</summary>
    public static UnixFileStatus? Lstat(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var buffer = new byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Enoent or Enotdir)
            {
                return null;
            }

            throw new IOException($"{path}: cannot read its status: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return Decode(buffer);
    }

    /// <summary>The status of an open file (fstat through statx's AT_EMPTY_PATH): no window between a check and the read.</summary>
    public static UnixFileStatus Fstat(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var buffer = new byte[256];
        if (Statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, buffer) != 0)
        {
            throw new IOException($"cannot examine {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }

        return Decode(buffer);
    }

    private static UnixFileStatus Decode(byte[] buffer)
    {
        // struct statx: stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28, stx_size at 40.
        var uid = BitConverter.ToUInt32(buffer, 20);
        var gid = BitConverter.ToUInt32(buffer, 24);
        int mode = BitConverter.ToUInt16(buffer, 28);
        var size = BitConverter.ToInt64(buffer, 40);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => UnixFileKind.Regular,
            0x4000 => UnixFileKind.Directory,
            0xA000 => UnixFileKind.SymbolicLink,
            0x1000 => UnixFileKind.Fifo,
            0x2000 => UnixFileKind.CharacterDevice,
            0x6000 => UnixFileKind.BlockDevice,
            0xC000 => UnixFileKind.Socket,
            _ => UnixFileKind.Other,
        };
        return new UnixFileStatus(kind, uid, gid, mode & 0xFFF, size);
    }

    /// <summary>A user name for messages ("uid 1001" when the system does not know it).</summary>
    public static string UserName(uint uid)
    {
        try
        {
            foreach (var line in File.ReadLines("/etc/passwd"))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == uid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    return $"{fields[0]} (uid {uid})";
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return $"uid {uid}";
    }

    /// <summary>The path with every link and "..", resolved (realpath(3)); null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.GetFullPath(path);
        }

        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
