using System.Globalization;
using System.Text;
using Autopilot.Configuration;
using BenchmarkDotNet.Attributes;

namespace Autopilot.Benchmarks;

/// <summary>Reading a ~1 MB autopilot.toml-like document with Tomlyn into the key tree; the budget is 50 ms.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class TomlBenchmarks
{
    private string _document = "";

    [GlobalSetup]
    public void Setup()
    {
        _document = BuildDocument(1024 * 1024);
        // Fail before measuring if the generated text is not the document we mean to time.
        var result = TomlDocument.Parse(_document, "bench.toml");
        if (result.Errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, result.Errors));
        }

        Console.WriteLine($"// TOML benchmark document: {_document.Length:N0} chars, {result.Root.Find("pool")!.Count:N0} [[pool]] tables");
    }

    [Benchmark]
    public ConfigNode Parse_1MB_config() => TomlDocument.Parse(_document, "bench.toml").Root;

    /// <summary>Many [[pool]] tables with the kinds of values a real config holds, until the size is reached.</summary>
    internal static string BuildDocument(int targetChars)
    {
        var sb = new StringBuilder(targetChars + 4096);
        sb.Append("""
            # Autopilot configuration (generated for the benchmark)
            state_dir = "~/.local/state/autopilot"
            schedule = "*/2 * * * *"

            [log]
            level = "info"
            retain_files = 14

            """);
        var schedulers = new[] { "slurm", "pbs", "lsf", "sge", "local" };
        var sources = new[] { "hypershell-sqlite", "hypershell-postgres", "picas", "hyperqueue", "sql" };
        for (var i = 0; sb.Length < targetChars; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            sb.Append($$""""

                # Pool {{n}}: pilots for the workflow queue of project {{n}}
                [[pool]]
                name = "pool-{{n}}"
                enabled = {{(i % 3 != 0 ? "true" : "false")}}
                scheduler = "{{schedulers[i % schedulers.Length]}}"
                demand_source = "{{sources[i % sources.Length]}}"
                scale_to_zero_after = "{{i % 50 + 1}}m"
                extra_args = ["--exclusive", "--constraint=cpu&avx512", '--comment=pool {{n}}']
                labels = { site = "hpc-{{i % 7}}", tier = {{i % 4}}, gpu = {{(i % 5 == 0 ? "true" : "false")}} }

                [pool.submit]
                partition = "debug"   # queue name on the cluster
                account = "proj_{{n}}"
                walltime = "{{i % 3}}-{{i % 24:D2}}:30:00"
                cpus = {{i % 128 + 1}}
                memory_mb = {{(i % 64 + 1) * 1024}}
                priority = {{(i % 2 == 0 ? "+" : "-")}}{{i % 1000}}
                load_factor = {{(i % 100) / 8.0:0.0##}}

                [pool.connection]
                url = "postgresql://db-{{i % 9}}.example.org:5432/tasks"
                password_file = '~/.config/autopilot/pool-{{n}}.pass'
                query = """
                SELECT count(*) FROM task
                 WHERE pool = 'pool-{{n}}' AND state = "waiting"
                """

                [pool.limits]
                min_pilots = {{i % 3}}
                max_pilots = {{i % 200 + 10}}
                tasks_per_pilot = {{i % 16 + 1}}
                max_queued = 1_000
                max_submit_per_tick = 0x{{i % 255 + 1:X2}}
                nodes = [
                  "node{{i % 100:D3}}",  # primary
                  "node{{(i + 1) % 100:D3}}",
                ]

                """");
        }

        return sb.ToString();
    }
}
