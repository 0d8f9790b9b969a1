using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.Cli.Commands;

/// <summary>
/// `autopilot kubectl-exec`: a shell (or a command) in the task server's Kubernetes container. This
/// binary reads [kubernetes] and runs the helper <see cref="HelperName"/> from its own folder with every
/// setting as an argument; the helper holds KubernetesClient, which would double the size of this
/// binary and so the memory of every tick (docs/architecture.md, "Two executables").
/// </summary>
public static class KubectlExecCommand
{
    public const string HelperName = "autopilot-kubectl-exec";

    /// <summary>
    /// What the Kubernetes client needs beyond <see cref="ChildEnvironment"/>'s allow-list: the
    /// in-cluster API address (with the service account's token file), the HTTP proxy (which the
    /// client honours as kubectl does), and where the ReadyToRun build's runtime is.
    /// </summary>
    private static readonly string[] HelperVariables =
    [
        "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT",
        "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy",
        "DOTNET_ROOT",
    ];

    public static Command Build()
    {
        var pod = new Option<string?>("--pod") { Description = "This pod (default: the one Running pod matching kubernetes.selector)" };
        var container = new Option<string?>("--container") { Description = "This container (default: kubernetes.container)" };
        var print = new Option<bool>("--print") { Description = "Print the equivalent kubectl command instead of running it" };
        var commandArgs = new Argument<string[]>("command") { Description = "Command to run instead of the shell (after --)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("kubectl-exec", """
            Open a shell in the task server's container (namespace, selector, container and kubeconfig from
            [kubernetes]; else $KUBECONFIG, ~/.kube/config or the in-cluster account), or run a command
            there, through the Kubernetes API. A terminal (raw mode, window size) only when stdin is one.
            Exit: the command's own code; 3 no pod matches, 4 none is Running, 5 several are, 1 other errors.

            Example: autopilot kubectl-exec
            Example: autopilot kubectl-exec --print -- hs task search --failed
            """)
        {
            pod,
            container,
            print,
            commandArgs,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var ctx = CliContext.Load(parse, requirePools: false);
            if (ctx is null)
            {
                return 2;
            }

            var helper = Path.Combine(AppContext.BaseDirectory, HelperName);
            if (!File.Exists(helper))
            {
                ctx.Err.WriteLine($"kubectl-exec: the helper {helper} is missing: it is installed beside autopilot (deploy/install.sh installs both; or publish src/Autopilot.Kubectl into {AppContext.BaseDirectory})");
                return 1;
            }

            var psi = new ProcessStartInfo(helper) { UseShellExecute = false };
            ChildEnvironment.Apply(psi, HelperVariables.ToDictionary(name => name, Environment.GetEnvironmentVariable));
            var words = parse.GetValue(commandArgs) ?? [];
            foreach (var a in HelperArguments(ctx.Options.Kubernetes, parse.GetValue(pod), parse.GetValue(container), words, tty: !Console.IsInputRedirected, parse.GetValue(print)))
            {
                psi.ArgumentList.Add(a);
            }

            // The helper has this terminal (stdin, stdout and stderr are inherited, not piped: raw mode
            // and SIGWINCH reach it) and is in its process group, so a Ctrl-C or Ctrl-\ reaches it
            // directly; this process only waits for it and returns its exit code, as system(3) does.
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
            using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => c.Cancel = true);
            // A SIGTERM or SIGHUP sent to this process alone (a supervisor, a closed ssh session) would
            // end it and leave the helper holding the container's shell: it is passed on instead, and
            // this process still waits for the helper and returns its code (128+N when it died of it).
            using var forward = new SignalForwarder();
            Process child;
            try
            {
                child = Process.Start(psi)!;
            }
            catch (Win32Exception ex)
            {
                ctx.Err.WriteLine($"kubectl-exec: cannot run the helper {helper}: {ex.Message}");
                return 1;
            }

            using (child)
            {
                forward.To(child.Id);
                await child.WaitForExitAsync(CancellationToken.None);
                // Its pid is free for reuse now: nothing more is sent to it.
                forward.To(-1);
                return child.ExitCode;
            }
        });
        return command;
    }

    /// <summary>
    /// The helper's command line: each setting of [kubernetes] (the kubeconfig as its expanded path:
    /// the helper does not see this process's variables), the options given here, and the command
    /// words (kubernetes.shell when none were given). No secret is on it: a kubeconfig is passed by path.
    /// </summary>
    internal static List<string> HelperArguments(KubernetesOptions k8s, string? pod, string? container, IReadOnlyList<string> command, bool tty, bool print)
    {
        var args = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                // One word, so that a value starting with '-' is not taken for an option.
                args.Add($"--{name}={value}");
            }
        }

        Add("namespace", k8s.Namespace);
        Add("selector", k8s.Selector);
        Add("container", container ?? k8s.Container);
        Add("kubeconfig", string.IsNullOrEmpty(k8s.Kubeconfig) ? null : PathExpander.Expand(k8s.Kubeconfig));
        Add("kubectl", k8s.Kubectl);
        Add("pod", pod);
        if (print)
        {
            args.Add("--print");
        }

        if (tty)
        {
            args.Add("--tty");
        }

        args.Add("--");
        args.AddRange(command.Count > 0 ? command : k8s.Shell);
        return args;
    }

    /// <summary>
    /// Passes SIGTERM and SIGHUP on to the helper (pid 0: not started yet, the signal is held for it;
    /// -1: gone, nothing is sent), instead of ending this process.
    /// </summary>
    private sealed class SignalForwarder : IDisposable
    {
        private const int SigHup = 1;
        private const int SigTerm = 15;

        private readonly Lock _gate = new();
        private readonly PosixSignalRegistration _term;
        private readonly PosixSignalRegistration _hup;
        private int _pid;
        private int _pending;

        public SignalForwarder()
        {
            _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Forward(c, SigTerm));
            _hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => Forward(c, SigHup));
        }

        public void To(int pid)
        {
            lock (_gate)
            {
                _pid = pid;
                if (_pending != 0 && pid > 0)
                {
                    _ = Kill(pid, _pending);
                }
            }
        }

        private void Forward(PosixSignalContext context, int signal)
        {
            context.Cancel = true;
            lock (_gate)
            {
                if (_pid == 0)
                {
                    _pending = signal;
                }
                else if (_pid > 0)
                {
                    _ = Kill(_pid, signal);
                }
            }
        }

        public void Dispose()
        {
            _term.Dispose();
            _hup.Dispose();
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }
}
