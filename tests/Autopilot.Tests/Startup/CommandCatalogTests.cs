using System.CommandLine;
using Autopilot.Cli;

namespace Autopilot.Tests.Startup;

/// <summary>A run builds only the command it names (start-up cost); it must behave as the full tree.</summary>
public sealed class CommandCatalogTests
{
    [Fact]
    public void Catalog_names_are_the_names_of_the_commands_it_builds()
    {
        Assert.Equal(CommandCatalog.All().Select(c => c.Name), CommandCatalog.Names());
    }

    public static TheoryData<string> CommandNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in CommandCatalog.Names())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommandNames))]
    public async Task A_root_with_one_command_prints_the_same_help_and_errors_as_the_full_root(string name)
    {
        foreach (var args in new[] { new[] { name, "--help" }, [name, "--no-such-option"], [name, "-c", "/nonexistent/autopilot.toml", "extra", "--help"] })
        {
            var (fullExit, fullOut, fullErr) = await Run(CommandCatalog.BuildRoot(), args);
            var (oneExit, oneOut, oneErr) = await Run(CommandCatalog.BuildFor(args), args);
            Assert.Equal(fullExit, oneExit);
            Assert.Equal(fullOut, oneOut);
            Assert.Equal(fullErr, oneErr);
        }

        Assert.Single(CommandCatalog.BuildFor([name]).Subcommands);
    }

    [Fact]
    public void Anything_else_gets_every_command()
    {
        var all = CommandCatalog.Names().Count();
        Assert.Equal(all, CommandCatalog.BuildFor([]).Subcommands.Count);
        Assert.Equal(all, CommandCatalog.BuildFor(["--help"]).Subcommands.Count);
        Assert.Equal(all, CommandCatalog.BuildFor(["-v", "tick"]).Subcommands.Count);
        Assert.Equal(all, CommandCatalog.BuildFor(["Tick"]).Subcommands.Count);
        Assert.Equal(all, CommandCatalog.BuildFor(["tik"]).Subcommands.Count);
    }

    private static async Task<(int Exit, string Out, string Err)> Run(RootCommand root, string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}
