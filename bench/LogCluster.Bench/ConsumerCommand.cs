using System.Diagnostics;
using System.Globalization;
using Grpc.Net.Client;
using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Bench;

/// <summary>
/// The consumer SDK reading a topic from the beginning (6 partitions, 100 B records) from one local node,
/// against a same-run baseline: a bare Fetch loop over the same partitions that checks and decodes every batch
/// (RecordBatchReader) and nothing else.
/// </summary>
internal static class ConsumerCommand
{
    private const int Partitions = 6;
    private const int RecordSize = 100;

    public static async Task<int> RunAsync(int repeats, int records)
    {
        var data = Path.Combine(Path.GetTempPath(), "logcluster-bench-" + Guid.NewGuid().ToString("N"));
        await using var node = await Cli.LocalCluster.LocalNode.StartAsync(data);
        const string Topic = "consume-bench";
        using (var channel = GrpcChannel.ForAddress(node.Address))
        {
            var spec = new TopicSpec { Name = Topic, Partitions = Partitions, ReplicationFactor = 1 };
            await new AdminService.AdminServiceClient(channel).CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } });
        }
        await FillAsync(node.Port, Topic, records);
        var baseline = new List<RunResult>();
        var sdk = new List<RunResult>();
        var sdkBatches = new List<RunResult>();
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            baseline.Add(Rate(records, await WireReadAsync(node.Address, Topic)));
            sdk.Add(Rate(records, await SdkReadAsync(node.Port, Topic, records, batches: false)));
            sdkBatches.Add(Rate(records, await SdkReadAsync(node.Port, Topic, records, batches: true)));
            Console.Error.WriteLine($"repeat {repeat + 1}: wire {baseline[^1].RecordsPerSecond:N0} rec/s, SDK {sdk[^1].RecordsPerSecond:N0} rec/s, batches {sdkBatches[^1].RecordsPerSecond:N0} rec/s");
        }
        await node.DisposeAsync();
        Directory.Delete(data, recursive: true);
        var reference = Medians.Of(baseline, r => r.RecordsPerSecond);
        Console.WriteLine($"| reader ({records:N0} records of {RecordSize} B, {Partitions} partitions, 1 local node) | records/s | MB/s | ratio to the bare Fetch loop (same run) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, runs) in new[] { ("bare Fetch loop (decode + CRC only)", baseline), ("consumer SDK, ConsumeAsync per record", sdk), ("consumer SDK, ConsumeBatchAsync (max.poll.records=500)", sdkBatches) })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {Medians.Of(runs, r => r.RecordsPerSecond):N0} | {Medians.Of(runs, r => r.MegabytesPerSecond):N1} | {Medians.Of(runs, r => r.RecordsPerSecond) / reference:F2}x |"));
        }
        return 0;
    }

    private static async Task FillAsync(int port, string topic, int records)
    {
        await using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = $"127.0.0.1:{port}", Linger = TimeSpan.FromMilliseconds(5), BatchSize = 65_536 }).Build();
        var value = new byte[RecordSize];
        var sends = new Task[records];
        for (var i = 0; i < records; i++)
        {
            sends[i] = producer.Send(new ProducerRecord<byte[]?, byte[]>(topic, null, value) { Partition = i % Partitions });
        }
        await Task.WhenAll(sends);
    }

    private static async Task<TimeSpan> SdkReadAsync(int port, string topic, int records, bool batches)
    {
        var started = Stopwatch.GetTimestamp();
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = $"127.0.0.1:{port}" }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offsets.Beginning)));
        for (var read = 0; read < records;)
        {
            read += batches ? (await consumer.ConsumeBatchAsync()).Count : (await consumer.ConsumeAsync() is not null ? 1 : 0);
        }
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>One Fetch per round for every partition not yet read to its end, as the SDK's request asks.</summary>
    private static async Task<TimeSpan> WireReadAsync(Uri node, string topic)
    {
        var started = Stopwatch.GetTimestamp();
        using var channel = GrpcChannel.ForAddress(node, new GrpcChannelOptions { MaxReceiveMessageSize = 128 << 20 });
        var client = new LogService.LogServiceClient(channel);
        var offsets = new long[Partitions];
        var done = new bool[Partitions];
        while (!done.All(d => d))
        {
            var request = new FetchRequest { ReplicaId = -1, MaxWaitMs = 0, MinBytes = 0, MaxBytes = 52_428_800 };
            for (var p = 0; p < Partitions; p++)
            {
                if (!done[p])
                {
                    request.Partitions.Add(new FetchPartition { Topic = topic, Partition = p, FetchOffset = offsets[p], CurrentLeaderEpoch = -1, PartitionMaxBytes = 1_048_576 });
                }
            }
            var response = await client.FetchAsync(request);
            foreach (var result in response.Partitions)
            {
                var decoded = 0;
                foreach (var batch in RecordBatchReader.SplitBatches(result.RecordBatches.Memory))
                {
                    decoded += RecordBatchReader.ReadRecords(batch.Span).Count;
                    offsets[result.Partition] = RecordBatchHeader.Read(batch.Span).NextOffset;
                }
                done[result.Partition] = decoded == 0 && offsets[result.Partition] >= result.HighWatermark;
            }
        }
        return Stopwatch.GetElapsedTime(started);
    }

    private static RunResult Rate(int records, TimeSpan elapsed) =>
        new(records / elapsed.TotalSeconds, records * (double)RecordSize / elapsed.TotalSeconds / 1e6, 0, 0);
}
