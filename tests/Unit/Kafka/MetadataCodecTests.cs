using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>Metadata in every version served: librdkafka's request bytes, a response laid out by hand, round trips.</summary>
public sealed class MetadataCodecTests
{
    [Fact]
    public void ARequestFromLibrdkafka_DecodesAndEncodesToTheSameBytes()
    {
        // kcat -L -t t1 (librdkafka 2.0.2): Metadata v4 after header v1, captured from the wire.
        var captured = Convert.FromHexString("00030004" + "00000002" + "0007" + "72646b61666b61" + "00000001" + "0002" + "7431" + "01");
        var reader = new KafkaReader(captured);
        var header = RequestHeader.Read(ref reader, 1);
        var request = MetadataRequest.Read(ref reader, header.RequestApiVersion);

        Assert.Equal((3, 4, 2), (header.RequestApiKey, header.RequestApiVersion, header.CorrelationId));
        Assert.Equal("t1", Assert.Single(request.Topics!).Name);
        Assert.True(request.AllowAutoTopicCreation);
        Assert.Equal(captured, KafkaCodec.Encode(w =>
        {
            header.Write(w, 1);
            request.Write(w, 4);
        }));
    }

    [Fact]
    public void AVersion4Response_IsLaidOutAsTheProtocolGuideSays()
    {
        var response = new MetadataResponse
        {
            Brokers = [new() { NodeId = 1, Host = "h", Port = 9092 }],
            ControllerId = 1,
            Topics = [new() { Name = "t1", Partitions = [new() { PartitionIndex = 0, LeaderId = 1, LeaderEpoch = 5, ReplicaNodes = [1], IsrNodes = [1], OfflineReplicas = [2] }] }],
        };

        Assert.Equal(
            "00000000" // throttle
            + "00000001" + "00000001" + "000168" + "00002384" + "ffff" // one broker: id 1, "h", 9092, rack null
            + "ffff" + "00000001" // cluster id null, controller 1
            + "00000001" + "0000" + "00027431" + "00" // one topic: no error, "t1", not internal
            + "00000001" + "0000" + "00000000" + "00000001" + "0000000100000001" + "0000000100000001", // partition 0, leader 1, replicas [1], isr [1]; no epoch (v7+), no offline replicas (v5+)
            Convert.ToHexString(KafkaCodec.Encode(w => response.Write(w, 4))),
            ignoreCase: true);
    }

    public static TheoryData<short> Versions() => [.. Enumerable.Range(MetadataRequest.LowestVersion, MetadataRequest.HighestVersion + 1).Select(v => (short)v)];

    [Theory]
    [MemberData(nameof(Versions))]
    public void EveryVersion_RoundTrips(short version)
    {
        var id = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
        var request = new MetadataRequest { Topics = [new() { Name = "orders", TopicId = version >= 10 ? id : Guid.Empty }], AllowAutoTopicCreation = version < 4 };
        var response = new MetadataResponse
        {
            ThrottleTimeMs = version >= 3 ? 7 : 0,
            Brokers = [new() { NodeId = 2, Host = "node-2", Port = 9093, Rack = version >= 1 ? "r1" : null }],
            ClusterId = version >= 2 ? "cluster" : null,
            ControllerId = version >= 1 ? 2 : -1,
            Topics =
            [
                new()
                {
                    ErrorCode = 0, Name = "orders", TopicId = version >= 10 ? id : Guid.Empty, IsInternal = false,
                    Partitions = [new() { PartitionIndex = 3, LeaderId = 2, LeaderEpoch = version >= 7 ? 4 : -1, ReplicaNodes = [2, 1], IsrNodes = [2], OfflineReplicas = version >= 5 ? [1] : [] }],
                },
            ],
        };

        var readRequest = KafkaCodec.RoundTrip(request, version, MetadataRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, MetadataResponse.Read);

        Assert.Equal(request.Topics[0].Name, readRequest.Topics![0].Name);
        Assert.Equal(request.Topics[0].TopicId, readRequest.Topics[0].TopicId);
        Assert.Equal(request.AllowAutoTopicCreation, readRequest.AllowAutoTopicCreation);
        Assert.Equal((response.ThrottleTimeMs, response.ClusterId, response.ControllerId), (readResponse.ThrottleTimeMs, readResponse.ClusterId, readResponse.ControllerId));
        Assert.Equal((2, "node-2", 9093, response.Brokers[0].Rack), (readResponse.Brokers[0].NodeId, readResponse.Brokers[0].Host, readResponse.Brokers[0].Port, readResponse.Brokers[0].Rack));
        var partition = readResponse.Topics[0].Partitions[0];
        var sent = response.Topics[0].Partitions[0];
        Assert.Equal((sent.PartitionIndex, sent.LeaderId, sent.LeaderEpoch), (partition.PartitionIndex, partition.LeaderId, partition.LeaderEpoch));
        Assert.Equal(sent.ReplicaNodes, partition.ReplicaNodes);
        Assert.Equal(sent.IsrNodes, partition.IsrNodes);
        Assert.Equal(sent.OfflineReplicas, partition.OfflineReplicas);
        Assert.Equal(response.Topics[0].TopicId, readResponse.Topics[0].TopicId);
    }

    [Fact]
    public void ANullTopicList_MeansEveryTopicFromVersion1_AndCannotBeSentInVersion0()
    {
        var request = new MetadataRequest { Topics = null };

        Assert.Null(KafkaCodec.RoundTrip(request, 1, MetadataRequest.Read).Topics);
        Assert.Throws<InvalidOperationException>(() => KafkaCodec.Encode(w => request.Write(w, 0)));
    }
}
