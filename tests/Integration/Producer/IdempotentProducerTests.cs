using LogCluster.Producer;
using LogCluster.Protocol.Records;
using Acks = LogCluster.Producer.Acks;

namespace LogCluster.Tests.Integration.Producer;

/// <summary>What the idempotent producer writes, read back from a real node: its producer id and unbroken sequences.</summary>
public sealed class IdempotentProducerTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private static readonly TimeSpan _testTimeout = TimeSpan.FromSeconds(60);

    private ProducerConfig Config => new() { BootstrapServers = $"127.0.0.1:{fixture.Node.Port}" };

    [Fact]
    public async Task Send_DefaultConfig_StampsEveryBatchWithOneProducerIdAndConsecutiveSequencesPerPartition()
    {
        const string Topic = "idempotent-default";
        await fixture.Client.CreateTopicAsync(Topic, partitions: 2);
        await using var producer = new ProducerBuilder<string, string>(Config).Build();

        await Task.WhenAll(Enumerable.Range(0, 5_000)
            .Select(i => producer.Send(new ProducerRecord<string, string>(Topic, $"k{i % 13}", $"v{i}")))).WaitAsync(_testTimeout);

        var headers = new List<RecordBatchHeader>();
        for (var partition = 0; partition < 2; partition++)
        {
            var batches = (await fixture.Client.FetchAllAsync(Topic, partition)).Select(b => RecordBatchHeader.Read(b)).ToList();
            Assert.NotEmpty(batches);
            var expectedSequence = 0;
            foreach (var batch in batches)
            {
                Assert.Equal(expectedSequence, batch.BaseSequence);
                expectedSequence += batch.RecordCount;
            }
            headers.AddRange(batches);
        }
        Assert.Single(headers.Select(h => (h.ProducerId, h.ProducerEpoch)).Distinct());
        Assert.True(headers[0].ProducerId >= 0, $"producer id {headers[0].ProducerId}");
    }

    [Fact]
    public async Task Send_TwoProducers_GetDifferentProducerIds()
    {
        const string Topic = "idempotent-two";
        await fixture.Client.CreateTopicAsync(Topic);
        await using (var first = new ProducerBuilder<string, string>(Config).Build())
        await using (var second = new ProducerBuilder<string, string>(Config).Build())
        {
            await first.Send(new ProducerRecord<string, string>(Topic, null!, "a")).WaitAsync(_testTimeout);
            await second.Send(new ProducerRecord<string, string>(Topic, null!, "b")).WaitAsync(_testTimeout);
        }

        var ids = (await fixture.Client.FetchAllAsync(Topic, 0)).Select(b => RecordBatchHeader.Read(b).ProducerId).ToList();

        Assert.Equal(2, ids.Distinct().Count());
    }

    [Fact]
    public async Task Send_AcksOneLeftUnsetIdempotence_SendsPlainBatches()
    {
        const string Topic = "idempotent-off";
        await fixture.Client.CreateTopicAsync(Topic);
        await using var producer = new ProducerBuilder<string, string>(Config with { Acks = Acks.Leader }).Build();

        await producer.Send(new ProducerRecord<string, string>(Topic, null!, "v")).WaitAsync(_testTimeout);

        var header = RecordBatchHeader.Read((await fixture.Client.FetchAllAsync(Topic, 0)).Single());
        Assert.Equal(BatchProducer.None, header.Producer);
    }

    [Fact]
    public void Build_ExplicitIdempotenceWithAcksOne_FailsNamingBothSettings()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new ProducerBuilder<string, string>(Config with { EnableIdempotence = true, Acks = Acks.Leader }).Build());

        Assert.Contains("enable.idempotence=true needs acks=all, got acks=1", error.Message, StringComparison.Ordinal);
    }
}
