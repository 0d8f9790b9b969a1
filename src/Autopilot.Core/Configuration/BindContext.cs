using System.Globalization;
using Tomlyn.Syntax;

namespace Autopilot.Configuration;

/// <summary>The configuration being bound: the file's tree with the overrides applied, and origins for messages.</summary>
internal sealed class BindContext(ConfigNode root, string? path, string workingDirectory)
{
    public List<ConfigError> Errors { get; } = [];

    /// <summary>The same configuration with an error list of its own.</summary>
    public BindContext Fork() => new(root, path, workingDirectory);
    public string? FilePath => path;

    /// <summary>Where <paramref name="key"/> (or the nearest table above it) was written; the file, or "default".</summary>
    public string Location(string key)
    {
        var node = root.Deepest(key);
        return node == root ? path ?? "default" : node.Origin.Description;
    }

    public ConfigOrigin? Origin(string key) => key.Length == 0 ? null : root.Find(key)?.Origin;

    public void Error(string key, string message) => Errors.Add(new ConfigError(Location(key), key, message));

    /// <summary>The node at <paramref name="key"/> ("" for the top), or null when nothing sets it.</summary>
    public ConfigNode? Node(string key) => root.Find(key);

    /// <summary>The value at <paramref name="key"/> as written in the file (null: absent, a table or array, or set by an override).</summary>
    public ValueSyntax? FileNode(string key) => root.Find(key)?.Syntax;

    /// <summary>The value's text at <paramref name="key"/> (null: absent, or a table/array).</summary>
    public string? Value(string key) => root.Find(key)?.Text;

    /// <summary>The names directly under <paramref name="key"/> ("" for the top), in written order.</summary>
    public IReadOnlyList<string> ChildKeys(string key) => root.Find(key)?.ChildKeys ?? [];

    public bool Has(string key) => root.Find(key) is not null;

    /// <summary>~ and $VAR expanded; relative paths resolved against the config file's folder when written there, else the working directory.</summary>
    public string ResolvePath(string key, string value)
    {
        var expanded = PathExpander.Expand(value);
        if (expanded.Length == 0 || System.IO.Path.IsPathRooted(expanded))
        {
            return expanded;
        }

        var baseDir = Origin(key)?.Kind == ConfigOriginKind.File && path is not null
            ? System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? workingDirectory
            : workingDirectory;
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, expanded));
    }
}

/// <summary>Reads one table of the configuration; remembers which keys it knew so the rest are reported as unknown.</summary>
internal sealed class SectionReader(BindContext ctx, string prefix)
{
    // TOML keys are case-sensitive: `Max_Pilots` is not `max_pilots` and must be reported, not ignored.
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public BindContext Context => ctx;
    public string Prefix => prefix;

    public string Key(string name) => prefix.Length == 0 ? name : prefix + ":" + name;

    public void Error(string name, string message) => ctx.Error(Key(name), message);

    /// <summary>The keys read so far.</summary>
    public IReadOnlyCollection<string> Known => _known;

    /// <summary>Takes <paramref name="names"/> as known without reading them.</summary>
    public void Accept(IEnumerable<string> names) => _known.UnionWith(names);

    /// <summary>A reader of the same table whose errors go to a list of their own.</summary>
    public SectionReader Fork() => new(ctx.Fork(), prefix);

    public bool Has(string name)
    {
        _known.Add(name);
        return ctx.Has(Key(name));
    }

    public SectionReader Child(string name)
    {
        _known.Add(name);
        var key = Key(name);
        if (ctx.Node(key) is { IsTable: false } node)
        {
            ctx.Error(key, $"expected a table, got {node.Describe()}");
        }

        return new SectionReader(ctx, key);
    }

    public string String(string name, string fallback) => OptionalString(name) ?? fallback;

    public string? OptionalString(string name)
    {
        if (!TryScalar(name, "a string", out var raw, out var node))
        {
            return null;
        }

        if (node is not null and not StringValueSyntax)
        {
            Error(name, $"expected a string, got {Describe(Key(name))}");
            return null;
        }

        return raw.Length == 0 ? null : raw;
    }

    public string? OptionalPath(string name)
    {
        var value = OptionalString(name);
        return value is null ? null : ctx.ResolvePath(Key(name), value);
    }

    public string Path(string name, string fallback)
    {
        var value = OptionalString(name);
        return ctx.ResolvePath(value is null ? "" : Key(name), value ?? fallback);
    }

    public string Choice(string name, string fallback, IReadOnlyList<string> allowed, string what)
    {
        var value = OptionalString(name);
        if (value is null)
        {
            return fallback;
        }

        if (allowed.Contains(value, StringComparer.Ordinal))
        {
            return value;
        }

        var hint = Suggest.Closest(value, allowed);
        Error(name, $"unknown {what} '{value}' (expected one of: {string.Join(", ", allowed)}){(hint is null ? "" : $"; did you mean '{hint}'?")}");
        return fallback;
    }

