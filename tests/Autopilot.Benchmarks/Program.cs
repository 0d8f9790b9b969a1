using Autopilot.Benchmarks;
using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "cpu")
{
    CpuTimeHarness.Run(args);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
