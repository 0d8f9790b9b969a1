using System.Diagnostics;
using System.Text.Json;
using Autopilot.Configuration;
using Autopilot.Processes;

namespace Autopilot.Kubernetes;

/// <summary>kubectl missing, no pod, several pods, or an answer that cannot be read.</summary>
public sealed class KubectlException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A pod as <c>kubectl get pods -o json</c> lists it.</summary>
public sealed record PodInfo(string Name, string Phase, bool Deleting, IReadOnlyList<string> Containers)
{
    public bool Running => Phase == "Running" && !Deleting;
}

/// <summary>
/// <c>autopilot kubectl-exec</c>: find the task server's pod with kubectl (through the process
/// runner), then build the <c>kubectl exec</c> argv that the CLI runs with the terminal passed through.
/// </summary>
public static class KubectlExec
{
    public static readonly TimeSpan GetTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Arguments every kubectl call starts with: --kubeconfig when configured.</summary>
    public static List<string> BaseArguments(KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new List<string>();
        if (!string.IsNullOrEmpty(options.Kubeconfig))
        {
            args.Add("--kubeconfig=" + PathExpander.Expand(options.Kubeconfig));
        }

        return args;
    }

    /// <summary>The <c>kubectl get pods -l &lt;selector&gt; [-n &lt;ns&gt;] -o json</c> argv.</summary>
    public static IReadOnlyList<string> GetPodsArguments(KubernetesOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Selector))
        {
            throw new KubectlException("kubernetes.selector is not set: set it (e.g. selector = \"app=hypershell-server\") or pass --pod");
        }

        var args = BaseArguments(options);
        args.AddRange(["get", "pods", "-l", options.Selector]);
        if (!string.IsNullOrEmpty(options.Namespace))
        {
            args.AddRange(["-n", options.Namespace]);
        }

        args.AddRange(["-o", "json"]);
        return args;
    }

    /// <summary>Parses the JSON of <c>kubectl get pods -o json</c> (a List of Pods).</summary>
    /// <exception cref="KubectlException">Not such a list.</exception>
    public static IReadOnlyList<PodInfo> ParsePods(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new KubectlException("kubectl get pods -o json: no 'items' list in the answer");
            }

            var pods = new List<PodInfo>();
            foreach (var item in items.EnumerateArray())
            {
                var metadata = item.GetProperty("metadata");
                var name = metadata.GetProperty("name").GetString() ?? throw new KubectlException("kubectl get pods -o json: a pod without a name");
                var deleting = metadata.TryGetProperty("deletionTimestamp", out var del) && del.ValueKind == JsonValueKind.String;
                var phase = item.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var ph) ? ph.GetString() ?? "" : "";
                var containers = item.TryGetProperty("spec", out var spec) && spec.TryGetProperty("containers", out var cs) && cs.ValueKind == JsonValueKind.Array
                    ? cs.EnumerateArray().Select(c => c.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "").ToList()
                    : [];
                pods.Add(new PodInfo(name, phase, deleting, containers));
            }

            return pods;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new KubectlException($"kubectl get pods -o json: cannot read the answer: {ex.Message}", ex);
        }
    }

    /// <summary>The one Running pod that matches the selector; an error listing them when there are several.</summary>
    public static async Task<PodInfo> FindPodAsync(KubernetesOptions options, IProcessRunner runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runner);
        var spec = new ProcessSpec(options.Kubectl, GetPodsArguments(options), Timeout: GetTimeout);
        ProcessResult result;
        try
        {
            result = await runner.RunAsync(spec, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessFailedException ex)
        {
            throw new KubectlException(Missing(options, ex.Message), ex);
        }

        if (!result.Succeeded)
        {
            throw new KubectlException($"cannot list pods: {result.Describe()}");
        }

        var pods = ParsePods(result.StandardOutput);
        var running = pods.Where(p => p.Running).ToList();
        var where = $"selector '{options.Selector}'{(string.IsNullOrEmpty(options.Namespace) ? "" : $" in namespace '{options.Namespace}'")}";
        if (running.Count == 0)
        {
            var others = pods.Count == 0 ? "" : $" ({string.Join(", ", pods.Select(p => $"{p.Name}: {(p.Deleting ? "terminating" : p.Phase)}"))})";
            throw new KubectlException($"no Running pod matches {where}{others}");
        }

        if (running.Count > 1)
        {
            throw new KubectlException($"{running.Count} Running pods match {where}: {string.Join(", ", running.Select(p => p.Name))}; choose one with --pod");
        }

        return running[0];
    }

    /// <summary>
    /// The <c>kubectl exec</c> argv: <c>-i</c> always, <c>-t</c> only when stdin is a terminal (a
    /// tty on a pipe would mangle the data and kubectl warns about it).
    /// </summary>
    public static IReadOnlyList<string> ExecArguments(KubernetesOptions options, string pod, string? container, IReadOnlyList<string> command, bool tty)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(command);
        var args = BaseArguments(options);
        args.Add("exec");
        args.Add(tty ? "-it" : "-i");
        if (!string.IsNullOrEmpty(options.Namespace))
        {
            args.AddRange(["-n", options.Namespace]);
        }

        args.Add(pod);
        var c = container ?? options.Container;
        if (!string.IsNullOrEmpty(c))
        {
            args.AddRange(["-c", c]);
        }

        args.Add("--");
        args.AddRange(command.Count > 0 ? command : options.Shell);
        return args;
    }

    /// <summary>The command line as one would type it, each word shell-quoted where needed.</summary>
    public static string Display(string kubectl, IReadOnlyList<string> args) => new ProcessSpec(kubectl, args).Display();

    /// <summary>
    /// Runs kubectl with this process's stdin, stdout and stderr (the operator's terminal), and
    /// returns its exit code. Not through the capturing process runner: an interactive shell needs
    /// the terminal itself.
    /// </summary>
    public static async Task<int> RunAttachedAsync(string kubectl, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(kubectl) { UseShellExecute = false };
        ChildEnvironment.Apply(psi);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new KubectlException($"`{Display(kubectl, args)}` could not be started");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new KubectlException($"`{kubectl}` could not be started: {ex.Message} (install kubectl or set kubernetes.kubectl to its path)", ex);
        }

        using (process)
        {
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C reaches kubectl through the terminal too; give it a moment to leave on its own.
                if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    process.Kill(entireProcessTree: true);
                }

                throw;
            }

            return process.ExitCode;
        }
    }

    private static string Missing(KubernetesOptions options, string detail) =>
        $"kubectl is not available ('{options.Kubectl}'; install it or set kubernetes.kubectl to its path): {detail}";
}
