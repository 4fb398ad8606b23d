using System.Text;
using LogCluster.Cli.LocalCluster;
using LogCluster.Client;
using LogCluster.Producer;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>The producer when its node dies, stays down, or comes back: timeouts, backpressure, cancellation, retries.</summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class ProducerFailureTests
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromSeconds(90);

    private static ProducerConfig ConfigFor(LocalNode node) => new()
    {
        BootstrapServers = $"127.0.0.1:{node.Port}",
        RequestTimeout = TimeSpan.FromSeconds(2),
        RetryBackoff = TimeSpan.FromMilliseconds(50),
        RetryBackoffMax = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>A fresh node process with one topic; the caller disposes it.</summary>
    private static async Task<LocalNode> StartNodeWithTopicAsync(TempDirectory data, string topic, Dictionary<string, string>? configs = null)
    {
        var node = await LocalNode.StartAsync(data.Path);
        using var client = new NodeClient(node.Address);
        await client.CreateTopicAsync(topic, configs: configs);
        return node;
    }

    /// <summary>One acknowledged send caches metadata and opens the stream; then the node dies, so later sends can only queue or fail.</summary>
    private static async Task WarmUpThenKillAsync(IProducer<string, string> producer, LocalNode node, string topic, string value = "warm-up")
    {
        await producer.Send(new ProducerRecord<string, string>(topic, null!, value)).WaitAsync(_testTimeout);
        await node.KillAsync();
    }

    [Fact]
    public async Task Send_WithoutIdempotenceNodeKilledAndRestartedMidStream_EveryRecordAcknowledgedAndInSendOrder()
    {
        using var data = new TempDirectory();
        await using var node = await StartNodeWithTopicAsync(data, "failover", new() { ["flush.messages"] = "1" });
        // Idempotence off on purpose: this is the at-least-once path (IdempotentProducerFaultTests has the other).
        var config = ConfigFor(node) with { MaxInFlightRequestsPerConnection = 1, EnableIdempotence = false };
        await using var producer = new ProducerBuilder<string, string>(config).Build();
        var sends = new List<Task<RecordMetadata>>();

        for (var i = 0; i < 3_000; i++)
        {
            sends.Add(producer.Send(new ProducerRecord<string, string>("failover", null!, $"r{i}")));
            if (i == 1_000)
            {
                await node.KillAsync();
                await node.StartAsync();
            }
            if (i % 100 == 0)
            {
                await Task.Delay(5);
            }
        }
        await Task.WhenAll(sends).WaitAsync(_testTimeout);

        using var reader = new NodeClient(node.Address);
        var values = (await reader.FetchAllAsync("failover", 0)).SelectMany(b => RecordBatchReader.ReadRecords(b))
            .Select(r => int.Parse(Encoding.UTF8.GetString(r.Value!)[1..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        // Without idempotence a batch whose answer was lost in the kill may be written twice; nothing is lost,
        // and with max.in.flight=1 the first occurrences keep the send order.
        Assert.Equal(Enumerable.Range(0, 3_000), values.Distinct());
        for (var i = 0; i < sends.Count; i++)
        {
            // The offset each send reported holds that very record.
            Assert.Equal(i, values[(int)(await sends[i]).Offset]);
        }
    }

    [Fact]
    public async Task Send_NodeStaysDown_FailsWithMessageTimedOutWithinDeliveryTimeout()
    {
        using var data = new TempDirectory();
        await using var node = await StartNodeWithTopicAsync(data, "down");
        var config = ConfigFor(node) with { DeliveryTimeout = TimeSpan.FromSeconds(3), RequestTimeout = TimeSpan.FromSeconds(1) };
        await using var producer = new ProducerBuilder<string, string>(config).Build();
        await WarmUpThenKillAsync(producer, node, "down");

        var error = await Assert.ThrowsAsync<LogClusterException>(() => producer.Send(new ProducerRecord<string, string>("down", null!, "lost")).WaitAsync(_testTimeout));

        Assert.Equal(ErrorCode.LocalMessageTimedOut, error.ErrorCode);
    }

    [Fact]
    public async Task Send_BootstrapAcceptsButNeverAnswers_FailsAtMaxBlockAsUnknownTopicNotAsAnInternalError()
    {
        // A listener that takes the connection and says nothing: max.block.ms ends while the metadata request is out.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var config = new ProducerConfig
        {
            BootstrapServers = $"127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}",
            MaxBlock = TimeSpan.FromMilliseconds(500),
            RequestTimeout = TimeSpan.FromSeconds(30),
        };
        await using var producer = new ProducerBuilder<string, string>(config).Build();

        var error = await Assert.ThrowsAsync<LogClusterException>(() => producer.Send(new ProducerRecord<string, string>("t", null!, "v")).WaitAsync(_testTimeout));

        Assert.Equal(ErrorCode.UnknownTopicOrPartition, error.ErrorCode);
        Assert.Contains("max.block.ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_BufferMemoryFull_WaitsMaxBlockThenFailsWithQueueFull()
    {
        using var data = new TempDirectory();
        await using var node = await StartNodeWithTopicAsync(data, "full");
        var config = ConfigFor(node) with { BufferMemory = 4_096, MaxBlock = TimeSpan.FromMilliseconds(500) };
        await using var producer = new ProducerBuilder<string, string>(config).Build();
        await WarmUpThenKillAsync(producer, node, "full");

        // Nothing drains while the node is down: about 4 KiB of records fit, the next one waits and gives up.
        var value = new string('x', 1_000);
        var pending = Enumerable.Range(0, 4).Select(_ => producer.Send(new ProducerRecord<string, string>("full", null!, value))).ToList();
        var blocked = producer.Send(new ProducerRecord<string, string>("full", null!, value));

        var error = await Assert.ThrowsAsync<LogClusterException>(() => blocked.WaitAsync(_testTimeout));
        Assert.Equal(ErrorCode.LocalQueueFull, error.ErrorCode);
        Assert.All(pending, p => Assert.False(p.IsCompleted));
        await node.StartAsync();
        await Task.WhenAll(pending).WaitAsync(_testTimeout);
    }

    [Fact]
    public async Task Send_CancelledBeforeItIsSent_RemovedFromItsBatchAndNeverWritten()
    {
        using var data = new TempDirectory();
        await using var node = await StartNodeWithTopicAsync(data, "cancel");
        await using var producer = new ProducerBuilder<string, string>(ConfigFor(node) with { MaxInFlightRequestsPerConnection = 1 }).Build();
        await WarmUpThenKillAsync(producer, node, "cancel", "first");
        using var cancel = new CancellationTokenSource();

        // kept-1 goes out at once (idle node) and keeps failing while the node is down. With max.in.flight=1 the
        // partition waits for it, so records sent after it stay queued: the moment is a tolerance for the
        // sender to take kept-1, not a condition of the assertion.
        var kept1 = producer.Send(new ProducerRecord<string, string>("cancel", null!, "kept-1"));
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        var cancelled = producer.Send(new ProducerRecord<string, string>("cancel", null!, "cancelled"), cancel.Token);
        var kept2 = producer.Send(new ProducerRecord<string, string>("cancel", null!, "kept-2"));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(_testTimeout));
        await node.StartAsync();
        await Task.WhenAll(kept1, kept2).WaitAsync(_testTimeout);

        using var reader = new NodeClient(node.Address);
        var values = (await reader.FetchAllAsync("cancel", 0)).SelectMany(b => RecordBatchReader.ReadRecords(b)).Select(r => Encoding.UTF8.GetString(r.Value!)).ToList();
        Assert.DoesNotContain("cancelled", values);
        Assert.Equal(["first", "kept-1", "kept-2"], values.Distinct());
    }

    [Fact]
    public async Task Send_PerRecordDeliveryTimeout_ShortOneFailsWhileTheOthersWaitAndSucceed()
    {
        using var data = new TempDirectory();
        await using var node = await StartNodeWithTopicAsync(data, "deadlines");
        await using var producer = new ProducerBuilder<string, string>(ConfigFor(node)).Build();
        await WarmUpThenKillAsync(producer, node, "deadlines");

        var patient = producer.Send(new ProducerRecord<string, string>("deadlines", null!, "patient"));
        var hurried = producer.Send(new ProducerRecord<string, string>("deadlines", null!, "hurried") { DeliveryTimeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<LogClusterException>(() => hurried.WaitAsync(_testTimeout));
        Assert.Equal(ErrorCode.LocalMessageTimedOut, error.ErrorCode);
        Assert.False(patient.IsCompleted);
        await node.StartAsync();
        Assert.Equal(1, (await patient.WaitAsync(_testTimeout)).Offset);
    }
}
