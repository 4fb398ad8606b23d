using System.Globalization;
using Grpc.Net.Client;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.V1;

namespace LogCluster.Bench;

/// <summary>
/// The producer SDK end to end against a LogNode, compared with the raw-wire client against the ack-only gRPC
/// baseline in the same run: the design's targets are ratios to those baselines.
/// </summary>
internal static class ProducerCommand
{
    private static readonly (ProducerScenario Sdk, Scenario Baseline, bool Latency)[] _pairs =
    [
        (ProducerScenario.All[0], Scenario.All[0], false),
        (ProducerScenario.All[1], Scenario.All[1], false),
        (ProducerScenario.All[2], Scenario.All[2], true),
        (ProducerScenario.All[3], Scenario.All[4], false),
        (ProducerScenario.All[4], Scenario.All[1], false),
        (ProducerScenario.All[5], Scenario.All[2], true),
    ];

    public static async Task<int> RunAsync(int repeats, TimeSpan warmup, TimeSpan measure)
    {
        var sdk = _pairs.ToDictionary(p => p.Sdk, _ => new List<RunResult>());
        var baseline = _pairs.Select(p => p.Baseline).Distinct().ToDictionary(s => s, _ => new List<RunResult>());
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            var data = Path.Combine(Path.GetTempPath(), "logcluster-bench-" + Guid.NewGuid().ToString("N"));
            await using (var server = await LocalNode.StartProgramAsync(typeof(ProducerCommand).Assembly.Location, data, "--ack-only-server"))
            {
                foreach (var scenario in baseline.Keys)
                {
                    baseline[scenario].Add(Report(repeat, "baseline", scenario.Name, await LoadGenerator.RunAsync(server.Address, scenario, warmup, measure)));
                }
            }
            await using (var node = await LocalNode.StartAsync(data))
            {
                foreach (var (scenario, _, _) in _pairs)
                {
                    var topic = await CreateTopicAsync(node);
                    sdk[scenario].Add(Report(repeat, "sdk", scenario.Name, await ProducerLoad.RunAsync(node.Port, topic, scenario, warmup, measure)));
                }
            }
            Directory.Delete(data, recursive: true);
        }
        Console.WriteLine("| scenario | records/s | MB/s | p50 us | p99 us | baseline (same run) | baseline records/s | baseline p50 us | ratio |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (scenario, reference, latency) in _pairs)
        {
            var runs = sdk[scenario];
            var baseRuns = baseline[reference];
            var ratio = latency
                ? $"{Medians.Of(runs, r => r.P50Micros) / Medians.Of(baseRuns, r => r.P50Micros):F2}x p50"
                : $"{Medians.Of(runs, r => r.RecordsPerSecond) / Medians.Of(baseRuns, r => r.RecordsPerSecond):F2}x rec/s";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {scenario.Name} | {Medians.Of(runs, r => r.RecordsPerSecond):N0} | {Medians.Of(runs, r => r.MegabytesPerSecond):N1} | {Medians.Of(runs, r => r.P50Micros):N0} | {Medians.Of(runs, r => r.P99Micros):N0} | raw wire, ack-only: {reference.Name} | {Medians.Of(baseRuns, r => r.RecordsPerSecond):N0} | {Medians.Of(baseRuns, r => r.P50Micros):N0} | {ratio} |"));
        }
        Console.WriteLine();
        Console.WriteLine("| idempotent scenario | plain scenario (acks=1, same run) | ratio |");
        Console.WriteLine("|---|---|---|");
        foreach (var (idempotent, _, latency) in _pairs.Where(p => p.Sdk.Idempotent))
        {
            var plain = _pairs.Single(p => !p.Sdk.Idempotent && p.Sdk.RecordBytes == idempotent.RecordBytes && p.Sdk.SyncThreads == idempotent.SyncThreads).Sdk;
            var ratio = latency
                ? $"{Medians.Of(sdk[idempotent], r => r.P50Micros) / Medians.Of(sdk[plain], r => r.P50Micros):F2}x p50"
                : $"{Medians.Of(sdk[idempotent], r => r.RecordsPerSecond) / Medians.Of(sdk[plain], r => r.RecordsPerSecond):F2}x rec/s";
            Console.WriteLine($"| {idempotent.Name} | {plain.Name} | {ratio} |");
        }
        return 0;
    }

    private static RunResult Report(int repeat, string target, string name, RunResult result)
    {
        Console.Error.WriteLine($"repeat {repeat + 1} {target,-8} {name}: {result.RecordsPerSecond:N0} rec/s, p50 {result.P50Micros:N0} us");
        return result;
    }

    private static async Task<string> CreateTopicAsync(LocalNode node)
    {
        var topic = "sdk-" + Guid.NewGuid().ToString("N")[..8];
        using var channel = GrpcChannel.ForAddress(node.Address);
        var spec = new TopicSpec { Name = topic, Partitions = Scenario.Partitions, ReplicationFactor = 1 };
        await new AdminService.AdminServiceClient(channel).CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } });
        return topic;
    }
}
