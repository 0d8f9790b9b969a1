using System.CommandLine;
using Autopilot.Templates;
using Autopilot.Wrappers;

namespace Autopilot.Cli.Commands;

/// <summary>`autopilot wrapper`: render a pool's HyperShell site wrapper (an `hs` bound to that pool's database).</summary>
public static class WrapperCommand
{
    public static Command Build()
    {
        var pool = new Option<string?>("--pool") { Description = "The pool whose database the wrapper embeds (default: the only pool)" };
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (mode 0755) instead of stdout" };
        var command = new Command("wrapper", """
            Render the pool's site wrapper for the HyperShell CLI (the pool's `wrapper` key, default
            wrappers/hs-site.sh): an hs that always uses this pool's database and refuses --database overrides.

            Example: autopilot wrapper --pool main --output /usr/local/bin/main-hs
            """)
        {
            pool,
            output,
        };
        command.SetAction((parse, _) =>
        {
            using var ctx = CliContext.Load(parse);
            if (ctx is null)
            {
                return Task.FromResult(2);
            }

            var name = parse.GetValue(pool);
            var pools = ctx.Options.Pools;
            var selected = name is null
                ? (pools.Count == 1 ? pools[0] : null)
                : pools.FirstOrDefault(p => p.Name == name);
            if (selected is null)
            {
                ctx.Err.WriteLine(name is null
                    ? $"several pools: choose one with --pool ({string.Join(", ", pools.Select(p => p.Name))})"
                    : $"no pool named '{name}' (pools: {string.Join(", ", pools.Select(p => p.Name))})");
                return Task.FromResult(2);
            }

            string text;
            try
            {
                text = SiteWrapper.Render(ctx.Options, selected);
            }
            catch (TemplateException ex)
            {
                ctx.Err.WriteLine(ex.Message);
                return Task.FromResult(2);
            }

            if (parse.GetValue(output) is { } path)
            {
                try
                {
                    SiteWrapper.Write(path, text);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    ctx.Err.WriteLine($"cannot write {path}: {ex.Message}");
                    return Task.FromResult(1);
                }

                ctx.Out.WriteLine($"wrote {Path.GetFullPath(path)} (pool {selected.Name})");
            }
            else
            {
                ctx.Out.Write(text);
            }

            return Task.FromResult(0);
        });
        return command;
    }
}
