using System.Buffers.Binary;
using System.Globalization;
using LogCluster.Cli.LocalCluster;
using LogCluster.Client;
using LogCluster.Producer;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;
using LogCluster.Tests.Integration.Faults;
using Xunit.Abstractions;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>
/// The idempotent producer through a network that drops, cuts, black-holes and delays (a seeded proxy between the
/// producer and a real node), and across a SIGKILL of the node: reading the log back, every acknowledged record
/// is there exactly once, no record is there twice, and each partition holds its records in send order.
/// Replay a failure with LOGCLUSTER_FAULT_SEED set to the seed the failure message prints.
/// </summary>
[Collection(ProcessHeavyCollection.Name)]
public sealed class IdempotentProducerFaultTests(ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int Records = 200_000;
    private const string Topic = "faults";
    private static readonly TimeSpan _testTimeout = TimeSpan.FromMinutes(4);

    // Per 64 KiB chunk: 200,000 small records make a few hundred requests, so a few percent gives tens of faults.
    private static readonly FaultPlan _frequentFaults = new(
        DropConnectionPerChunk: 0.02, CutMidRequestPerChunk: 0.02, BlackholePerChunk: 0.01, DelayPerChunk: 0.05, MaxDelay: TimeSpan.FromMilliseconds(20));

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("LOGCLUSTER_FAULT_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : 20261123;

    /// <summary>A node whose clients are told to reach it through the proxy; the test reads the log directly.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly TempDirectory _data = new();

        private Rig(FaultInjectingProxy proxy) => Proxy = proxy;

        public FaultInjectingProxy Proxy { get; }

        public LocalNode Node { get; private set; } = null!;

        public static async Task<Rig> StartAsync(int seed, FaultPlan plan, Dictionary<string, string>? topicConfigs = null)
        {
            var rig = new Rig(FaultInjectingProxy.Start(seed, plan)) { Proxy = { FaultsEnabled = false } };
            rig.Node = await LocalNode.StartAsync(rig._data.Path, "--advertised-port", rig.Proxy.Port.ToString(CultureInfo.InvariantCulture));
            rig.Proxy.UpstreamPort = rig.Node.Port;
            using var client = new NodeClient(rig.Node.Address);
            await client.CreateTopicAsync(Topic, Partitions, topicConfigs);
            return rig;
        }

        public ProducerConfig ProducerConfig => new()
        {
            BootstrapServers = $"127.0.0.1:{Proxy.Port}",
            MaxInFlightRequestsPerConnection = 5,
            RequestTimeout = TimeSpan.FromSeconds(2),
            RetryBackoff = TimeSpan.FromMilliseconds(20),
            RetryBackoffMax = TimeSpan.FromMilliseconds(500),
        };

        /// <summary>Every record of the topic, per partition in log order, with the header of the batch that holds it.</summary>
        public async Task<List<LoggedRecord>[]> ReadLogAsync()
        {
            using var client = new NodeClient(Node.Address);
            var log = new List<LoggedRecord>[Partitions];
            for (var partition = 0; partition < Partitions; partition++)
            {
                log[partition] = [.. (await client.FetchAllAsync(Topic, partition))
                    .SelectMany(b => RecordBatchReader.ReadRecords(b).Select(r => new LoggedRecord(r.Offset, Index(r.Value!), RecordBatchHeader.Read(b))))];
            }
            return log;
        }

        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Node.DisposeAsync();
            _data.Dispose();
        }
    }

    [Fact]
    public async Task Send_ThroughDroppedCutBlackholedAndDelayedConnections_EveryAcknowledgedRecordOnceInSendOrder()
    {
        await using var rig = await Rig.StartAsync(Seed, _frequentFaults);

        var outcomes = await SendAllAsync(rig, midway: null);

        await AssertLogMatchesAsync(rig, outcomes, minimumFaults: 5);
    }

    [Fact]
    public async Task Send_NodeKilledAndRestartedMidRunInFsyncMode_EveryAcknowledgedRecordOnceInSendOrder()
    {
        await using var rig = await Rig.StartAsync(Seed + 1, _frequentFaults, new() { ["flush.messages"] = "1" });

        var outcomes = await SendAllAsync(rig, midway: async () =>
        {
            await rig.Node.KillAsync();
            await rig.Node.StartAsync();
        });

        await AssertLogMatchesAsync(rig, outcomes, minimumFaults: 3);
    }

    [Fact]
    public async Task Send_DeliveryTimeoutWhileInFlight_LaterSendsGoUnderANewEpochAndNothingIsWrittenTwice()
    {
        // Every answer is swallowed while faults are on: the batch reaches the node, its acknowledgement never returns.
        await using var rig = await Rig.StartAsync(Seed, new FaultPlan(0, 0, BlackholePerChunk: 1, 0, TimeSpan.Zero));
        var config = rig.ProducerConfig with { Linger = TimeSpan.Zero, RequestTimeout = TimeSpan.FromSeconds(1), DeliveryTimeout = TimeSpan.FromSeconds(2) };
        await using var producer = new ProducerBuilder<string, string>(config).Build();
        var record = (string value) => new ProducerRecord<string, string>(Topic, null!, value) { Partition = 0 };

        await producer.Send(record("a")).WaitAsync(_testTimeout);
        rig.Proxy.FaultsEnabled = true;
        var lost = await Assert.ThrowsAsync<LogClusterException>(() => producer.Send(record("b")).WaitAsync(_testTimeout));
        rig.Proxy.FaultsEnabled = false;
        rig.Proxy.DropAll();
        var after = await producer.Send(record("c")).WaitAsync(_testTimeout);

        Assert.Equal(ErrorCode.LocalMessageTimedOut, lost.ErrorCode);
        Assert.Contains("may have been written", lost.Message, StringComparison.Ordinal);
        using var client = new NodeClient(rig.Node.Address);
        var batches = (await client.FetchAllAsync(Topic, 0)).Select(b => (Header: RecordBatchHeader.Read(b), Values: RecordBatchReader.ReadRecords(b).Select(r => System.Text.Encoding.UTF8.GetString(r.Value!)).ToList())).ToList();
        var values = batches.SelectMany(b => b.Values).ToList();
        // "b" reached the node once; whether or not it is there, nothing is there twice and the order holds.
        Assert.Equal(["a", "c"], values.Where(v => v != "b"));
        Assert.True(values.Count(v => v == "b") <= 1, string.Join(",", values));
        var last = batches[^1].Header;
        Assert.Equal((after.Offset, (short)1, 0), (last.BaseOffset, last.ProducerEpoch, last.BaseSequence));
        Assert.Equal(batches[0].Header.ProducerId, last.ProducerId);
    }

    /// <summary>Sends <see cref="Records"/> records round-robin over the partitions with faults on; each value is its send index.</summary>
    private static async Task<(RecordMetadata? Metadata, LogClusterException? Error)[]> SendAllAsync(Rig rig, Func<Task>? midway)
    {
        await using var producer = new ProducerBuilder<byte[]?, byte[]>(rig.ProducerConfig).Build();
        await producer.Send(new ProducerRecord<byte[]?, byte[]>(Topic, null, Value(-1)) { Partition = 0 }).WaitAsync(_testTimeout);
        rig.Proxy.FaultsEnabled = true;
        var sends = new Task<RecordMetadata>[Records];
        var midwayDone = Task.CompletedTask;
        for (var i = 0; i < Records; i++)
        {
            sends[i] = producer.Send(new ProducerRecord<byte[]?, byte[]>(Topic, null, Value(i)) { Partition = i % Partitions });
            if (i == Records / 3 && midway is not null)
            {
                // Once a third is acknowledged, while the rest is queued or in flight.
                midwayDone = sends[i].ContinueWith(_ => midway(), TaskScheduler.Default).Unwrap();
            }
        }
        await midwayDone.WaitAsync(_testTimeout);
        var outcomes = await Task.WhenAll(sends.Select(async send =>
        {
            try
            {
                return ((RecordMetadata?)await send, (LogClusterException?)null);
            }
            catch (LogClusterException e)
            {
                return (null, e);
            }
        })).WaitAsync(_testTimeout);
        rig.Proxy.FaultsEnabled = false;
        return outcomes;
    }

    private async Task AssertLogMatchesAsync(Rig rig, (RecordMetadata? Metadata, LogClusterException? Error)[] outcomes, int minimumFaults)
    {
        var log = await rig.ReadLogAsync();
        var failures = outcomes.Where(o => o.Error is not null).Select(o => o.Error!).ToList();
        var context = $"seed {rig.Proxy.Seed} (replay with LOGCLUSTER_FAULT_SEED={rig.Proxy.Seed}); {rig.Proxy.Describe()}; " +
            $"{outcomes.Length - failures.Count} acknowledged, {failures.Count} failed" +
            (failures.Count > 0 ? $" (first: {failures[0].Message})" : "");
        output.WriteLine(context);

        var seen = new Dictionary<int, LoggedRecord>();
        for (var partition = 0; partition < Partitions; partition++)
        {
            var records = log[partition].Where(r => r.Index >= 0).ToList();
            foreach (var record in records)
            {
                // Which batches hold the two copies tells a node that appended a retry again from a producer that re-stamped one.
                Assert.True(seen.TryAdd(record.Index, record),
                    $"record {record.Index} is in the log twice: {seen.GetValueOrDefault(record.Index)?.DescribeBatch()} and {record.DescribeBatch()}; {context}");
                Assert.True(record.Index % Partitions == partition, $"record {record.Index} is in partition {partition}; {context}");
            }
            var indexes = records.Select(r => r.Index).ToList();
            for (var i = 1; i < indexes.Count; i++)
            {
                Assert.True(indexes[i - 1] < indexes[i], $"partition {partition} holds {indexes[i - 1]} before {indexes[i]}; {context}");
            }
        }
        var byOffset = log.Select(p => p.ToDictionary(r => r.Offset, r => r.Index)).ToArray();
        for (var i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i].Metadata is { } acknowledged)
            {
                Assert.True(byOffset[acknowledged.Partition].TryGetValue(acknowledged.Offset, out var found) && found == i,
                    $"record {i} was acknowledged at {acknowledged.Partition}/{acknowledged.Offset}, which holds {found}; {context}");
            }
        }
        // Faults are transient and the delivery timeout is long: nearly everything must get through.
        Assert.True(failures.Count <= outcomes.Length / 100, context);
        var counts = rig.Proxy.Counts;
        Assert.True(counts.Dropped + counts.Cut + counts.Blackholed >= minimumFaults, $"too few faults to prove anything; {context}");
    }

    /// <summary>A record as read back: its offset, its send index, and its batch's header (which producer fields wrote it).</summary>
    private sealed record LoggedRecord(long Offset, int Index, RecordBatchHeader Batch)
    {
        public string DescribeBatch() => string.Create(CultureInfo.InvariantCulture,
            $"offset {Offset} in batch {Batch.BaseOffset}..{Batch.LastOffset} (producer {Batch.ProducerId} epoch {Batch.ProducerEpoch} sequence {Batch.BaseSequence})");
    }

    private static byte[] Value(int index)
    {
        var value = new byte[64];
        BinaryPrimitives.WriteInt32BigEndian(value, index);
        return value;
    }

    private static int Index(byte[] value) => BinaryPrimitives.ReadInt32BigEndian(value);
}
