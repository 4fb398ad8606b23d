using System.Text;
using Confluent.Kafka;
using LogCluster.Tests.Integration.Cluster;
using Xunit.Abstractions;
using Ours = LogCluster;

namespace LogCluster.Tests.Integration.Kafka;

/// <summary>
/// Records cross between Kafka's clients and ours through a 3-node cluster: what Confluent.Kafka's producer
/// (librdkafka 2.16, Produce v3+ with RecordBatch v2, idempotent, compressed by librdkafka) writes through the Kafka
/// listeners, our consumer SDK reads over gRPC, and what our producer SDK writes, Confluent.Kafka's consumer reads
/// through the Kafka listeners (Fetch v4+, ListOffsets, OffsetForLeaderEpoch). Same bytes, one storage path.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class KafkaProduceFetchTests(ITestOutputHelper output)
{
    private const int Partitions = 6;
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task ConfluentIdempotentProducer_AcksAll_OurConsumerReadsEveryRecordOnceInSendOrderAtItsReportedOffset(CompressionType compression)
    {
        const int Records = 5_000;
        var topic = $"from-librdkafka-{compression}".ToLowerInvariant();
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync(topic, Partitions, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        using var producer = new ProducerBuilder<string, string>(new Confluent.Kafka.ProducerConfig
        {
            BootstrapServers = rig.KafkaBootstrap,
            EnableIdempotence = true,
            Acks = Confluent.Kafka.Acks.All,
            CompressionType = compression,
            LingerMs = 5,
        }).Build();

        var reports = await Task.WhenAll(Enumerable.Range(0, Records).Select(i => producer.ProduceAsync(topic, new Message<string, string>
        {
            Key = $"key-{i % 37}",
            Value = $"value-{i}",
            Headers = [new Header("seq", Encoding.UTF8.GetBytes($"{i}"))],
        }))).WaitAsync(_timeout);

        var read = await ReadWithOurConsumerAsync(rig, topic, Records);
        var byPosition = read.ToDictionary(r => (r.Partition, r.Offset));
        foreach (var report in reports)
        {
            Assert.Equal(PersistenceStatus.Persisted, report.Status);
            var ours = byPosition[(report.Partition.Value, report.Offset.Value)];
            Assert.Equal(report.Message.Value, ours.Value);
            Assert.Equal(report.Message.Key, ours.Key);
            Assert.Equal(Encoding.UTF8.GetString(report.Message.Headers[0].GetValueBytes()), Encoding.UTF8.GetString(ours.Headers.Single(h => h.Key == "seq").Value!));
        }
        // Records of one key go to one partition in send order.
        foreach (var partition in read.GroupBy(r => r.Partition))
        {
            var sequence = partition.OrderBy(r => r.Offset).Select(r => int.Parse(r.Value["value-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequence.Order(), sequence);
        }
        output.WriteLine($"{Records} records from librdkafka ({compression}) read back by our consumer over {read.Select(r => r.Partition).Distinct().Count()} partitions");
    }

    [Fact]
    public async Task ConfluentIdempotentProducer_LeaderSigkilledMidRun_EveryAcknowledgedRecordOnceInSendOrder()
    {
        const string Topic = "librdkafka-failover";
        const int Records = 20_000;
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync(Topic, partitions: 3, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        var controllerId = await rig.ControllerIdAsync();
        var victim = (await rig.DescribeAsync(Topic)).Partitions.Select(p => p.LeaderId).First(id => id != controllerId);
        using var producer = new ProducerBuilder<Null, string>(new Confluent.Kafka.ProducerConfig
        {
            BootstrapServers = rig.KafkaBootstrap,
            EnableIdempotence = true,
            Acks = Confluent.Kafka.Acks.All,
            LingerMs = 2,
        }).Build();
        var acknowledged = new System.Collections.Concurrent.ConcurrentQueue<(int Partition, long Offset, int Sequence)>();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var killed = false;

        for (var i = 0; i < Records; i++)
        {
            var sequence = i;
            producer.Produce(new Confluent.Kafka.TopicPartition(Topic, i % 3), new Message<Null, string> { Value = $"{i}" }, report =>
            {
                if (report.Error.IsError)
                {
                    failures.Enqueue($"{sequence}: {report.Error}");
                }
                else
                {
                    acknowledged.Enqueue((report.Partition.Value, report.Offset.Value, sequence));
                }
            });
            if (i == Records / 4)
            {
                // Mid-run, with requests in flight: the leader of some partitions dies.
                await rig.Cluster.Node(victim).KillAsync();
                killed = true;
            }
        }
        Assert.True(killed);
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(120)));

        Assert.Empty(failures);
        Assert.Equal(Records, acknowledged.Count);
        for (var partition = 0; partition < 3; partition++)
        {
            var log = await rig.ReadAsync(Topic, partition);
            var values = log.Select(r => int.Parse(Encoding.UTF8.GetString(r.Value), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            // Once each, in send order, and each acknowledged record at the offset its report named.
            Assert.Equal(Enumerable.Range(0, Records).Where(i => i % 3 == partition), values);
            var byOffset = log.ToDictionary(r => r.Offset, r => Encoding.UTF8.GetString(r.Value));
            Assert.All(acknowledged.Where(a => a.Partition == partition), a => Assert.Equal($"{a.Sequence}", byOffset[a.Offset]));
        }
        output.WriteLine($"{Records} records from librdkafka's idempotent producer, node {victim} killed after {Records / 4}: every one once, in order");
    }

    [Fact]
    public async Task OurProducer_ConfluentConsumerReadsEveryRecordWithItsKeyValueHeadersAndOffsetInOrder()
    {
        const string Topic = "to-librdkafka";
        const int Records = 5_000;
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync(Topic, Partitions, replicationFactor: 3, new() { ["min.insync.replicas"] = "2" });
        await using var producer = new Ours.Producer.ProducerBuilder<string, string>(new Ours.Producer.ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers }).Build();
        var sent = await Task.WhenAll(Enumerable.Range(0, Records).Select(i => producer.Send(new Ours.Producer.ProducerRecord<string, string>(Topic, $"key-{i % 37}", $"value-{i}")
        {
            Headers = [new Ours.Protocol.Records.RecordHeader("seq", Encoding.UTF8.GetBytes($"{i}"))],
        }))).WaitAsync(_timeout);

        using var consumer = new ConsumerBuilder<string, string>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = rig.KafkaBootstrap,
            GroupId = "unused-by-assign",
            EnableAutoCommit = false,
        }).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new Confluent.Kafka.TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var read = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + _timeout;
        while (read.Count < Records && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromSeconds(1)) is { IsPartitionEOF: false } result)
            {
                read.Add(result);
            }
        }

        Assert.Equal(Records, read.Count);
        var byPosition = read.ToDictionary(r => (r.Partition.Value, r.Offset.Value));
        for (var i = 0; i < Records; i++)
        {
            var theirs = byPosition[(sent[i].Partition, sent[i].Offset)];
            Assert.Equal($"key-{i % 37}", theirs.Message.Key);
            Assert.Equal($"value-{i}", theirs.Message.Value);
            Assert.Equal($"{i}", Encoding.UTF8.GetString(theirs.Message.Headers.GetLastBytes("seq")));
        }
        foreach (var partition in read.GroupBy(r => r.Partition.Value))
        {
            var offsets = partition.Select(r => r.Offset.Value).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(o => (long)o), offsets);
        }
        // At the end of what was written: nothing more, and the position is the high watermark.
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(500)));
        var watermarks = consumer.QueryWatermarkOffsets(new Confluent.Kafka.TopicPartition(Topic, 0), _timeout);
        Assert.Equal(read.Count(r => r.Partition.Value == 0), watermarks.High.Value);
        Assert.Equal(0, watermarks.Low.Value);
    }

    [KcatFact]
    public async Task KcatProducesLz4_OurConsumerReadsIt_AndKcatConsumesWhatOurProducerWrote()
    {
        const int Records = 1_000;
        await using var rig = await ClusterRig.StartWithKafkaAsync();
        await rig.CreateTopicAsync("kcat-in", Partitions, replicationFactor: 3);
        await rig.CreateTopicAsync("kcat-out", Partitions, replicationFactor: 3);

        var lines = string.Concat(Enumerable.Range(0, Records).Select(i => $"key-{i % 7}:value-{i}\n"));
        await Kcat.RunAsync(lines, "-P", "-b", rig.KafkaBootstrap, "-t", "kcat-in", "-K", ":", "-z", "lz4");
        var read = await ReadWithOurConsumerAsync(rig, "kcat-in", Records);
        Assert.Equal(Enumerable.Range(0, Records).Select(i => $"key-{i % 7}:value-{i}").Order(), read.Select(r => $"{r.Key}:{r.Value}").Order());
        foreach (var key in read.GroupBy(r => r.Key))
        {
            // One key, one partition, in the order kcat read the lines.
            Assert.Single(key.Select(r => r.Partition).Distinct());
            var sequence = key.OrderBy(r => r.Offset).Select(r => int.Parse(r.Value["value-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(sequence.Order(), sequence);
        }

        await using (var producer = new Ours.Producer.ProducerBuilder<string, string>(new Ours.Producer.ProducerConfig { BootstrapServers = rig.Cluster.BootstrapServers }).Build())
        {
            await Task.WhenAll(Enumerable.Range(0, Records).Select(i => producer.Send(new Ours.Producer.ProducerRecord<string, string>("kcat-out", $"key-{i % 7}", $"value-{i}")))).WaitAsync(_timeout);
        }
        var consumed = await Kcat.RunAsync(null, "-C", "-b", rig.KafkaBootstrap, "-t", "kcat-out", "-o", "beginning", "-e", "-q", "-f", "%k:%s\n");
        Assert.Equal(Enumerable.Range(0, Records).Select(i => $"key-{i % 7}:value-{i}").Order(), consumed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    /// <summary>The topic's first <paramref name="expected"/> records, read by our consumer SDK from the beginning of every partition.</summary>
    private static async Task<List<Ours.Consumer.ConsumeResult<string, string>>> ReadWithOurConsumerAsync(ClusterRig rig, string topic, int expected)
    {
        await using var consumer = new Ours.Consumer.ConsumerBuilder<string, string>(new Ours.Consumer.ConsumerConfig { BootstrapServers = rig.Cluster.BootstrapServers }).Build();
        consumer.Assign([.. Enumerable.Range(0, Partitions).Select(p => new Ours.Consumer.TopicPartitionOffset(topic, p, Ours.Consumer.Offsets.Beginning))]);
        using var timeout = new CancellationTokenSource(_timeout);
        var read = new List<Ours.Consumer.ConsumeResult<string, string>>();
        while (read.Count < expected)
        {
            read.Add(await consumer.ConsumeAsync(timeout.Token));
        }
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300)));
        return read;
    }
}
