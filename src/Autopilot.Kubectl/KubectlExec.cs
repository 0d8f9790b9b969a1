using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Autopilot.Configuration;
using Autopilot.Processes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Autopilot.Kubectl;

/// <summary>No pod, several pods, a pod not Running, or an API server that cannot be asked; <see cref="ExitCode"/> says which.</summary>
public sealed class KubectlException(string message, int exitCode = KubectlException.Failed, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The kubeconfig, the API server or the exec failed.</summary>
    public const int Failed = 1;

    /// <summary>No pod matches the selector.</summary>
    public const int NoPod = 3;

    /// <summary>Pods match, but none is Running.</summary>
    public const int NotRunning = 4;

    /// <summary>More than one Running pod matches (choose with --pod).</summary>
    public const int SeveralPods = 5;

    public int ExitCode { get; } = exitCode;
}

/// <summary>A pod as the API lists it.</summary>
public sealed record PodInfo(string Name, string Phase, bool Deleting, IReadOnlyList<string> Containers)
{
    public bool Running => Phase == "Running" && !Deleting;
}

/// <summary>
/// <c>autopilot-kubectl-exec</c> (what <c>autopilot kubectl-exec</c> runs) through the Kubernetes API (KubernetesClient): the kubeconfig
/// (kubernetes.kubeconfig, else $KUBECONFIG, ~/.kube/config or the in-cluster service account), the
/// pod by namespace and label selector, and exec over the API's WebSocket (v5.channel.k8s.io, or
/// v4 from servers without it). <see cref="ExecArguments"/> is the equivalent kubectl command for --print.
/// </summary>
public static class KubectlExec
{
    /// <summary>The client for the configured (or default) kubeconfig, and the namespace to use.</summary>
    public static (IKubernetes Client, string Namespace) Connect(KubernetesOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        KubernetesClientConfiguration config;
        try
        {
            config = string.IsNullOrEmpty(options.Kubeconfig)
                ? KubernetesClientConfiguration.BuildDefaultConfig()
                : KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The reader throws its YAML parser's exceptions too; whatever it is, the file is the problem.
            throw new KubectlException($"cannot read the kubeconfig{(string.IsNullOrEmpty(options.Kubeconfig) ? "" : $" {options.Kubeconfig}")}: {ex.Message}", KubectlException.Failed, ex);
        }

        var ns = !string.IsNullOrEmpty(options.Namespace) ? options.Namespace : config.Namespace ?? "default";
        return (new k8s.Kubernetes(config), ns);
    }

