using System.CommandLine;
using System.Runtime.InteropServices;
using Autopilot.Configuration;

namespace Autopilot.Kubectl;

/// <summary>
/// <c>autopilot-kubectl-exec</c>: the internal helper <c>autopilot kubectl-exec</c> runs, with every
/// setting on its command line (the main binary reads the configuration; this one holds
/// KubernetesClient, which would double the size of every <c>autopilot</c> process's binary:
/// docs/architecture.md, "Two executables"). It inherits the operator's terminal, and its exit code
/// is the command's: the container command's own, or <see cref="KubectlException"/>'s 3, 4, 5 and 1.
/// </summary>
public static class KubectlExecProgram
{
    public static RootCommand Build()
    {
        var ns = new Option<string?>("--namespace") { Description = "Namespace (default: the kubeconfig context's, else 'default')" };
        var selector = new Option<string?>("--selector") { Description = "Label selector of the pod, when --pod is not given" };
        var pod = new Option<string?>("--pod") { Description = "This pod (default: the one Running pod matching --selector)" };
        var container = new Option<string?>("--container") { Description = "This container (default: the pod's default)" };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config or the in-cluster account)" };
        var kubectl = new Option<string>("--kubectl") { Description = "kubectl program named by --print", DefaultValueFactory = _ => new KubernetesOptions().Kubectl };
        var print = new Option<bool>("--print") { Description = "Print the equivalent kubectl command instead of running it" };
        var tty = new Option<bool>("--tty") { Description = "stdin is a terminal: raw mode, the window size, stderr through stdout" };
        var commandArgs = new Argument<string[]>("command") { Description = "Command to run in the container (after --)", Arity = ArgumentArity.ZeroOrMore };
        var root = new RootCommand("""
            Internal helper of `autopilot kubectl-exec`, which reads [kubernetes] from the configuration
            and passes every setting here: run that instead. Runs a command in a pod's container through
            the Kubernetes API. Exit: the command's own code; 3 no pod matches, 4 none is Running,
            5 several are, 1 other errors.
            """)
        {
            ns,
            selector,
            pod,
            container,
            kubeconfig,
            kubectl,
            print,
            tty,
            commandArgs,
        };
        root.SetAction(async (parse, ct) =>
        {
            var k8s = new KubernetesOptions
            {
                Namespace = parse.GetValue(ns),
                Selector = parse.GetValue(selector),
                Container = parse.GetValue(container),
                Kubeconfig = parse.GetValue(kubeconfig),
                Kubectl = parse.GetValue(kubectl)!,
            };
            var words = parse.GetValue(commandArgs) ?? [];
            var terminal = parse.GetValue(tty);
            try
            {
                var (client, resolvedNs) = KubectlExec.Connect(k8s);
                using var disposeClient = client;
                var podName = parse.GetValue(pod) ?? (await KubectlExec.FindPodAsync(client, resolvedNs, k8s, ct)).Name;
                if (parse.GetValue(print))
                {
                    parse.InvocationConfiguration.Output.WriteLine(KubectlExec.Display(k8s.Kubectl, KubectlExec.ExecArguments(k8s, podName, k8s.Container, words, terminal)));
                    return 0;
                }

                using var raw = terminal ? RawTerminal.Enter() : null;
                var size = terminal ? new TerminalSize(() => (Console.WindowWidth, Console.WindowHeight)) : null;
                using var winch = size is null || OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => size.Raise());
                await using var stdin = Console.OpenStandardInput();
                await using var stdout = Console.OpenStandardOutput();
                await using var stderr = Console.OpenStandardError();
                return await KubectlExec.ExecAsync(client, resolvedNs, podName, k8s.Container, words, terminal, stdin, stdout, stderr, size, ct);
            }
            catch (KubectlException ex)
            {
                parse.InvocationConfiguration.Error.WriteLine(ex.Message);
                return ex.ExitCode;
            }
        });
        return root;
    }
}
