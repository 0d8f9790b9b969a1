namespace Autopilot.TaskLogs;

/// <summary>A pilot's own output file in the pilot-log folder.</summary>
public sealed record PilotLogFile(string Pool, string Path);

/// <summary>
/// Finds a pilot job's stdout/stderr under <c>&lt;state_dir&gt;/pilots/&lt;pool&gt;/</c>. The schedulers
/// name them <c>&lt;job name&gt;-&lt;id&gt;.out</c> (Slurm %x-%j, local &lt;job name&gt;-local-N) and, for a
/// Slurm array, <c>&lt;job name&gt;-&lt;array id&gt;_&lt;index&gt;.out</c>: a pilot id matches its own file,
/// and an array id matches every element's.
/// </summary>
public static class PilotLogFiles
{
    public static IReadOnlyList<PilotLogFile> Find(string stateDir, IEnumerable<string> pools, string jobId)
    {
        ArgumentNullException.ThrowIfNull(pools);
        CheckJobId(jobId);

        var found = new List<PilotLogFile>();
        foreach (var pool in pools)
        {
            var dir = Folder(stateDir, pool);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(dir))
            {
                if (Matches(Path.GetFileName(file), jobId))
                {
                    found.Add(new PilotLogFile(pool, file));
                }
            }
        }

        return found.OrderBy(f => f.Pool, StringComparer.Ordinal).ThenBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    /// <exception cref="ArgumentException">Not something a job id can be (it would reach a file name).</exception>
    public static void CheckJobId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId) || jobId.IndexOfAny(['/', '\\', '*', '?']) >= 0 || jobId.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{jobId}' is not a job id");
        }
    }

    /// <summary>True when the file <paramref name="name"/> is the output of pilot <paramref name="jobId"/> (or of an element of array <paramref name="jobId"/>).</summary>
    public static bool Matches(string name, string jobId)
    {
        var stem = Path.GetFileNameWithoutExtension(name);
        return stem.EndsWith("-" + jobId, StringComparison.Ordinal) || stem.Contains("-" + jobId + "_", StringComparison.Ordinal) && IsArrayElement(stem, jobId);
    }

    public static string Folder(string stateDir, string pool) => Path.Combine(State.StateDirectory.PilotLogs(stateDir), pool);

    private static bool IsArrayElement(string stem, string jobId)
    {
        var at = stem.LastIndexOf("-" + jobId + "_", StringComparison.Ordinal);
        var index = stem[(at + jobId.Length + 2)..];
        return index.Length > 0 && index.All(char.IsAsciiDigit);
    }
}
