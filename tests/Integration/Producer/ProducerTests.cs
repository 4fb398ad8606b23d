using System.Collections.Concurrent;
using LogCluster.Client;
using LogCluster.Producer;
using LogCluster.Protocol.V1;
using Acks = LogCluster.Producer.Acks;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>The producer SDK against a real node process: every acknowledged record is in the log once, in order.</summary>
public sealed class ProducerTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromSeconds(60);

    private ProducerConfig Config => new() { BootstrapServers = $"127.0.0.1:{fixture.Node.Port}" };

    [Fact]
    public async Task Send_ManyRecordsAsync_AllAcknowledgedOnceAndInSendOrderPerPartition()
    {
        const string Topic = "producer-async";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 3);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();

        var sends = Enumerable.Range(0, 20_000)
            .Select(i => producer.Send(new ProducerRecord<string, string>(Topic, $"key-{i % 97}", $"value-{i}")))
            .ToList();
        var acknowledged = await Task.WhenAll(sends).WaitAsync(_testTimeout);

        var log = await fixture.Client.ReadAllAsync(Topic, 3);
        Assert.Equal(20_000, log.Values.Sum(p => p.Count));
        for (var i = 0; i < acknowledged.Length; i++)
        {
            // The acknowledged offset holds exactly the record that was sent.
            Assert.Equal(($"key-{i % 97}", $"value-{i}"), log[acknowledged[i].Partition][(int)acknowledged[i].Offset]);
        }
        // Per partition, the log order is the send order.
        foreach (var records in log.Values)
        {
            var indexes = records.Select(r => int.Parse(r.Value["value-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(indexes.Order(), indexes);
        }
    }

    [Fact]
    public async Task Send_SameKey_LandsOnTheJavaMurmur2Partition()
    {
        const string Topic = "producer-keys";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 10);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();

        var metadata = await producer.Send(new ProducerRecord<string, string>(Topic, "foobar", "v")).WaitAsync(_testTimeout);

        // Java: (murmur2("foobar") & 0x7fffffff) % 10 == 6.
        Assert.Equal(6, metadata.Partition);
    }

    [Fact]
    public async Task Send_SyncFromOneThread_EachReturnsItsOffset()
    {
        const string Topic = "producer-sync";
        await fixture.Client.CreateTopicAsync(Topic);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();

        var offsets = await Task.Run(() => Enumerable.Range(0, 200)
            .Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"v{i}")).GetAwaiter().GetResult().Offset)
            .ToList()).WaitAsync(_testTimeout);

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), offsets);
    }

    [Fact]
    public async Task Send_SyncWithAHugeLinger_GoesOutAtOnceBecauseTheNodeIsIdle()
    {
        const string Topic = "producer-idle";
        await fixture.Client.CreateTopicAsync(Topic);
        var tenMinutes = TimeSpan.FromMinutes(10);
        await using var producer = new ProducerBuilder<string, string>(Config with { Linger = tenMinutes, DeliveryTimeout = tenMinutes * 2 }).Build();

        // Were linger paid, each send would take ten minutes; the test's timeout is one.
        var offsets = await Task.Run(() => Enumerable.Range(0, 5)
            .Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"v{i}")).GetAwaiter().GetResult().Offset)
            .ToList()).WaitAsync(_testTimeout);

        Assert.Equal([0L, 1, 2, 3, 4], offsets);
    }

    [Fact]
    public async Task Send_SyncFromManyBlockedThreads_AllCompleteWithoutStarvation()
    {
        const string Topic = "producer-sync-many";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 2);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();
        const int Threads = 96;
        const int PerThread = 20;

        var threads = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
            () => Enumerable.Range(0, PerThread).Select(i => producer.Send(new ProducerRecord<string, string>(Topic, null!, $"{t}-{i}")).GetAwaiter().GetResult()).Count(),
            TaskCreationOptions.LongRunning)).ToList();

        var sent = await Task.WhenAll(threads).WaitAsync(_testTimeout);
        Assert.Equal(Threads * PerThread, sent.Sum());
        Assert.Equal(Threads * PerThread, (await fixture.Client.ReadAllAsync(Topic, 2)).Values.Sum(p => p.Count));
    }

    [Fact]
    public async Task Send_SyncUnderASingleThreadedSynchronizationContext_DoesNotDeadlock()
    {
        const string Topic = "producer-sync-context";
        await fixture.Client.CreateTopicAsync(Topic);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();

        var offset = await SingleThreadContext.Run(() =>
            producer.Send(new ProducerRecord<string, string>(Topic, null!, "v")).GetAwaiter().GetResult().Offset).WaitAsync(_testTimeout);

        Assert.Equal(0, offset);
    }

    [Fact]
    public async Task Send_WithCallbacks_CalledOncePerRecordInOffsetOrderPerPartition()
    {
        const string Topic = "producer-callbacks";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 2);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();
        var seen = new ConcurrentQueue<RecordMetadata>();
        using var all = new CountdownEvent(2_000);

        for (var i = 0; i < 2_000; i++)
        {
            producer.Send(new ProducerRecord<string, string>(Topic, null!, $"v{i}") { Partition = i % 2 }, (metadata, error) =>
            {
                Assert.Null(error);
                seen.Enqueue(metadata!);
                all.Signal();
            });
        }

        Assert.True(all.Wait(_testTimeout));
        foreach (var partition in new[] { 0, 1 })
        {
            var offsets = seen.Where(m => m.Partition == partition).Select(m => m.Offset).ToList();
            Assert.Equal(Enumerable.Range(0, 1_000).Select(i => (long)i), offsets);
        }
    }

    [Fact]
    public async Task Send_UnknownTopic_FailsWithUnknownTopicWithinMaxBlock()
    {
        await using var producer = new ProducerBuilder<string, string>(Config with { MaxBlock = TimeSpan.FromSeconds(2) }).Build();

        var error = await Assert.ThrowsAsync<LogClusterException>(() => producer.Send(new ProducerRecord<string, string>("no-such-topic", null!, "v")).WaitAsync(_testTimeout));

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error.ErrorCode);
    }

    [Fact]
    public async Task Send_AcksNone_CompletesWithOffsetMinusOneAndTheRecordIsWritten()
    {
        const string Topic = "producer-acks-none";
        await fixture.Client.CreateTopicAsync(Topic);
        await using var producer = new ProducerBuilder<string, string>(Config with { Acks = Acks.None }).Build();

        var metadata = await producer.Send(new ProducerRecord<string, string>(Topic, null!, "v")).WaitAsync(_testTimeout);
        await producer.FlushAsync().WaitAsync(_testTimeout);

        Assert.Equal(-1, metadata.Offset);
        await WaitUntilAsync(async () => (await fixture.Client.ReadAllAsync(Topic, 1))[0].Count == 1);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + _testTimeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(20);
        }
    }
}
