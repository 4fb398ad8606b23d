using System.Globalization;
using Grpc.Net.Client;
using LogCluster.Protocol.V1;

namespace LogCluster.Bench;

/// <summary>
/// Replication's cost: the producer SDK (async, 100 B records) against a local 3-node cluster, on topics with
/// RF=1 and RF=3, acks=1 and acks=all, all measured in the same run on the same cluster.
/// </summary>
internal static class ReplicationCommand
{
    private static readonly (string Name, int ReplicationFactor, ProducerScenario Scenario)[] _cases =
    [
        ("RF=1, acks=1", 1, ProducerScenario.All[1]),
        ("RF=1, acks=all (idempotent)", 1, ProducerScenario.All[4]),
        ("RF=3, acks=1", 3, ProducerScenario.All[1]),
        ("RF=3, acks=all (idempotent), min.insync.replicas=2", 3, ProducerScenario.All[4]),
    ];

    public static async Task<int> RunAsync(int repeats, TimeSpan warmup, TimeSpan measure)
    {
        var results = _cases.ToDictionary(c => c.Name, _ => new List<RunResult>());
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            var data = Path.Combine(Path.GetTempPath(), "logcluster-bench-" + Guid.NewGuid().ToString("N"));
            await using (var cluster = await Cli.LocalCluster.LocalCluster.StartAsync(3, data))
            {
                foreach (var (name, replicationFactor, scenario) in _cases)
                {
                    var topic = await CreateTopicAsync(cluster.Nodes[0].Address, replicationFactor);
                    var result = await ProducerLoad.RunAsync(cluster.Nodes[0].Port, topic, scenario, warmup, measure);
                    Console.Error.WriteLine($"repeat {repeat + 1} {name}: {result.RecordsPerSecond:N0} rec/s");
                    results[name].Add(result);
                }
            }
            Directory.Delete(data, recursive: true);
        }
        var reference = Medians.Of(results[_cases[0].Name], r => r.RecordsPerSecond);
        Console.WriteLine("| topic, producer (async 100 B, 3 local node processes) | records/s | MB/s | ratio to RF=1 acks=1 (same run) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, _, _) in _cases)
        {
            var runs = results[name];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Medians.Of(runs, r => r.RecordsPerSecond):N0} | {Medians.Of(runs, r => r.MegabytesPerSecond):N1} | {Medians.Of(runs, r => r.RecordsPerSecond) / reference:F2}x |"));
        }
        return 0;
    }

    private static async Task<string> CreateTopicAsync(Uri node, int replicationFactor)
    {
        var topic = $"rf{replicationFactor}-" + Guid.NewGuid().ToString("N")[..8];
        using var channel = GrpcChannel.ForAddress(node);
        var spec = new TopicSpec { Name = topic, Partitions = Scenario.Partitions, ReplicationFactor = replicationFactor };
        if (replicationFactor > 1)
        {
            spec.Configs["min.insync.replicas"] = "2";
        }
        var result = (await new AdminService.AdminServiceClient(channel).CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results[0];
        if (result.ErrorCode != ErrorCode.None)
        {
            throw new InvalidOperationException($"create topic: {result.ErrorCode} {result.ErrorMessage}");
        }
        return topic;
    }
}
