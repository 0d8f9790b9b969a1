using System.CommandLine;
using System.Runtime.InteropServices;
using Autopilot.Kubernetes;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot kubectl-exec`: a shell (or a command) in the task server's Kubernetes container.</summary>
public static class KubectlExecCommand
{
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

            var k8s = ctx.Options.Kubernetes;
            var tty = !Console.IsInputRedirected;
            try
            {
                var (client, ns) = KubectlExec.Connect(k8s);
                using var disposeClient = client;
                var podName = parse.GetValue(pod) ?? (await KubectlExec.FindPodAsync(client, ns, k8s, ct)).Name;
                var containerName = parse.GetValue(container) ?? k8s.Container;
                var words = KubectlExec.Command(k8s, parse.GetValue(commandArgs) ?? []);
                if (parse.GetValue(print))
                {
                    ctx.Out.WriteLine(KubectlExec.Display(k8s.Kubectl, KubectlExec.ExecArguments(k8s, podName, containerName, words, tty)));
                    return 0;
                }

                using var terminal = tty ? RawTerminal.Enter() : null;
                var size = tty ? new TerminalSize(() => (Console.WindowWidth, Console.WindowHeight)) : null;
                using var winch = size is null || OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => size.Raise());
                await using var stdin = Console.OpenStandardInput();
                await using var stdout = Console.OpenStandardOutput();
                await using var stderr = Console.OpenStandardError();
                return await KubectlExec.ExecAsync(client, ns, podName, containerName, words, tty, stdin, stdout, stderr, size, ct);
            }
            catch (KubectlException ex)
            {
                ctx.Err.WriteLine(ex.Message);
                return ex.ExitCode;
            }
        });
        return command;
    }
}
