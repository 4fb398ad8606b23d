using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>
/// Produce, Fetch, ListOffsets, OffsetForLeaderEpoch and InitProducerId: bytes laid out by hand from the protocol
/// guide for the first version served, and a round trip in every version advertised.
/// </summary>
public sealed class DataPlaneCodecTests
{
    private static readonly Guid _topicId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    [Fact]
    public void AVersion3ProduceRequest_IsLaidOutAsTheProtocolGuideSays()
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 30_000,
            TopicData = [new() { Name = "t1", PartitionData = [new() { Index = 0, Records = new byte[] { 1, 2, 3 } }] }],
        };

        Assert.Equal(
            "ffff" + "ffff" + "00007530" // no transactional id, acks -1, timeout 30 s
            + "00000001" + "00027431" + "00000001" + "00000000" + "00000003" + "010203", // topic t1, partition 0, 3 bytes of records
            Convert.ToHexString(KafkaCodec.Encode(w => request.Write(w, 3))),
            ignoreCase: true);
    }

    [Fact]
    public void AVersion4FetchRequestAndResponse_AreLaidOutAsTheProtocolGuideSays()
    {
        var request = new FetchRequest
        {
            ReplicaId = -1,
            MaxWaitMs = 500,
            MinBytes = 1,
            MaxBytes = 52_428_800,
            Topics = [new() { Topic = "t1", Partitions = [new() { Partition = 0, FetchOffset = 5, PartitionMaxBytes = 1_048_576 }] }],
        };
        var response = new FetchResponse
        {
            Responses = [new() { Topic = "t1", Partitions = [new() { PartitionIndex = 0, HighWatermark = 10, LastStableOffset = 10, AbortedTransactions = [], Records = new byte[] { 1, 2, 3 } }] }],
        };

        Assert.Equal(
            "ffffffff" + "000001f4" + "00000001" + "03200000" + "00" // replica -1, wait 500 ms, min 1 byte, max 50 MiB, read_uncommitted
            + "00000001" + "00027431" + "00000001" + "00000000" + "0000000000000005" + "00100000", // t1, partition 0 from offset 5, up to 1 MiB
            Convert.ToHexString(KafkaCodec.Encode(w => request.Write(w, 4))),
            ignoreCase: true);
        Assert.Equal(
            "00000000" // throttle
            + "00000001" + "00027431" + "00000001" + "00000000" + "0000" // t1, partition 0, no error
            + "000000000000000a" + "000000000000000a" + "00000000" // high watermark 10, last stable offset 10, no aborted transactions
            + "00000003" + "010203", // 3 bytes of records
            Convert.ToHexString(KafkaCodec.Encode(w => response.Write(w, 4))),
            ignoreCase: true);
    }

    public static TheoryData<short> ProduceVersions() => KafkaCodec.Versions(3, ProduceRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(ProduceVersions))]
    public void Produce_EveryVersionServed_RoundTrips(short version)
    {
        var request = new ProduceRequest
        {
            TransactionalId = null,
            Acks = 1,
            TimeoutMs = 1500,
            TopicData = [new() { Name = "orders", PartitionData = [new() { Index = 2, Records = new byte[] { 9, 8, 7 } }, new() { Index = 4, Records = null }] }],
        };
        var response = new ProduceResponse
        {
            ThrottleTimeMs = 0,
            Responses =
            [
                new()
                {
                    Name = "orders",
                    PartitionResponses =
                    [
                        new() { Index = 2, ErrorCode = 0, BaseOffset = 41, LogAppendTimeMs = -1, LogStartOffset = version >= 5 ? 3 : -1 },
                        new() { Index = 4, ErrorCode = 87, BaseOffset = -1, ErrorMessage = version >= 8 ? "bad batch" : null },
                    ],
                },
            ],
        };

        var readRequest = KafkaCodec.RoundTrip(request, version, ProduceRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, ProduceResponse.Read);

        var partitions = readRequest.TopicData.Single().PartitionData;
        Assert.Equal([9, 8, 7], partitions[0].Records!.Value.ToArray());
        Assert.Null(partitions[1].Records);
        Assert.Equal((1, 1500), ((int)readRequest.Acks, readRequest.TimeoutMs));
        var answered = readResponse.Responses.Single().PartitionResponses;
        Assert.Equal((2, (short)0, 41L), (answered[0].Index, answered[0].ErrorCode, answered[0].BaseOffset));
        Assert.Equal(response.Responses[0].PartitionResponses[0].LogStartOffset, answered[0].LogStartOffset);
        Assert.Equal(response.Responses[0].PartitionResponses[1].ErrorMessage, answered[1].ErrorMessage);
    }

    public static TheoryData<short> FetchVersions() => KafkaCodec.Versions(4, FetchRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(FetchVersions))]
    public void Fetch_EveryVersionServed_RoundTrips(short version)
    {
        var byId = version >= 13;
        var request = new FetchRequest
        {
            ClusterId = version >= 12 ? "cluster" : null,
            MaxWaitMs = 500,
            MinBytes = 1,
            MaxBytes = 1 << 20,
            IsolationLevel = 1,
            SessionId = 0,
            Topics =
            [
                new()
                {
                    Topic = byId ? string.Empty : "orders",
                    TopicId = byId ? _topicId : Guid.Empty,
                    Partitions = [new() { Partition = 1, CurrentLeaderEpoch = version >= 9 ? 3 : -1, FetchOffset = 77, LastFetchedEpoch = version >= 12 ? 2 : -1, LogStartOffset = version >= 5 ? 0 : -1, PartitionMaxBytes = 4096 }],
                },
            ],
            ForgottenTopicsData = version >= 7 ? [new() { Topic = byId ? string.Empty : "old", TopicId = byId ? _topicId : Guid.Empty, Partitions = [5] }] : [],
            RackId = version >= 11 ? "rack-a" : string.Empty,
        };
        var response = new FetchResponse
        {
            ThrottleTimeMs = 0,
            ErrorCode = 0,
            SessionId = 0,
            Responses =
            [
                new()
                {
                    Topic = byId ? string.Empty : "orders",
                    TopicId = byId ? _topicId : Guid.Empty,
                    Partitions = [new() { PartitionIndex = 1, ErrorCode = 0, HighWatermark = 90, LastStableOffset = 90, LogStartOffset = version >= 5 ? 10 : -1, AbortedTransactions = [], PreferredReadReplica = -1, Records = new byte[] { 1, 2, 3, 4 } }],
                },
            ],
        };

        var readRequest = KafkaCodec.RoundTrip(request, version, FetchRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, FetchResponse.Read);

        var topic = readRequest.Topics.Single();
        Assert.Equal(byId ? _topicId : Guid.Empty, topic.TopicId);
        Assert.Equal(byId ? string.Empty : "orders", topic.Topic);
        var partition = topic.Partitions.Single();
        Assert.Equal((1, 77L, 4096, request.Topics[0].Partitions[0].CurrentLeaderEpoch), (partition.Partition, partition.FetchOffset, partition.PartitionMaxBytes, partition.CurrentLeaderEpoch));
        Assert.Equal(request.ClusterId, readRequest.ClusterId);
        var answered = readResponse.Responses.Single().Partitions.Single();
        Assert.Equal((90L, 90L), (answered.HighWatermark, answered.LastStableOffset));
        Assert.Equal([1, 2, 3, 4], answered.Records!.Value.ToArray());
        Assert.Empty(answered.AbortedTransactions!);
    }

    public static TheoryData<short> ListOffsetsVersions() => KafkaCodec.Versions(ListOffsetsRequest.LowestVersion, ListOffsetsRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(ListOffsetsVersions))]
    public void ListOffsets_EveryVersionServed_RoundTrips(short version)
    {
        var request = new ListOffsetsRequest
        {
            ReplicaId = -1,
            IsolationLevel = (sbyte)(version >= 2 ? 1 : 0),
            Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 3, CurrentLeaderEpoch = version >= 4 ? 6 : -1, Timestamp = -2 }] }],
        };
        var response = new ListOffsetsResponse
        {
            ThrottleTimeMs = version >= 2 ? 5 : 0,
            Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 3, ErrorCode = 0, Timestamp = -1, Offset = 12, LeaderEpoch = version >= 4 ? 6 : -1 }] }],
        };

        var readRequest = KafkaCodec.RoundTrip(request, version, ListOffsetsRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, ListOffsetsResponse.Read);

        var asked = readRequest.Topics.Single().Partitions.Single();
        Assert.Equal((3, -2L, request.Topics[0].Partitions[0].CurrentLeaderEpoch), (asked.PartitionIndex, asked.Timestamp, asked.CurrentLeaderEpoch));
        var answered = readResponse.Topics.Single().Partitions.Single();
        Assert.Equal((12L, response.Topics[0].Partitions[0].LeaderEpoch), (answered.Offset, answered.LeaderEpoch));
    }

    public static TheoryData<short> OffsetForLeaderEpochVersions() => KafkaCodec.Versions(OffsetForLeaderEpochRequest.LowestVersion, OffsetForLeaderEpochRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(OffsetForLeaderEpochVersions))]
    public void OffsetForLeaderEpoch_EveryVersionServed_RoundTrips(short version)
    {
        var request = new OffsetForLeaderEpochRequest
        {
            ReplicaId = version >= 3 ? -1 : -2,
            Topics = [new() { Topic = "orders", Partitions = [new() { Partition = 0, CurrentLeaderEpoch = 4, LeaderEpoch = 3 }] }],
        };
        var response = new OffsetForLeaderEpochResponse
        {
            Topics = [new() { Topic = "orders", Partitions = [new() { ErrorCode = 0, Partition = 0, LeaderEpoch = 3, EndOffset = 250 }] }],
        };

        var readRequest = KafkaCodec.RoundTrip(request, version, OffsetForLeaderEpochRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, OffsetForLeaderEpochResponse.Read);

        Assert.Equal((4, 3), (readRequest.Topics[0].Partitions[0].CurrentLeaderEpoch, readRequest.Topics[0].Partitions[0].LeaderEpoch));
        Assert.Equal((3, 250L), (readResponse.Topics[0].Partitions[0].LeaderEpoch, readResponse.Topics[0].Partitions[0].EndOffset));
    }

    public static TheoryData<short> InitProducerIdVersions() => KafkaCodec.Versions(InitProducerIdRequest.LowestVersion, InitProducerIdRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(InitProducerIdVersions))]
    public void InitProducerId_EveryVersionServed_RoundTrips(short version)
    {
        var request = new InitProducerIdRequest
        {
            TransactionalId = null,
            TransactionTimeoutMs = 60_000,
            ProducerId = version >= 3 ? 1000 : -1,
            ProducerEpoch = (short)(version >= 3 ? 2 : -1),
        };
        var response = new InitProducerIdResponse { ErrorCode = 0, ProducerId = 1000, ProducerEpoch = 3 };

        var readRequest = KafkaCodec.RoundTrip(request, version, InitProducerIdRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, InitProducerIdResponse.Read);

        Assert.Equal((request.ProducerId, request.ProducerEpoch), (readRequest.ProducerId, readRequest.ProducerEpoch));
        Assert.Equal((1000L, (short)3), (readResponse.ProducerId, readResponse.ProducerEpoch));
    }
}
