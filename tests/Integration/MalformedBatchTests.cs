using System.Buffers.Binary;
using LogCluster.Protocol.Records;
using LogCluster.Protocol.V1;

namespace LogCluster.Tests.Integration;

/// <summary>A bad batch fails only its own partition entry: the stream stays open, nothing bad is appended.</summary>
public sealed class MalformedBatchTests(NodeFixture fixture) : IClassFixture<NodeFixture>
{
    private NodeClient Client => fixture.Client;

    [Fact]
    public async Task Produce_MalformedBatchesBesideAGoodOne_EachGetsItsCodeAndOnlyTheGoodOneIsAppended()
    {
        const string Topic = "malformed";
        await Client.CreateTopicAsync(Topic, partitions: 1, new() { ["max.message.bytes"] = "2000" });
        var good = TestBatches.Make(1);
        var cases = new (string Name, string Topic, int Partition, byte[] Batch, ErrorCode Expected)[]
        {
            ("bad CRC", Topic, 0, FlipByte(good, good.Length - 1), ErrorCode.CorruptMessage),
            ("wrong magic", Topic, 0, WithByte(good, RecordBatchLayout.MagicOffset, 1), ErrorCode.UnsupportedForMessageFormat),
            ("truncated", Topic, 0, good[..^5], ErrorCode.InvalidRecord),
            ("shorter than a header", Topic, 0, good[..40], ErrorCode.InvalidRecord),
            ("record count disagrees", Topic, 0, WithRecordCount(good, 7), ErrorCode.InvalidRecord),
            ("oversized", Topic, 0, TestBatches.Make(2, records: 3, valueBytes: 1000), ErrorCode.MessageTooLarge),
            ("unknown topic", "no-such-topic", 0, good, ErrorCode.UnknownTopicOrPartition),
            ("unknown partition", Topic, 7, good, ErrorCode.UnknownTopicOrPartition),
            ("good", Topic, 0, good, ErrorCode.None),
        };
        using var stream = Client.OpenProduceStream();

        var response = await NodeClient.RoundTripAsync(stream, NodeClient.Request(1, [.. cases.Select(c => (c.Topic, c.Partition, c.Batch))]));

        for (var i = 0; i < cases.Length; i++)
        {
            var result = response.Results[i];
            Assert.True(cases[i].Expected == result.ErrorCode, $"{cases[i].Name}: expected {cases[i].Expected}, got {result.ErrorCode} ({result.ErrorMessage})");
            Assert.True(result.ErrorCode == ErrorCode.None || result.ErrorMessage.Length > 0, $"{cases[i].Name}: an error needs a message");
        }
        Assert.Equal(0, response.Results[^1].BaseOffset);

        // The same stream still works, and the log holds only the good batches.
        var next = await NodeClient.RoundTripAsync(stream, NodeClient.Request(2, (Topic, 0, good)));
        Assert.Equal(ErrorCode.None, next.Results.Single().ErrorCode);
        Assert.Equal(3, next.Results.Single().BaseOffset);
        var stored = await Client.FetchAllAsync(Topic, 0);
        Assert.Equal([TestBatches.AsStored(good, 0), TestBatches.AsStored(good, 3)], stored);
    }

    [Fact]
    public async Task Produce_AcksUnspecified_RejectedAndNothingAppended()
    {
        const string Topic = "bad-acks";
        await Client.CreateTopicAsync(Topic);
        using var stream = Client.OpenProduceStream();
        var request = NodeClient.Request(1, (Topic, 0, TestBatches.Make(1)));
        request.Acks = Acks.Unspecified;

        var response = await NodeClient.RoundTripAsync(stream, request);

        Assert.Equal(ErrorCode.InvalidRequiredAcks, response.Results.Single().ErrorCode);
        Assert.Empty(await Client.FetchAllAsync(Topic, 0));
    }

    [Fact]
    public async Task Produce_AcksNone_AppendsWithoutAnswering()
    {
        const string Topic = "acks-none";
        await Client.CreateTopicAsync(Topic);
        using var stream = Client.OpenProduceStream();
        var fireAndForget = NodeClient.Request(1, (Topic, 0, TestBatches.Make(1)));
        fireAndForget.Acks = Acks.None;
        await stream.RequestStream.WriteAsync(fireAndForget);

        // The next answered request's response is the first on the stream: acks NONE got none.
        var answered = await NodeClient.RoundTripAsync(stream, NodeClient.Request(2, (Topic, 0, TestBatches.Make(2))));

        Assert.Equal(3, answered.Results.Single().BaseOffset);
    }

    private static byte[] FlipByte(byte[] batch, int index) => WithByte(batch, index, (byte)(batch[index] ^ 0xFF));

    private static byte[] WithByte(byte[] batch, int index, byte value)
    {
        var copy = (byte[])batch.Clone();
        copy[index] = value;
        return copy;
    }

    /// <summary>A consistent CRC over a wrong count: only the count check can catch it.</summary>
    private static byte[] WithRecordCount(byte[] batch, int count)
    {
        var copy = (byte[])batch.Clone();
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(RecordBatchLayout.RecordCountOffset), count);
        BinaryPrimitives.WriteInt32BigEndian(copy.AsSpan(RecordBatchLayout.LastOffsetDeltaOffset), count - 1);
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(RecordBatchLayout.CrcOffset), RecordBatchHeader.ComputeCrc(copy));
        return copy;
    }
}
