using System.CommandLine;
using Autopilot.Kubernetes;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot kubectl-exec`: a shell (or a command) in the task server's Kubernetes container.</summary>
public static class KubectlExecCommand
{
    public static Command Build()
    {
        var pod = new Option<string?>("--pod") { Description = "This pod (default: the one Running pod matching kubernetes.selector)" };
        var container = new Option<string?>("--container") { Description = "This container (default: kubernetes.container)" };
        var print = new Option<bool>("--print") { Description = "Print the kubectl command instead of running it" };
        var commandArgs = new Argument<string[]>("command") { Description = "Command to run instead of the shell (after --)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("kubectl-exec", """
            Open a shell in the task server's container (namespace, selector, container and kubeconfig from
            [kubernetes]), or run a command there. The terminal is passed through; -t only when stdin is one.

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
            try
            {
                var podName = parse.GetValue(pod) ?? (await KubectlExec.FindPodAsync(k8s, ctx.Runner(), ct)).Name;
                var tty = !Console.IsInputRedirected;
                var args = KubectlExec.ExecArguments(k8s, podName, parse.GetValue(container), parse.GetValue(commandArgs) ?? [], tty);
                if (parse.GetValue(print))
                {
                    ctx.Out.WriteLine(KubectlExec.Display(k8s.Kubectl, args));
                    return 0;
                }

                return await KubectlExec.RunAttachedAsync(k8s.Kubectl, args, ct);
            }
            catch (KubectlException ex)
            {
                ctx.Err.WriteLine(ex.Message);
                return 1;
            }
        });
        return command;
    }
}
