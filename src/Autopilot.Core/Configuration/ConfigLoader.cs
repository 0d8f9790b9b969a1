using System.Collections;
using System.Globalization;

namespace Autopilot.Configuration;

/// <summary>
/// Finds, reads, merges and validates the configuration. Layers, later wins: defaults, the TOML
/// file, <c>AUTOPILOT__*</c> environment variables (<c>__</c> separates keys), <c>--set</c> overrides.
/// Tomlyn reads the file into its syntax tree (<see cref="TomlDocument"/>), indexed by key into
/// <see cref="ConfigNode"/>s; the overrides replace nodes of that tree, and the binder reads it once
/// into the typed options, each value with the place it came from.
/// </summary>
public static class ConfigLoader
{
    public const string EnvironmentPrefix = "AUTOPILOT__";
    public const string ConfigVariable = "AUTOPILOT_CONFIG";

    public static LoadedConfig Load(ConfigRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var env = request.Environment ?? ProcessEnvironment();
        var cwd = request.WorkingDirectory ?? Directory.GetCurrentDirectory();
        var errors = new List<ConfigError>();
        var (path, searched) = Locate(request, env, cwd, errors);

        var root = ConfigNode.Table(ConfigOrigin.Default);
        if (path is not null)
        {
            try
            {
                var document = TomlDocument.Parse(RegularFile.ReadAll(path, RegularFile.MaxConfigBytes), path);
                root = document.Root;
                errors.AddRange(document.Errors);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add(new ConfigError(path, "", $"cannot read: {ex.Message}"));
            }
        }

        ApplyEnvironment(root, env);
        ApplyOverrides(root, request.Overrides, errors);

        var ctx = new BindContext(root, path, cwd);
        var options = OptionsBinder.Bind(ctx);
        errors.AddRange(ctx.Errors);
        // From now on no child process (a scheduler command, a demand command, a pilot) gets these.
        Processes.ChildEnvironment.Forbid(SecretVariables(options));
        if (request.CheckSecrets)
        {
            CheckSecrets(options, ctx, env, errors);
        }

        return new LoadedConfig
        {
            Options = options,
            Errors = SortErrors(errors),
            Path = path is null ? null : Path.GetFullPath(path),
            Searched = searched,
            Origins = new ConfigOriginMap(root),
        };
    }

    /// <summary>The places looked at, in order, for a request without --config and AUTOPILOT_CONFIG.</summary>
    public static IReadOnlyList<string> DefaultSearchPath(string workingDirectory, string? home) =>
    [
        Path.Combine(workingDirectory, "autopilot.toml"),
        .. string.IsNullOrEmpty(home) ? Array.Empty<string>() : [Path.Combine(home, ".config", "autopilot", "autopilot.toml")],
        "/etc/autopilot/autopilot.toml",
    ];

    private static (string? Path, IReadOnlyList<string> Searched) Locate(
        ConfigRequest request, IReadOnlyDictionary<string, string> env, string cwd, List<ConfigError> errors)
    {
        if (!string.IsNullOrWhiteSpace(request.ConfigPath))
        {
            var path = Path.GetFullPath(Path.Combine(cwd, PathExpander.Expand(request.ConfigPath)));
            if (!File.Exists(path))
            {
                errors.Add(new ConfigError("--config", "", $"configuration file {path} {RegularFile.Missing(path)}"));
                return (null, [path]);
            }

            return (path, [path]);
        }

        if (env.TryGetValue(ConfigVariable, out var fromEnv) && !string.IsNullOrWhiteSpace(fromEnv))
        {
            var path = Path.GetFullPath(Path.Combine(cwd, PathExpander.Expand(fromEnv)));
            if (!File.Exists(path))
            {
                errors.Add(new ConfigError("env " + ConfigVariable, "", $"configuration file {path} {RegularFile.Missing(path)}"));
                return (null, [path]);
            }

            return (path, [path]);
        }

        env.TryGetValue("HOME", out var home);
        var searched = DefaultSearchPath(cwd, home);
        return (searched.FirstOrDefault(File.Exists), searched);
    }

    // `--set pool.main.limits.max_pilots=5` addresses a pool by name; the index is what the layers use.
    private static string ResolvePoolName(string key, ConfigNode root, out string? problem)
    {
        problem = null;
        var parts = key.Split(':');
        if (parts.Length < 2 || parts[0] != "pool" || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return key;
        }

        if (root.Child("pool") is { } pools)
        {
            foreach (var index in pools.ChildKeys)
            {
                if (string.Equals(pools.Child(index)!.Child("name")?.Text, parts[1], StringComparison.OrdinalIgnoreCase))
                {
                    parts[1] = index;
                    return string.Join(':', parts);
                }
            }
        }

        problem = $"no pool named '{parts[1]}'";
        return key;
    }

