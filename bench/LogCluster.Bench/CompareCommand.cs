using System.Globalization;
using LogCluster.Cli.LocalCluster;

namespace LogCluster.Bench;

/// <summary>
/// Runs every scenario against the ack-only baseline and against a LogNode, alternating within each repeat so
/// both see the same machine noise, and prints medians (min-max) and ratios as a markdown table.
/// </summary>
internal static class CompareCommand
{
    public static async Task<int> RunAsync(int repeats, TimeSpan warmup, TimeSpan measure, string filter)
    {
        var chosen = Scenario.All.Where(s => s.Name.Contains(filter, StringComparison.Ordinal)).ToList();
        var scenarios = chosen.Concat(chosen.Where(s => s.Fsync).Select(s => s.WithoutFsync)).Distinct().ToList();
        var results = new Dictionary<(string Target, Scenario Scenario), List<RunResult>>();
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            foreach (var target in new[] { "baseline", "lognode" })
            {
                var data = Path.Combine(Path.GetTempPath(), "logcluster-bench-" + Guid.NewGuid().ToString("N"));
                var server = target == "baseline"
                    ? await LocalNode.StartProgramAsync(typeof(CompareCommand).Assembly.Location, data, "--ack-only-server")
                    : await LocalNode.StartAsync(data);
                await using (server)
                {
                    foreach (var scenario in scenarios.Where(s => target == "lognode" || !s.Fsync))
                    {
                        var result = await LoadGenerator.RunAsync(server.Address, scenario, warmup, measure);
                        Console.Error.WriteLine($"repeat {repeat + 1}/{repeats} {target,-8} {scenario.Name}: {result.RecordsPerSecond:N0} rec/s, {result.MegabytesPerSecond:N1} MB/s, p50 {result.P50Micros:N0} us");
                        (results.TryGetValue((target, scenario), out var list) ? list : results[(target, scenario)] = []).Add(result);
                    }
                }
                if (Directory.Exists(data))
                {
                    Directory.Delete(data, recursive: true);
                }
            }
        }
        PrintTable(results, Scenario.All.Where(scenarios.Contains));
        return 0;
    }

    private static void PrintTable(Dictionary<(string Target, Scenario Scenario), List<RunResult>> results, IEnumerable<Scenario> scenarios)
    {
        Console.WriteLine("| scenario | target | records/s | MB/s | p50 us | p99 us | ratio | compared with |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var scenario in scenarios)
        {
            var node = results[("lognode", scenario)];
            var (reference, referenceName) = scenario.Fsync
                ? (results[("lognode", scenario.WithoutFsync)], "LogNode without fsync")
                : (results[("baseline", scenario)], "ack-only gRPC baseline");
            if (!scenario.Fsync)
            {
                Console.WriteLine(Row(scenario, "ack-only baseline", reference, "", ""));
            }
            // Sync scenarios compare latency (lower is better), the others throughput.
            var ratio = scenario.RecordsPerBatch == 1 && scenario.Streams == 1
                ? $"{Medians.Of(node, r => r.P50Micros) / Medians.Of(reference, r => r.P50Micros):F2}x p50"
                : $"{Medians.Of(node, r => r.RecordsPerSecond) / Medians.Of(reference, r => r.RecordsPerSecond):F2}x rec/s";
            Console.WriteLine(Row(scenario, "LogNode", node, ratio, referenceName));
        }
    }

    private static string Row(Scenario scenario, string target, List<RunResult> runs, string ratio, string comparedWith) =>
        string.Create(CultureInfo.InvariantCulture,
            $"| {scenario.Name} | {target} | {Spread(runs, r => r.RecordsPerSecond, "N0")} | {Spread(runs, r => r.MegabytesPerSecond, "N1")} | {Medians.Of(runs, r => r.P50Micros):N0} | {Medians.Of(runs, r => r.P99Micros):N0} | {ratio} | {comparedWith} |");

    private static string Spread(List<RunResult> runs, Func<RunResult, double> value, string format)
    {
        var values = runs.Select(value).Order().ToList();
        var median = Medians.Of(runs, value).ToString(format, CultureInfo.InvariantCulture);
        return values.Count == 1 ? median : $"{median} ({values[0].ToString(format, CultureInfo.InvariantCulture)}-{values[^1].ToString(format, CultureInfo.InvariantCulture)})";
    }
}
