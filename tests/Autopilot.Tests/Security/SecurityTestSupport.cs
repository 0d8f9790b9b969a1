using System.Diagnostics;
using Autopilot.Security;
using Autopilot.Testing;

namespace Autopilot.Tests.Security;

/// <summary>The real `autopilot` program as a child process, and a site with a local-scheduler pool.</summary>
internal static class SecurityTestSupport
{
    /// <summary>uid of `nobody`: another, non-root user that every Linux system has.</summary>
    public const int Nobody = 65534;

    public static bool IsRoot => UnixFile.IsRoot;

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autopilot-security-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Removes a test folder. A local pilot a tick started (it sleeps a second) may still be writing its
    /// log there, so a folder that is not empty yet is tried again for a few seconds.
    /// </summary>
    public static void DeleteDir(string dir)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 25 && Directory.Exists(dir))
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>
    /// dir/autopilot.toml: one pool "main" on the local scheduler, its demand a command printing
    /// <paramref name="demand"/>, its template dir/pilot.sh (a pilot that sleeps a second).
    /// </summary>
    public static string WriteLocalSite(string dir, int demand = 0, string extra = "")
    {
        File.WriteAllText(Path.Combine(dir, "pilot.sh"), "#!/bin/sh\nsleep 1\n");
        var path = Path.Combine(dir, "autopilot.toml");
        File.WriteAllText(path, $"""
            state_dir = "{dir}/state"
            job_prefix = "s{Guid.NewGuid().ToString("N")[..8]}"
            [[pool]]
            name = "main"
            template = "{dir}/pilot.sh"
            [pool.scheduler]
            kind = "local"
            [pool.demand]
            kind = "command"
            command = ["/bin/echo", "{demand}"]
            [pool.limits]
            max_pilots = 1
            tasks_per_pilot = 1

            """ + extra);
        return path;
    }

    /// <summary>Runs `autopilot args...` as its own process (<see cref="AutopilotBinary"/>), under <paramref name="umask"/> when given.</summary>
    public static (int Exit, string Output, string Error) RunProcess(string? umask, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add((umask is null ? "" : $"umask {umask}; ") + "exec \"$@\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(AutopilotBinary.Path);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"autopilot {string.Join(' ', args)} did not finish in 120 s");
        }

        return (p.ExitCode, output.Result, error.Result);
    }

    public static void Chown(string path, int uid)
    {
        var (exit, error) = Exec("chown", "-h", uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path);
        Assert.True(exit == 0, $"chown {uid} {path}: {error}");
    }

    /// <summary>Runs a system tool (chown, mount, ...) and returns its exit code and stderr.</summary>
    public static (int Exit, string Error) Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, error);
    }

    /// <summary>Lines of stderr that are not the root warning (these tests run as root in CI).</summary>
    public static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("running as root", StringComparison.Ordinal)).ToArray();
}
