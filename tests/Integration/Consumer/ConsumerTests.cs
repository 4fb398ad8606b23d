using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using LogCluster.Client;
using LogCluster.Consumer;
using LogCluster.Producer;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Consumer;

/// <summary>The consumer SDK against a real node process: assigned partitions read in order, from where it was told.</summary>
public sealed class ConsumerTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromMinutes(2);

    private string Bootstrap => $"127.0.0.1:{fixture.Node.Port}";

    private ConsumerConfig Config => new() { BootstrapServers = Bootstrap };

    [Fact]
    public async Task Assign_SixPartitionsFromBeginning_ReadsAMillionRecordsInOrderWithoutGaps()
    {
        const string Topic = "consumer-million";
        const int Partitions = 6;
        const int Records = 1_000_000;
        await fixture.Client.CreateTopicAsync(Topic, Partitions);
        await ProduceAsync(Topic, Records, Partitions);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config).Build();

        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Topic, p, Offsets.Beginning)));
        var nextOffset = new long[Partitions];
        var lastIndex = Enumerable.Repeat(-1, Partitions).ToArray();
        using var timeout = new CancellationTokenSource(_testTimeout);
        for (var read = 0; read < Records; read++)
        {
            var record = await consumer.ConsumeAsync(timeout.Token);
            var (partition, index) = (record.Partition, Index(record.Value));
            // Offsets follow each other with no gap, and the values come in send order per partition.
            Assert.Equal(nextOffset[partition], record.Offset);
            Assert.True(index > lastIndex[partition] && index % Partitions == partition, $"record {index} at {record.TopicPartition}/{record.Offset} after {lastIndex[partition]}");
            nextOffset[partition] = record.Offset + 1;
            lastIndex[partition] = index;
        }

        Assert.Equal(Records, nextOffset.Sum());
        Assert.All(Enumerable.Range(0, Partitions), p => Assert.Equal(nextOffset[p], consumer.Position(new TopicPartition(Topic, p))));
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Consume_AtEndWhileAProducerWrites_SeesTheRecordBeforeTheLongPollExpires()
    {
        const string Topic = "consumer-tail";
        await fixture.Client.CreateTopicAsync(Topic);
        await ProduceAsync(Topic, 10, partitions: 1);
        // A long fetch.max.wait.ms: the record must arrive because the node answers the long poll when it is written.
        var maxWait = TimeSpan.FromSeconds(10);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config with { FetchMaxWait = maxWait }).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.End)]);
        await WaitForPositionAsync(consumer, new TopicPartition(Topic, 0));

        var consumed = consumer.ConsumeAsync();
        await Task.Delay(200);
        var written = Stopwatch.GetTimestamp();
        await ProduceAsync(Topic, 1, partitions: 1, firstIndex: 10);
        var record = await consumed.WaitAsync(_testTimeout);

        Assert.Equal((10L, 10), (record.Offset, Index(record.Value)));
        Assert.True(Stopwatch.GetElapsedTime(written) < maxWait / 2, $"took {Stopwatch.GetElapsedTime(written).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Seek_BackToAnOffset_ReadsFromThereAgain()
    {
        const string Topic = "consumer-seek";
        await fixture.Client.CreateTopicAsync(Topic);
        await ProduceAsync(Topic, 100, partitions: 1);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config).Build();
        var partition = new TopicPartition(Topic, 0);
        consumer.Assign([new TopicPartitionOffset(partition, 0)]);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(i, (await consumer.ConsumeAsync().WaitAsync(_testTimeout)).Offset);
        }

        consumer.Seek(new TopicPartitionOffset(partition, 7));

        Assert.Equal(7, consumer.Position(partition));
        Assert.Equal(Enumerable.Range(7, 93).Select(i => (long)i), await ReadAsync(consumer, 93));
    }

    [Fact]
    public async Task ConsumeBatch_MaxPollRecords_BoundsEachBatchAndKeepsOffsetOrder()
    {
        const string Topic = "consumer-batches";
        await fixture.Client.CreateTopicAsync(Topic);
        await ProduceAsync(Topic, 100, partitions: 1);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config with { MaxPollRecords = 30 }).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);

        var batches = new List<IReadOnlyList<ConsumeResult<byte[]?, byte[]>>>();
        while (batches.Sum(b => b.Count) < 100)
        {
            batches.Add(await consumer.ConsumeBatchAsync().WaitAsync(_testTimeout));
        }

        Assert.All(batches, b => Assert.InRange(b.Count, 1, 30));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), batches.SelectMany(b => b).Select(r => r.Offset));
    }

    [Theory]
    [InlineData(AutoOffsetReset.Earliest, 0L)]
    [InlineData(AutoOffsetReset.Latest, 20L)]
    public async Task Assign_OffsetBeyondTheLog_ResetsAsAutoOffsetResetSays(AutoOffsetReset reset, long expected)
    {
        var topic = $"consumer-reset-{reset}".ToLowerInvariant();
        await fixture.Client.CreateTopicAsync(topic);
        await ProduceAsync(topic, 20, partitions: 1);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config with { AutoOffsetReset = reset }).Build();
        var partition = new TopicPartition(topic, 0);

        consumer.Assign([new TopicPartitionOffset(partition, 1_000)]);
        if (reset == AutoOffsetReset.Latest)
        {
            await WaitForPositionAsync(consumer, partition, expected);
            await ProduceAsync(topic, 1, partitions: 1, firstIndex: 20);
        }

        Assert.Equal(expected, (await consumer.ConsumeAsync().WaitAsync(_testTimeout)).Offset);
    }

    [Fact]
    public async Task Consume_OffsetBeyondTheLogWithoutReset_ThrowsOffsetOutOfRange()
    {
        const string Topic = "consumer-no-reset";
        await fixture.Client.CreateTopicAsync(Topic);
        await ProduceAsync(Topic, 5, partitions: 1);
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config with { AutoOffsetReset = AutoOffsetReset.None }).Build();

        consumer.Assign([new TopicPartitionOffset(Topic, 0, 1_000)]);
        var error = await Assert.ThrowsAsync<LogClusterException>(() => consumer.ConsumeAsync().WaitAsync(_testTimeout));

        Assert.Equal(ErrorCode.OffsetOutOfRange, error.ErrorCode);
        Assert.Throws<ArgumentException>(() => consumer.Assign([new TopicPartition(Topic, 0)]));
    }

    [Fact]
    public async Task Consume_UnknownTopic_WaitsWithoutFailingAndReadsOnceItExists()
    {
        const string Topic = "consumer-later";
        await using var consumer = new ConsumerBuilder<byte[]?, byte[]>(Config).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);

        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(300)));
        await fixture.Client.CreateTopicAsync(Topic);
        await ProduceAsync(Topic, 3, partitions: 1);

        Assert.Equal([0L, 1L, 2L], await ReadAsync(consumer, 3));
    }

    [Fact]
    public async Task Consume_RecordsWithATraceparent_MeteredAndContinuingTheProducersTrace()
    {
        const string Topic = "consumer-telemetry";
        await fixture.Client.CreateTopicAsync(Topic);
        var trace = ActivityTraceId.CreateRandom();
        var span = ActivitySpanId.CreateRandom();
        await using (var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = Bootstrap }).Build())
        {
            var traceparent = new LogCluster.Protocol.Records.RecordHeader("traceparent", Encoding.UTF8.GetBytes($"00-{trace}-{span}-01"));
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i => producer.Send(new ProducerRecord<string?, string>(Topic, null, $"value-{i:D2}") { Headers = i == 0 ? [traceparent] : [] }))).WaitAsync(_testTimeout);
        }
        var clientId = $"telemetry-{Guid.NewGuid():N}";
        long records = 0, bytes = 0;
        var lags = new ConcurrentDictionary<int, long>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "LogCluster.Consumer")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (!tags.ToArray().Contains(new KeyValuePair<string, object?>("client.id", clientId)))
            {
                return;
            }
            switch (instrument.Name)
            {
                case "logcluster.consumer.records": Interlocked.Add(ref records, value); break;
                case "logcluster.consumer.bytes": Interlocked.Add(ref bytes, value); break;
                case "logcluster.consumer.lag": lags[(int)tags.ToArray().Single(t => t.Key == "partition").Value!] = value; break;
            }
        });
        meters.Start();
        var spans = new ConcurrentQueue<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "LogCluster.Consumer",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(activities);
        await using var consumer = new ConsumerBuilder<string?, string>(Config with { ClientId = clientId }).Build();
        consumer.Assign([new TopicPartitionOffset(Topic, 0, Offsets.Beginning)]);

        var first = await consumer.ConsumeAsync().WaitAsync(_testTimeout);
        for (var i = 1; i < 20; i++)
        {
            await consumer.ConsumeAsync().WaitAsync(_testTimeout);
        }
        meters.RecordObservableInstruments();

        Assert.Equal((20L, 20L * "value-00".Length), (Interlocked.Read(ref records), Interlocked.Read(ref bytes)));
        Assert.Equal(0, lags[0]);
        Assert.Equal((trace, span), (first.TraceContext.TraceId, first.TraceContext.SpanId));
        var received = Assert.Single(spans, a => a.TraceId == trace);
        Assert.Equal((span, ActivityKind.Consumer, Topic), (received.ParentSpanId, received.Kind, received.GetTagItem("messaging.destination.name")));
    }

    private static async Task<List<long>> ReadAsync(IConsumer<byte[]?, byte[]> consumer, int count)
    {
        var offsets = new List<long>();
        using var timeout = new CancellationTokenSource(_testTimeout);
        await foreach (var record in consumer.ReadAllAsync(timeout.Token))
        {
            offsets.Add(record.Offset);
            if (offsets.Count == count)
            {
                break;
            }
        }
        return offsets;
    }

    /// <summary>Until the consumer has looked up where the partition starts (End is the log end at lookup time).</summary>
    private static async Task WaitForPositionAsync(IConsumer<byte[]?, byte[]> consumer, TopicPartition partition, long? expected = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (consumer.Position(partition) is var position && (position < 0 || (expected is { } wanted && position != wanted)))
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < _testTimeout, $"position of {partition} stayed {position}");
            consumer.Consume(TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>Sends records whose value is their index (4 bytes, big-endian), record i to partition i % partitions.</summary>
    private async Task ProduceAsync(string topic, int count, int partitions, int firstIndex = 0)
    {
        await using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = Bootstrap, Linger = TimeSpan.FromMilliseconds(5), BatchSize = 64 * 1024 }).Build();
        var sends = new Task<RecordMetadata>[count];
        for (var i = 0; i < count; i++)
        {
            var index = firstIndex + i;
            var value = new byte[16];
            BinaryPrimitives.WriteInt32BigEndian(value, index);
            sends[i] = producer.Send(new ProducerRecord<byte[]?, byte[]>(topic, null, value) { Partition = index % partitions });
        }
        await Task.WhenAll(sends).WaitAsync(_testTimeout);
    }

    private static int Index(byte[] value) => BinaryPrimitives.ReadInt32BigEndian(value);
}
