using Autopilot.Processes;

namespace Autopilot.Tests.Schedulers.Slurm;

/// <summary>Finds the repository (the folder holding Autopilot.sln) and the Slurm fixtures in it.</summary>
internal static class SlurmFixtures
{
    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Autopilot.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"no Autopilot.sln above {AppContext.BaseDirectory}");
    });

    public static string Path(string name) => System.IO.Path.Combine(RepoRoot.Value, "tests", "fixtures", "schedulers", "slurm", name);

    public static string Read(string name) => File.ReadAllText(Path(name));

    /// <summary>The fixtures carry local times without a zone; UTC keeps the assertions independent of the machine.</summary>
    public static readonly TimeZoneInfo Zone = TimeZoneInfo.Utc;

    public static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso + "Z", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Records every command and answers from a script of canned results (the narrow seam for argv assertions).</summary>
internal sealed class RecordingRunner : IProcessRunner
{
    private readonly Queue<Func<ProcessSpec, ProcessResult>> _answers = new();

    public List<ProcessSpec> Calls { get; } = [];

    public RecordingRunner Returns(int exitCode, string stdout = "", string stderr = "", bool truncated = false)
    {
        _answers.Enqueue(spec => new ProcessResult(spec, exitCode, stdout, stderr, TimeSpan.FromMilliseconds(1), false, truncated));
        return this;
    }

    public RecordingRunner TimesOut()
    {
        _answers.Enqueue(spec => new ProcessResult(spec, -1, "", "", spec.Timeout ?? TimeSpan.Zero, true, false));
        return this;
    }

    public RecordingRunner CannotStart()
    {
        _answers.Enqueue(spec => throw new ProcessFailedException($"`{spec.Display()}` could not be started: No such file or directory"));
        return this;
    }

    public Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        Calls.Add(spec);
        if (_answers.Count == 0)
        {
            throw new InvalidOperationException($"unexpected command: {spec.Display()}");
        }

        return Task.FromResult(_answers.Dequeue()(spec));
    }

    /// <summary>The argv as one list: file name first.</summary>
    public static string[] Argv(ProcessSpec spec) => [spec.FileName, .. spec.Arguments];
}
