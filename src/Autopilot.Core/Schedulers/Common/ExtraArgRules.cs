
namespace Autopilot.Schedulers.Common;

/// <summary>
/// What a scheduler's <c>extra_args</c> may not set, because Autopilot sets it and relies on it: the
/// job name and the mark pilots are recognised by, the array, the output paths, the environment that
/// is exported, dependencies and clusters that would hide pilots from the listing, the submission
/// command's output format. Each option is refused in every spelling the command accepts: short,
/// glued (<c>-Jx</c>), grouped (<c>-vJx</c>), long, abbreviated long (<c>--arr=1-9</c>), with
/// <c>=</c> or a separate value (docs/operations.md, "What check refuses in extra_args").
/// </summary>
public sealed class ExtraArgRules
{
    private readonly Dictionary<char, string> _short;
    private readonly string _shortWithValue;
    private readonly Dictionary<string, string> _long;
    private readonly Dictionary<string, string> _words;
    private readonly Func<string, bool>? _ownedDependency;

    internal ExtraArgRules(
        string scheduler,
        Dictionary<char, string>? shortOptions = null,
        string shortWithValue = "",
        Dictionary<string, string>? longOptions = null,
        Dictionary<string, string>? words = null,
        Func<string, bool>? ownedDependency = null)
    {
        Scheduler = scheduler;
        _short = shortOptions ?? [];
        _shortWithValue = shortWithValue;
        _long = longOptions ?? new Dictionary<string, string>(StringComparer.Ordinal);
        _words = words ?? new Dictionary<string, string>(StringComparer.Ordinal);
        _ownedDependency = ownedDependency;
    }

    public string Scheduler { get; }

    internal const string Name = "the job name (pilots are recognised by it)";
    internal const string Array = "the job array (Autopilot submits bursts as arrays itself)";
    internal const string Output = "the output path (pilot logs go to the state folder)";
    internal const string Error = "the error path (pilot logs go to the state folder)";
    internal const string Export = "the environment passed to the pilot (only an allow-list reaches it)";
    internal const string Dependency = "a dependency (pilots would wait on something Autopilot does not see)";
    internal const string Marker = "the mark that tells a pilot from a look-alike job";

    /// <summary>One message per refused argument, each naming <c>scheduler.extra_args[i]</c> and what it would set.</summary>
    public IReadOnlyList<SettingProblem> Check(IReadOnlyList<string> extraArgs)
    {
        ArgumentNullException.ThrowIfNull(extraArgs);
        var problems = new List<SettingProblem>();
        for (var i = 0; i < extraArgs.Count; i++)
        {
            var next = i + 1 < extraArgs.Count ? extraArgs[i + 1] : null;
            if (Owned(extraArgs[i], next) is { } what)
            {
                problems.Add(new("scheduler.extra_args", $"extra_args[{i}]: '{extraArgs[i]}' would set {what}, which Autopilot sets itself; {Scheduler} must not get it from extra_args"));
            }
        }

        return problems;
    }

    private string? Owned(string arg, string? next)
    {
        if (arg.Length < 2 || arg[0] != '-')
        {
            return null;
        }

        if (_words.TryGetValue(arg, out var word))
        {
            return word;
        }

        if (_long.Count > 0 && arg.StartsWith("--", StringComparison.Ordinal))
        {
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg[2..] : arg[2..eq];
            if (name.Length == 0)
            {
                return null;
            }

            // getopt_long takes any unambiguous prefix of a long option: --arr is --array.
            foreach (var (option, what) in _long)
            {
                if (option.StartsWith(name, StringComparison.Ordinal))
                {
                    return what;
                }
            }

            return null;
        }

        if (_short.Count == 0 || arg[1] == '-')
        {
            return null;
        }

        // A getopt group: flags, then at most one option whose value is the rest of the word (or the next word).
        for (var c = 1; c < arg.Length; c++)
        {
            var letter = arg[c];
            var takesValue = _shortWithValue.Contains(letter, StringComparison.Ordinal);
            if (_short.TryGetValue(letter, out var what))
            {
                if (_ownedDependency is null || letter != 'W')
                {
                    return what;
                }

                var value = c + 1 < arg.Length ? arg[(c + 1)..] : next ?? "";
                return _ownedDependency(value) ? what : null;
            }

            if (takesValue)
            {
                return null;
            }
        }

        return null;
    }
}
