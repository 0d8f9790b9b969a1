using System.Diagnostics;

namespace Autopilot.Kubectl;

/// <summary>
/// The operator's terminal in raw mode (no echo, no line editing, Ctrl-C as a byte) for an
/// interactive shell in a container, as kubectl does; the saved settings come back on dispose.
/// stty must run on the terminal itself (inherited stdin), which is why it is not run through the
/// capturing process runner.
/// </summary>
public sealed class RawTerminal : IDisposable
{
    private readonly string _saved;

    private RawTerminal(string saved)
    {
        _saved = saved;
    }

    /// <summary>Raw mode, or null when stty cannot do it (the shell still works, with local echo).</summary>
    public static RawTerminal? Enter()
    {
        var saved = Stty("-g");
        if (saved is null || Stty("raw", "-echo") is null)
        {
            return null;
        }

        return new RawTerminal(saved.Trim());
    }

    public void Dispose() => Stty(_saved);

    private static string? Stty(params string[] args)
    {
        var psi = new ProcessStartInfo("stty") { UseShellExecute = false, RedirectStandardOutput = true };
        Autopilot.Processes.ChildEnvironment.Apply(psi);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            using var process = Process.Start(psi);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
