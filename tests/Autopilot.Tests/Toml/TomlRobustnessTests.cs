using Autopilot.Configuration;

namespace Autopilot.Tests.Toml;

public sealed class TomlRobustnessTests
{
    /// <summary>
    /// Truncated and corrupted copies of every valid case must either parse or give errors with a
    /// line and column: never an exception, a crash or a hang.
    /// </summary>
    [Fact]
    public async Task Mutated_documents_give_positioned_errors_never_exceptions()
    {
        var root = Path.Combine(TomlTestPaths.Repo, "tests", "fixtures", "toml-test");
        var sources = File.ReadAllLines(Path.Combine(root, "files-toml-1.0.0"))
            .Where(l => l.StartsWith("valid/", StringComparison.Ordinal) && l.EndsWith(".toml", StringComparison.Ordinal))
            .Select(l => (Name: l, Text: File.ReadAllText(Path.Combine(root, l))))
            .Where(s => s.Text.Length > 0)
            .ToList();
        Assert.NotEmpty(sources);
        var random = new Random(20240601);
        const string alphabet = "[]{}=,.\"'\\#\n\r\t 0123456789_+-:eEtTzZxob\u0000\u007F\uD800é";
        var parsed = 0;
        var rejected = 0;

        await Task.Run(() =>
        {
            foreach (var (name, text) in sources)
            {
                for (var round = 0; round < 20; round++)
                {
                    var chars = text.ToCharArray().ToList();
                    var edits = random.Next(1, 4);
                    for (var e = 0; e < edits && chars.Count > 0; e++)
                    {
                        var at = random.Next(chars.Count);
                        switch (random.Next(3))
                        {
                            case 0: chars.RemoveAt(at); break;
                            case 1: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                            default: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                        }
                    }

                    if (round % 5 == 0)
                    {
                        chars = chars.Take(random.Next(chars.Count + 1)).ToList();
                    }

                    var mutated = new string(chars.ToArray());
                    try
                    {
                        var result = TomlDocument.Parse(mutated, name);
                        if (result.Errors.Count == 0)
                        {
                            parsed++;
                            continue;
                        }

                        foreach (var error in result.Errors)
                        {
                            Assert.Matches(@":[1-9][0-9]*:[1-9][0-9]*$", error.Location);
                        }

                        rejected++;
                    }
                    catch (Exception ex)
                    {
                        Assert.Fail($"{name}: {ex.GetType().Name} instead of errors for {System.Text.Json.JsonSerializer.Serialize(mutated)}: {ex}");
                    }
                }
            }
        }).WaitAsync(TimeSpan.FromSeconds(60));

        // Both outcomes must occur, or the mutations test nothing.
        Assert.True(parsed > 0 && rejected > 0, $"parsed {parsed}, rejected {rejected}");
    }
}
