namespace Autopilot.Configuration;

/// <summary>
/// Reads passwords and tokens at the moment they are needed, from a file that only its owner can
/// read, or from an environment variable. The value never appears in a message.
/// </summary>
public static class Secrets
{
    /// <summary>
    /// Reads the secret for <paramref name="what"/> (e.g. "pool 'main' demand.password_file").
    /// Returns null when neither a file nor a variable is configured.
    /// </summary>
    /// <exception cref="SecretException">The file is missing, unreadable, or readable by group or others; the variable is unset.</exception>
    public static string? Read(string? passwordFile, string? passwordEnv, string what)
    {
        if (!string.IsNullOrWhiteSpace(passwordFile))
        {
            var path = PathExpander.Expand(passwordFile);
            if (!File.Exists(path))
            {
                throw new SecretException($"{what}: password file {path} does not exist");
            }

            CheckPrivate(path, what);
            try
            {
                return File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SecretException($"{what}: cannot read password file {path}: {ex.Message}");
            }
        }

        if (!string.IsNullOrWhiteSpace(passwordEnv))
        {
            var value = Environment.GetEnvironmentVariable(passwordEnv);
            if (string.IsNullOrEmpty(value))
            {
                throw new SecretException($"{what}: environment variable {passwordEnv} is not set");
            }

            return value;
        }

        return null;
    }

    /// <summary>Refuses a secret file that group or others may read or write (as PiCaS asks: chmod go-rwx).</summary>
    public static void CheckPrivate(string path, string what)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & groupOrOther) != 0)
        {
            throw new SecretException(
                $"{what}: {path} is readable by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); run: chmod go-rwx {path}");
        }
    }
}

/// <summary>A secret could not be read safely. The message never contains the secret.</summary>
public sealed class SecretException(string message) : Exception(message);