    public long Long(string name, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        if (!TryScalar(name, "an integer", out var raw, out var node))
        {
            return fallback;
        }

        long value;
        if (node is IntegerValueSyntax integer)
        {
            value = integer.Value;
        }
        else if (node is not null)
        {
            Error(name, $"expected an integer, got {Describe(Key(name))}");
            return fallback;
        }
        else if (!long.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            Error(name, $"expected an integer, got '{raw}'");
            return fallback;
        }

        if (value < min)
        {
            Error(name, min == 0 ? $"must not be negative, got {value}" : $"must be at least {min}, got {value}");
            return fallback;
        }

        if (value > max)
        {
            Error(name, $"must be at most {max}, got {value}");
            return fallback;
        }

        return value;
    }

    public int Int(string name, int fallback, int min = int.MinValue, int max = int.MaxValue) => (int)Long(name, fallback, min, max);

    public double Double(string name, double fallback)
    {
        if (!TryScalar(name, "a number", out var raw, out var node))
        {
            return fallback;
        }

        switch (node)
        {
            case FloatValueSyntax f:
                return f.Value;
            case IntegerValueSyntax i:
                return i.Value;
            case null when double.TryParse(raw.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed):
                return parsed;
            default:
                Error(name, $"expected a number, got {Describe(Key(name))}");
                return fallback;
        }
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryScalar(name, "a boolean", out var raw, out var node))
        {
            return fallback;
        }