    /// <summary>The one Running pod that matches the selector; a distinct error (and exit code) for none, none Running, or several.</summary>
    public static async Task<PodInfo> FindPodAsync(IKubernetes client, string ns, KubernetesOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Selector))
        {
            throw new KubectlException("kubernetes.selector is not set: set it (e.g. selector = \"app=hypershell-server\") or pass --pod");
        }

        V1PodList list;
        try
        {
            list = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: options.Selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or KubernetesException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new KubectlException($"cannot list pods in namespace '{ns}' at {client.BaseUri}: {Reason(ex)}", KubectlException.Failed, ex);
        }

        var pods = list.Items.Select(p => new PodInfo(
            p.Metadata?.Name ?? "",
            p.Status?.Phase ?? "",
            p.Metadata?.DeletionTimestamp is not null,
            p.Spec?.Containers?.Select(c => c.Name).ToList() ?? [])).ToList();
        var running = pods.Where(p => p.Running).ToList();
        var where = $"selector '{options.Selector}' in namespace '{ns}'";
        if (pods.Count == 0)
        {
            throw new KubectlException($"no pod matches {where}", KubectlException.NoPod);
        }

        if (running.Count == 0)
        {
            throw new KubectlException(
                $"no Running pod matches {where} ({string.Join(", ", pods.Select(p => $"{p.Name}: {(p.Deleting ? "terminating" : p.Phase)}"))})",
                KubectlException.NotRunning);
        }

        if (running.Count > 1)
        {
            throw new KubectlException($"{running.Count} Running pods match {where}: {string.Join(", ", running.Select(p => p.Name))}; choose one with --pod", KubectlException.SeveralPods);
        }

        return running[0];
    }

    /// <summary>
    /// Runs <paramref name="command"/> in the pod over the API's exec WebSocket: <paramref name="stdin"/>
    /// to the container (its end closes the container's stdin on v5), its stdout and stderr back, and
    /// the exit code from the status frame. With <paramref name="tty"/>, stderr comes through stdout
    /// (as with kubectl) and <paramref name="windowSize"/> is sent first and whenever it is raised again.
    /// </summary>
    public static async Task<int> ExecAsync(
        IKubernetes client,
        string ns,
        string pod,
        string? container,
        IReadOnlyList<string> command,
        bool tty,
        Stream stdin,
        Stream stdout,
        Stream stderr,
        TerminalSize? windowSize,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(stdin);
        WebSocket socket;
        try
        {
            socket = await OpenAsync(client, ns, pod, container, command, tty, WebSocketProtocol.V5BinaryWebsocketProtocol, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException)
        {
            // An API server before Kubernetes 1.30 speaks v4 only: stdin then cannot be closed, the rest is the same.
            socket = await OpenAsync(client, ns, pod, container, command, tty, WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken).ConfigureAwait(false);
        }

        using var demuxer = new StreamDemuxer(socket);
        using var toContainer = demuxer.GetStream(null, ChannelIndex.StdIn);
        using var fromStdout = demuxer.GetStream(ChannelIndex.StdOut, null);
        using var fromStderr = demuxer.GetStream(ChannelIndex.StdErr, null);
        using var status = demuxer.GetStream(ChannelIndex.Error, null);
        using var resize = demuxer.GetStream(null, ChannelIndex.Resize);
        demuxer.Start();

        if (windowSize is not null)
        {
            await SendSizeAsync(resize, windowSize, cancellationToken).ConfigureAwait(false);
            windowSize.Changed += () => _ = SendSizeAsync(resize, windowSize, CancellationToken.None);
        }

        var outCopy = fromStdout.CopyToAsync(stdout, cancellationToken);
        var errCopy = fromStderr.CopyToAsync(stderr, cancellationToken);
        var v5 = socket.SubProtocol == WebSocketProtocol.V5BinaryWebsocketProtocol;
        _ = Task.Run(
            async () =>
            {
                try
                {
                    await stdin.CopyToAsync(toContainer, cancellationToken).ConfigureAwait(false);
                    if (v5)
                    {
                        await demuxer.CloseChannel(ChannelIndex.StdIn, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // The container ended first; what is left of stdin has nobody to read it.
                }
            },
            CancellationToken.None);

        using var reader = new StreamReader(status);
        var frame = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(outCopy, errCopy).ConfigureAwait(false);
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(frame))
        {
            throw new KubectlException($"exec in pod '{pod}': the connection closed without an exit status");
        }

        try
        {
            return k8s.Kubernetes.GetExitCodeOrThrow(KubernetesJson.Deserialize<V1Status>(frame));
        }
        catch (KubernetesException ex)
        {
            throw new KubectlException($"exec in pod '{pod}': {ex.Status?.Message ?? ex.Message}", KubectlException.Failed, ex);
        }
    }

    /// <summary>
    /// The equivalent <c>kubectl exec</c> argv (for --print) of <paramref name="command"/> (kubernetes.shell
    /// already put in by <c>autopilot</c> when none was given): <c>-i</c> always, <c>-t</c> only when stdin is a terminal.
    /// </summary>
    public static IReadOnlyList<string> ExecArguments(KubernetesOptions options, string pod, string? container, IReadOnlyList<string> command, bool tty)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(command);
        var args = new List<string>();
        if (!string.IsNullOrEmpty(options.Kubeconfig))
        {
            args.Add("--kubeconfig=" + options.Kubeconfig);
        }

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
        args.AddRange(command);
        return args;
    }

    /// <summary>The command line as one would type it, each word shell-quoted where needed.</summary>
    public static string Display(string kubectl, IReadOnlyList<string> args) => new ProcessSpec(kubectl, args).Display();

    private static async Task<WebSocket> OpenAsync(IKubernetes client, string ns, string pod, string? container, IReadOnlyList<string> command, bool tty, string protocol, CancellationToken cancellationToken)
    {
        try
        {
            // A terminal merges stderr into stdout; the API refuses both at once.
            return await client.WebSocketNamespacedPodExecAsync(pod, ns, command, container, stderr: !tty, stdin: true, stdout: true, tty: tty, webSocketSubProtocol: protocol, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException or KubernetesException or k8s.Exceptions.KubernetesClientException)
        {
            throw new KubectlException($"cannot exec in pod '{pod}' (namespace '{ns}') at {client.BaseUri}: {Reason(ex)}", KubectlException.Failed, ex);
        }
    }

    private static async Task SendSizeAsync(Stream resize, TerminalSize size, CancellationToken cancellationToken)
    {
        var (width, height) = size.Current();
        var json = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteNumber("Width", width);
            writer.WriteNumber("Height", height);
            writer.WriteEndObject();
        }

        try
        {
            await resize.WriteAsync(json.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException)
        {
            // The session is over.
        }
    }

    private static string Reason(Exception ex) => ex switch
    {
        HttpOperationException { Response: { } response } http => $"{(int)response.StatusCode} {response.StatusCode}: {(string.IsNullOrWhiteSpace(response.Content) ? http.Message : response.Content.Trim())}",
        _ => ex.Message,
    };
}

/// <summary>The size of the operator's terminal, and a signal when it changes (SIGWINCH).</summary>
public sealed class TerminalSize(Func<(int Width, int Height)> current)
{
    public event Action? Changed;

    public (int Width, int Height) Current() => current();

    public void Raise() => Changed?.Invoke();
}