    private static void CheckSecrets(AutopilotOptions options, BindContext ctx, IReadOnlyDictionary<string, string> env, List<ConfigError> errors)
    {
        void Check(string prefix, string? file, string? variable)
        {
            if (file is not null)
            {
                var key = prefix + ":password_file";
                if (!File.Exists(file))
                {
                    errors.Add(new ConfigError(ctx.Location(key), key, $"password file {file} {RegularFile.Missing(file)}"));
                }
                else
                {
                    try
                    {
                        Secrets.CheckPrivate(file, "password file");
                    }
                    catch (SecretException ex)
                    {
                        errors.Add(new ConfigError(ctx.Location(key), key, ex.Message));
                    }
                }
            }

            if (variable is not null && (!env.TryGetValue(variable, out var value) || string.IsNullOrEmpty(value)))
            {
                var key = prefix + ":password_env";
                errors.Add(new ConfigError(ctx.Location(key), key, $"environment variable {variable} is not set"));
            }
        }

        Check("leader:postgres", options.Leader.Postgres.PasswordFile, options.Leader.Postgres.PasswordEnv);
        for (var i = 0; i < options.Pools.Count; i++)
        {
            foreach (var (table, file, variable) in options.Pools[i].Demand.Passwords)
            {
                Check(table.Length == 0 ? $"pool:{i}:demand" : $"pool:{i}:demand:{table}", file, variable);
            }
        }
    }

    /// <summary>AUTOPILOT__* variables: each replaces the node at its key path.</summary>
    private static void ApplyEnvironment(ConfigNode root, IReadOnlyDictionary<string, string> env)
    {
        // Sorted names, not LINQ over the pairs: ordering KeyValuePair<string, string> is generic code
        // over a struct that ReadyToRun leaves to the JIT at every start.
        var names = new List<string>();
        foreach (var name in env.Keys)
        {
            if (name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal) && name.Length > EnvironmentPrefix.Length)
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var key = name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal).ToLowerInvariant();
            root.Override(key, env[name], new ConfigOrigin(ConfigOriginKind.Environment, "env " + name));
        }
    }

    /// <summary>--set key=value: each replaces the node at its key path (a pool may be named).</summary>
    private static void ApplyOverrides(ConfigNode root, IEnumerable<string> overrides, List<ConfigError> errors)
    {
        foreach (var item in overrides)
        {
            var eq = item.IndexOf('=');
            if (eq <= 0)
            {
                errors.Add(new ConfigError($"--set {item}", "", "expected key=value (e.g. --set pool.main.limits.max_pilots=5)"));
                continue;
            }

            var written = item[..eq].Trim();
            // Dots separate keys unless the key already uses ':' (then a pool name may hold dots).
            var key = (written.Contains(':') ? written : written.Replace('.', ':')).ToLowerInvariant();
            key = ResolvePoolName(key, root, out var problem);
            if (problem is not null)
            {
                errors.Add(new ConfigError($"--set {written}", written, problem));
                continue;
            }

            root.Override(key, item[(eq + 1)..], new ConfigOrigin(ConfigOriginKind.CommandLine, $"--set {written}"));
        }
    }

    /// <summary>Every environment variable the configuration names as holding a password.</summary>
    public static IEnumerable<string?> SecretVariables(AutopilotOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        yield return options.Leader.Postgres.PasswordEnv;
        foreach (var pool in options.Pools)
        {
            foreach (var password in pool.Demand.Passwords)
            {
                yield return password.Env;
            }
        }
    }

    // File problems in file order, then the rest (environment, command line) in the order found.
    // (No sorting machinery for the usual zero or one error: it is JIT-compiled code at every start.)
    private static List<ConfigError> SortErrors(List<ConfigError> errors) => errors.Count < 2 ? errors :
        errors.Select((e, i) => (Error: e, Index: i, Position: FilePosition(e.Location)))
            .OrderBy(x => x.Position.HasValue ? 0 : 1)
            .ThenBy(x => x.Position?.File, StringComparer.Ordinal)
            .ThenBy(x => x.Position?.Line)
            .ThenBy(x => x.Position?.Column)
            .ThenBy(x => x.Index)
            .Select(x => x.Error)
            .ToList();

    private static (string File, int Line, int Column)? FilePosition(string location)
    {
        var parts = location.Split(':');
        return parts.Length >= 3
            && int.TryParse(parts[^2], NumberStyles.None, CultureInfo.InvariantCulture, out var line)
            && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var column)
            ? (string.Join(':', parts[..^2]), line, column)
            : null;
    }

    private static Dictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return result;
    }
}
