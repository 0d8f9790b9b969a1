namespace Autopilot.Testing;

/// <summary>
/// The `autopilot` program the tests run as a process: the published (Native AOT) binary when
/// AUTOPILOT_TEST_BINARY names it (tests/run-all.sh publishes once and sets it), else the apphost
/// of the build output next to the tests (both test projects reference the CLI).
/// </summary>
public static class AutopilotBinary
{
    public const string Variable = "AUTOPILOT_TEST_BINARY";

    public static string Path
    {
        get
        {
            if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } published)
            {
                // Named but absent is a broken run, not a reason to test another build.
                return File.Exists(published) ? published : throw new InvalidOperationException($"{Variable}={published}: no such file (publish it: tests/run-all.sh)");
            }

            var beside = System.IO.Path.Combine(AppContext.BaseDirectory, "autopilot");
            return File.Exists(beside) ? beside : throw new InvalidOperationException($"no autopilot apphost next to {AppContext.BaseDirectory}: build the solution first, or set {Variable}");
        }
    }
}