        switch (node)
        {
            case BooleanValueSyntax b:
                return b.Value;
            case null when bool.TryParse(raw.Trim(), out var parsed):
                return parsed;
            default:
                Error(name, $"expected true or false, got {Describe(Key(name))}");
                return fallback;
        }
    }

    public TimeSpan Duration(string name, TimeSpan fallback, bool positive = false)
    {
        if (!TryScalar(name, "a duration", out var raw, out var node))
        {
            return fallback;
        }

        TimeSpan value;
        if (node is IntegerValueSyntax seconds)
        {
            if (seconds.Value < 0)
            {
                Error(name, $"must not be negative, got {seconds.Value}");
                return fallback;
            }

            if (!ConfigValues.TryParseDuration(seconds.Value.ToString(CultureInfo.InvariantCulture), out value, out var error))
            {
                Error(name, error!);
                return fallback;
            }
        }
        else if (node is not null and not StringValueSyntax)
        {
            Error(name, $"expected a duration such as \"90s\", \"5m\", \"1h30m\" or integer seconds, got {Describe(Key(name))}");
            return fallback;
        }
        else if (!ConfigValues.TryParseDuration(raw, out value, out var error))
        {
            Error(name, error!);
            return fallback;
        }

        if (positive && value <= TimeSpan.Zero)
        {
            Error(name, "must be longer than zero");
            return fallback;
        }

        return value;
    }

    public TimeSpan Walltime(string name, TimeSpan fallback)
    {
        if (!TryScalar(name, "a walltime", out var raw, out var node))
        {
            return fallback;
        }

        if (node is not null and not StringValueSyntax and not IntegerValueSyntax)
        {
            Error(name, $"expected a walltime such as \"01:30:00\" or \"2-00:00:00\", got {Describe(Key(name))}");
            return fallback;
        }

        if (!ConfigValues.TryParseWalltime(raw, out var value, out var error))
        {
            Error(name, error!);
            return fallback;
        }

        return value;
    }

    public long MemoryMb(string name, long fallback)
    {
        if (!TryScalar(name, "a memory size", out var raw, out var node))
        {
            return fallback;
        }

        if (node is IntegerValueSyntax integer)
        {
            if (integer.Value < 0)
            {
                Error(name, $"must not be negative, got {integer.Value}");
                return fallback;
            }

            return integer.Value;
        }

        if (node is not null and not StringValueSyntax)
        {
            Error(name, $"expected a memory size such as \"512M\" or \"4G\", got {Describe(Key(name))}");
            return fallback;
        }

        if (!ConfigValues.TryParseMemoryMb(raw, out var mb, out var error))
        {
            Error(name, error!);
            return fallback;
        }

        return mb;
    }

    public string Cron(string name, string fallback)
    {
        var value = OptionalString(name);
        if (value is null)
        {
            return fallback;
        }

        if (!ConfigValues.TryValidateCron(value, out var error))
        {
            Error(name, error!);
            return fallback;
        }

        return value;
    }

    /// <summary>An IANA time zone name, or null when the key is absent (the machine's local zone).</summary>
    public string? TimeZone(string name)
    {
        var value = OptionalString(name);
        if (value is not null && !CronSchedule.TryFindZone(value, out _, out var error))
        {
            Error(name, error);
            return null;
        }

        return value;
    }

    public IReadOnlyList<string> StringList(string name, IReadOnlyList<string> fallback) =>
        List(name, fallback, "strings", (key, raw, node) =>
        {
            if (node is not null and not StringValueSyntax)
            {
                ctx.Error(key, $"expected a string, got {Describe(key)}");
                return (false, "");
            }

            return (true, raw);
        });

    public IReadOnlyList<TimeSpan> DurationList(string name, IReadOnlyList<TimeSpan> fallback) =>
        List(name, fallback, "durations", (key, raw, node) =>
        {
            if (node is IntegerValueSyntax i && i.Value >= 0)
            {
                return (true, TimeSpan.FromSeconds(i.Value));
            }

            if (node is not null and not StringValueSyntax)
            {
                ctx.Error(key, $"expected a duration, got {Describe(key)}");
                return (false, TimeSpan.Zero);
            }

            if (!ConfigValues.TryParseDuration(raw, out var value, out var error))
            {
                ctx.Error(key, error!);
                return (false, TimeSpan.Zero);
            }

            return (true, value);
        });

    /// <summary>A table of scalar values (template_vars); values are kept as text.</summary>
    public IReadOnlyDictionary<string, string> StringMap(string name, Func<string, string?> checkName)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Has(name))
        {
            return result;
        }

        var key = Key(name);
        if (ctx.Node(key) is { IsTable: false } node)
        {
            ctx.Error(key, $"expected a table, got {node.Describe()}");
            return result;
        }

        foreach (var child in ctx.ChildKeys(key))
        {
            var childKey = key + ":" + child;
            var childValue = ctx.Value(childKey);
            if (childValue is null)
            {
                ctx.Error(childKey, $"expected a string, got {Describe(childKey)}");
                continue;
            }

            var problem = checkName(child);
            if (problem is not null)
            {
                ctx.Error(childKey, problem);
                continue;
            }

            result[child] = childValue;
        }

        return result;
    }

    /// <summary>Reports every key of this table nobody asked for, with a suggestion.</summary>
    public void Finish()
    {
        foreach (var child in ctx.ChildKeys(prefix))
        {
            if (_known.Contains(child))
            {
                continue;
            }

            var key = Key(child);
            if (child.Equals("password", StringComparison.OrdinalIgnoreCase))
            {
                ctx.Error(key, "inline passwords are not accepted: put the password in a file only you can read (chmod 600) and set password_file, or name an environment variable in password_env");
                continue;
            }

            var hint = Suggest.Closest(child, _known);
            ctx.Error(key, hint is null ? "unknown key" : $"unknown key; did you mean '{hint}'?");
        }
    }

    private IReadOnlyList<T> List<T>(string name, IReadOnlyList<T> fallback, string what, Func<string, string, ValueSyntax?, (bool Ok, T Value)> item)
    {
        if (!Has(name))
        {
            return fallback;
        }

        var key = Key(name);
        var list = ctx.Node(key)!;
        if (!list.IsArray && (list.IsValue || list.Origin.Kind == ConfigOriginKind.File))
        {
            ctx.Error(key, $"expected an array of {what}, got {list.Describe()}"
                + (list.Origin.Kind == ConfigOriginKind.File ? "" : $" (from the environment or command line, give each element: {key}:0, {key}:1, ...)"));
            return fallback;
        }

        // ChildKeys lists integer names first, in numeric order: the items come in index order.
        var items = new List<T>();
        var ok = true;
        foreach (var child in ctx.ChildKeys(key))
        {
            var childKey = key + ":" + child;
            if (!int.TryParse(child, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                ctx.Error(childKey, $"expected an array index, got '{child}'");
                ok = false;
                continue;
            }

            var childNode = ctx.FileNode(childKey);
            var childValue = ctx.Value(childKey);
            if (childValue is null)
            {
                ctx.Error(childKey, $"expected one of {what}, got {Describe(childKey)}");
                ok = false;
                continue;
            }

            var (good, value) = item(childKey, childValue, childNode);
            ok &= good;
            items.Add(value);
        }

        return ok ? items : fallback;
    }

    private bool TryScalar(string name, string expected, out string raw, out ValueSyntax? node)
    {
        _known.Add(name);
        var key = Key(name);
        var found = ctx.Node(key);
        node = found?.Syntax;
        var value = found?.Text;
        raw = "";
        if (found is { IsValue: false })
        {
            ctx.Error(key, $"expected {expected}, got {found.Describe()}");
            return false;
        }

        if (value is null)
        {
            return false;
        }

        raw = value;
        return true;
    }

    private string Describe(string key) => ctx.Node(key)?.Describe() ?? "nothing";
}
