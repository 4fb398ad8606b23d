using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Grpc.Net.Client;
using HdrHistogram;
using LogCluster.Cli.LocalCluster;
using LogCluster.Protocol.V1;

namespace LogCluster.Bench;

/// <summary>
/// Our producer SDK (gRPC) against Confluent.Kafka's producer (librdkafka, the node's Kafka listener) into the same
/// local 3-node cluster in the same run: an RF=3 topic with min.insync.replicas=2, both idempotent with acks=all and
/// the same linger and batch size in each scenario: Kafka's producer defaults (linger 5 ms, 16 KiB batches) and
/// librdkafka's batch size (1 MB). Async records/s for 100 B and 1 KiB records, and one thread's sync send latency
/// with linger 5 ms and 0.
/// </summary>
internal static class ConfluentPeerCommand
{
    private const int Partitions = 4;

    private static readonly (string Name, int RecordBytes, bool Sync, int BatchSize, int LingerMs)[] _cases =
    [
        ("async 100 B records, 16 KiB batches, linger 5 ms", 100, false, 16_384, 5),
        ("async 1 KiB records, 16 KiB batches, linger 5 ms", 1024, false, 16_384, 5),
        ("async 100 B records, 1 MB batches, linger 5 ms", 100, false, 1_000_000, 5),
        ("async 1 KiB records, 1 MB batches, linger 5 ms", 1024, false, 1_000_000, 5),
        ("sync 100 B records, 1 thread, linger 5 ms", 100, true, 16_384, 5),
        ("sync 100 B records, 1 thread, linger 0", 100, true, 16_384, 0),
    ];

