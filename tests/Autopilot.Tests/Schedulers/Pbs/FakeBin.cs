namespace Autopilot.Tests.Schedulers.Pbs;

/// <summary>
/// A private copy of one kind's fake scheduler commands (tests/fakes/&lt;kind&gt;) in a temp directory:
/// set what each call prints, run the adapter with BinDir pointing here, then read back the exact argv.
/// </summary>
internal sealed class FakeBin : IDisposable
{
    public FakeBin(string kind)
    {
        Dir = Directory.CreateTempSubdirectory($"autopilot-fake-{kind}-").FullName;
        foreach (var file in Directory.GetFiles(PbsLsfFixtures.Fakes(kind)))
        {
            File.Copy(file, Path.Combine(Dir, Path.GetFileName(file)));
        }

        File.Copy(Path.Combine(PbsLsfFixtures.Repo, "tests", "fakes", "fakelib.sh"), Path.Combine(Dir, "fakelib.sh"));
        Directory.CreateDirectory(Path.Combine(Dir, "responses"));
        Script = Path.Combine(Dir, "pilot.sh");
        File.WriteAllText(Script, "#!/bin/sh\necho pilot\n");
    }

    public string Dir { get; }

    /// <summary>A readable pilot script the fake qsub/bsub can check for.</summary>
    public string Script { get; }

    /// <summary>Sets what call <paramref name="nth"/> (1-based; null: every call) of <paramref name="command"/> prints.</summary>
    public FakeBin Respond(string command, int? nth = null, string? stdout = null, string? stderr = null, int exit = 0)
    {
        var stem = Path.Combine(Dir, "responses", nth is null ? command : $"{command}.{nth}");
        File.WriteAllText(stem + ".stdout", stdout ?? "");
        File.WriteAllText(stem + ".stderr", stderr ?? "");
        File.WriteAllText(stem + ".exit", exit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return this;
    }

    public FakeBin Mode(params string[] switches)
    {
        File.WriteAllLines(Path.Combine(Dir, "mode"), switches);
        return this;
    }

    /// <summary>Every call so far, in order: the command name and its exact argv.</summary>
    public IReadOnlyList<(string Command, string[] Args)> Calls()
    {
        var calls = Path.Combine(Dir, "calls");
        if (!Directory.Exists(calls))
        {
            return [];
        }

        return Directory.GetFiles(calls)
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .Select(f =>
            {
                var name = Path.GetFileName(f);
                var text = File.ReadAllText(f);
                var args = text.Length == 0 ? [] : text[..^1].Split('\0');
                return (name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..], args);
            })
            .ToList();
    }

    public static void AssertCall((string Command, string[] Args) call, string command, params string[] args)
    {
        Assert.Equal(command, call.Command);
        Assert.Equal(args, call.Args);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