    public static async Task<int> RunAsync(int repeats, TimeSpan warmup, TimeSpan measure)
    {
        var ours = _cases.ToDictionary(c => c.Name, _ => new List<RunResult>());
        var theirs = _cases.ToDictionary(c => c.Name, _ => new List<RunResult>());
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            var data = Path.Combine(Path.GetTempPath(), "logcluster-bench-" + Guid.NewGuid().ToString("N"));
            var kafkaPorts = FreePorts(3);
            await using (var cluster = await LocalCluster.StartAsync(3, data, _ => NodeHost.Loopback, id => ["--kafka-listen", $"127.0.0.1:{kafkaPorts[id - 1]}"]))
            {
                var kafkaBootstrap = string.Join(',', kafkaPorts.Select(p => $"127.0.0.1:{p}"));
                foreach (var (name, bytes, sync, batchSize, lingerMs) in _cases)
                {
                    var scenario = new ProducerScenario(name, bytes, sync ? 1 : 0, Idempotent: true, batchSize, lingerMs);
                    var ourResult = await ProducerLoad.RunAsync(cluster.Nodes[0].Port, await CreateTopicAsync(cluster.Nodes[0].Address), scenario, warmup, measure);
                    var theirResult = await RunConfluentAsync(kafkaBootstrap, await CreateTopicAsync(cluster.Nodes[0].Address), scenario, warmup, measure);
                    Console.Error.WriteLine($"repeat {repeat + 1} {name}: ours {Describe(ourResult, sync)}, Confluent.Kafka {Describe(theirResult, sync)}");
                    ours[name].Add(ourResult);
                    theirs[name].Add(theirResult);
                }
            }
            Directory.Delete(data, recursive: true);
        }
        Console.WriteLine("| scenario (RF=3, acks=all, idempotent, 3 local node processes) | LogCluster SDK | Confluent.Kafka | ratio (ours / theirs) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, _, sync, _, _) in _cases)
        {
            if (sync)
            {
                var (p50, theirP50) = (Medians.Of(ours[name], r => r.P50Micros), Medians.Of(theirs[name], r => r.P50Micros));
                var (p99, theirP99) = (Medians.Of(ours[name], r => r.P99Micros), Medians.Of(theirs[name], r => r.P99Micros));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | p50 {p50:N0} us, p99 {p99:N0} us | p50 {theirP50:N0} us, p99 {theirP99:N0} us | {p50 / theirP50:F2}x p50 (lower is better) |"));
            }
            else
            {
                var (rate, theirRate) = (Medians.Of(ours[name], r => r.RecordsPerSecond), Medians.Of(theirs[name], r => r.RecordsPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {rate:N0} rec/s | {theirRate:N0} rec/s | {rate / theirRate:F2}x rec/s |"));
            }
        }
        return 0;
    }

    private static string Describe(RunResult result, bool sync) =>
        sync ? $"p50 {result.P50Micros:N0} us" : $"{result.RecordsPerSecond:N0} rec/s";

    /// <summary>Confluent.Kafka's producer with the same record, acks, idempotence, linger and batch size as ours.</summary>
    private static async Task<RunResult> RunConfluentAsync(string bootstrap, string topic, ProducerScenario scenario, TimeSpan warmup, TimeSpan measure)
    {
        var (recordBytes, sync) = (scenario.RecordBytes, scenario.IsSync);
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            Acks = Confluent.Kafka.Acks.All,
            LingerMs = scenario.LingerMs,
            BatchSize = scenario.BatchSize,
            ClientId = "bench",
        };
        using var producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var value = new byte[recordBytes];
        Random.Shared.NextBytes(value);
        var message = new Message<Null, byte[]> { Value = value };
        long acknowledged = 0;
        var measuring = 0;
        var latencies = new LongHistogram(TimeStamp.Minutes(1), 3);
        using var stop = new CancellationTokenSource();
        var worker = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (sync)
                {
                    var started = Stopwatch.GetTimestamp();
                    producer.ProduceAsync(topic, message).GetAwaiter().GetResult();
                    if (Volatile.Read(ref measuring) == 1)
                    {
                        latencies.RecordValue(Stopwatch.GetTimestamp() - started);
                        Interlocked.Increment(ref acknowledged);
                    }
                    continue;
                }
                try
                {
                    producer.Produce(topic, message, report =>
                    {
                        if (!report.Error.IsError && Volatile.Read(ref measuring) == 1)
                        {
                            Interlocked.Increment(ref acknowledged);
                        }
                    });
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                {
                    // librdkafka's queue is full: serve delivery reports until there is room (its way of blocking).
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }, TaskCreationOptions.LongRunning);
        await Task.Delay(warmup);
        Volatile.Write(ref measuring, 1);
        var window = Stopwatch.StartNew();
        await Task.Delay(measure);
        Volatile.Write(ref measuring, 0);
        var seconds = window.Elapsed.TotalSeconds;
        var records = Interlocked.Read(ref acknowledged);
        await stop.CancelAsync();
        await worker;
        producer.Flush(TimeSpan.FromSeconds(30));
        var micros = (long v) => v * 1e6 / Stopwatch.Frequency;
        return new RunResult(records / seconds, records * recordBytes / 1e6 / seconds,
            latencies.TotalCount > 0 ? micros(latencies.GetValueAtPercentile(50)) : 0,
            latencies.TotalCount > 0 ? micros(latencies.GetValueAtPercentile(99)) : 0);
    }

    private static async Task<string> CreateTopicAsync(Uri node)
    {
        var topic = "peer-" + Guid.NewGuid().ToString("N")[..8];
        using var channel = GrpcChannel.ForAddress(node);
        var spec = new TopicSpec { Name = topic, Partitions = Partitions, ReplicationFactor = 3, Configs = { ["min.insync.replicas"] = "2" } };
        var result = (await new AdminService.AdminServiceClient(channel).CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } })).Results[0];
        return result.ErrorCode == Protocol.V1.ErrorCode.None ? topic : throw new InvalidOperationException($"create topic: {result.ErrorCode} {result.ErrorMessage}");
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Dispose());
        return ports;
    }
}
