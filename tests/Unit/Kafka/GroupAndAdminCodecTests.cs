using LogCluster.LogNode;
using LogCluster.LogNode.Kafka;
using LogCluster.LogNode.Kafka.Wire.Messages;
using Microsoft.Extensions.Options;

namespace LogCluster.Tests.Unit.Kafka;

/// <summary>
/// The group and admin APIs in every version served: round trips, the nullable assignment's presence byte laid out
/// by hand, and the cluster id's shape.
/// </summary>
public sealed class GroupAndAdminCodecTests
{
    private static readonly Guid _topicId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    public static TheoryData<short> FindCoordinatorVersions() => KafkaCodec.Versions(FindCoordinatorRequest.LowestVersion, FindCoordinatorRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(FindCoordinatorVersions))]
    public void FindCoordinator_EveryVersionServed_RoundTrips(short version)
    {
        var batched = version >= 4;
        var request = new FindCoordinatorRequest { Key = batched ? string.Empty : "orders-group", KeyType = 0, CoordinatorKeys = batched ? ["a", "b"] : [] };
        var response = batched
            ? new FindCoordinatorResponse { Coordinators = [new() { Key = "a", NodeId = 2, Host = "h", Port = 9093, ErrorMessage = null }, new() { Key = "b", NodeId = -1, Host = string.Empty, Port = -1, ErrorCode = 15, ErrorMessage = "later" }] }
            : new FindCoordinatorResponse { NodeId = 2, Host = "h", Port = 9093, ErrorMessage = version >= 1 ? "fine" : null };

        var readRequest = KafkaCodec.RoundTrip(request, version, FindCoordinatorRequest.Read);
        var readResponse = KafkaCodec.RoundTrip(response, version, FindCoordinatorResponse.Read);

        Assert.Equal(batched ? ["a", "b"] : [], readRequest.CoordinatorKeys);
        Assert.Equal(batched ? string.Empty : "orders-group", readRequest.Key);
        Assert.Equal(batched ? 2 : 0, readResponse.Coordinators.Count);
        Assert.Equal(batched ? 0 : 2, readResponse.NodeId);
    }

    public static TheoryData<short> OffsetCommitVersions() => KafkaCodec.Versions(OffsetCommitRequest.LowestVersion, OffsetCommitRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(OffsetCommitVersions))]
    public void OffsetCommit_EveryVersionServed_RoundTrips(short version)
    {
        var request = new OffsetCommitRequest
        {
            GroupId = "g",
            GenerationIdOrMemberEpoch = 5,
            MemberId = "m",
            GroupInstanceId = version >= 7 ? "instance" : null,
            RetentionTimeMs = version <= 4 ? 1000 : -1,
            Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 1, CommittedOffset = 42, CommittedLeaderEpoch = version >= 6 ? 3 : -1, CommittedMetadata = null }] }],
        };
        var response = new OffsetCommitResponse { Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 1, ErrorCode = 25 }] }] };

        var read = KafkaCodec.RoundTrip(request, version, OffsetCommitRequest.Read);
        KafkaCodec.RoundTrip(response, version, OffsetCommitResponse.Read);

        Assert.Equal((5, "m", 42L), (read.GenerationIdOrMemberEpoch, read.MemberId, read.Topics[0].Partitions[0].CommittedOffset));
        Assert.Null(read.Topics[0].Partitions[0].CommittedMetadata);
    }

    public static TheoryData<short> OffsetFetchVersions() => KafkaCodec.Versions(OffsetFetchRequest.LowestVersion, OffsetFetchRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(OffsetFetchVersions))]
    public void OffsetFetch_EveryVersionServed_RoundTrips(short version)
    {
        var grouped = version >= 8;
        var request = grouped
            ? new OffsetFetchRequest { Groups = [new() { GroupId = "g", MemberId = version >= 9 ? "m" : null, MemberEpoch = version >= 9 ? 4 : -1, Topics = null }] }
            : new OffsetFetchRequest { GroupId = "g", Topics = version >= 2 ? null : [new() { Name = "orders", PartitionIndexes = [0, 1] }] };
        var response = grouped
            ? new OffsetFetchResponse { Groups = [new() { GroupId = "g", Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 9, Metadata = "x" }] }] }] }
            : new OffsetFetchResponse { Topics = [new() { Name = "orders", Partitions = [new() { PartitionIndex = 0, CommittedOffset = 9, Metadata = null }] }], ErrorCode = (short)(version >= 2 ? 16 : 0) };

        var readRequest = KafkaCodec.RoundTrip(request, version, OffsetFetchRequest.Read);
        KafkaCodec.RoundTrip(response, version, OffsetFetchResponse.Read);

        if (grouped)
        {
            Assert.Null(readRequest.Groups.Single().Topics);
        }
        else
        {
            Assert.Equal(version >= 2, readRequest.Topics is null);
        }
    }

    public static TheoryData<short> HeartbeatVersions() => KafkaCodec.Versions(ConsumerGroupHeartbeatRequest.LowestVersion, ConsumerGroupHeartbeatRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(HeartbeatVersions))]
    public void ConsumerGroupHeartbeat_EveryVersionServed_RoundTrips_WithAndWithoutAnAssignment(short version)
    {
        var request = new ConsumerGroupHeartbeatRequest
        {
            GroupId = "g",
            MemberId = "m",
            MemberEpoch = 0,
            RebalanceTimeoutMs = 300_000,
            SubscribedTopicNames = ["orders"],
            SubscribedTopicRegex = null,
            ServerAssignor = "uniform",
            TopicPartitions = [new() { TopicId = _topicId, Partitions = [0, 2] }],
        };
        var assigned = new ConsumerGroupHeartbeatResponse
        {
            MemberId = "m",
            MemberEpoch = 3,
            HeartbeatIntervalMs = 5000,
            Assignment = new() { TopicPartitions = [new() { TopicId = _topicId, Partitions = [0, 2] }] },
        };
        var unchanged = new ConsumerGroupHeartbeatResponse { MemberId = "m", MemberEpoch = 3, HeartbeatIntervalMs = 5000, Assignment = null };

        var readRequest = KafkaCodec.RoundTrip(request, version, ConsumerGroupHeartbeatRequest.Read);
        var readAssigned = KafkaCodec.RoundTrip(assigned, version, ConsumerGroupHeartbeatResponse.Read);
        var readUnchanged = KafkaCodec.RoundTrip(unchanged, version, ConsumerGroupHeartbeatResponse.Read);

        Assert.Equal(["orders"], readRequest.SubscribedTopicNames!);
        Assert.Equal(_topicId, readRequest.TopicPartitions!.Single().TopicId);
        Assert.Equal([0, 2], readAssigned.Assignment!.TopicPartitions.Single().Partitions);
        Assert.Null(readUnchanged.Assignment);
    }

    [Fact]
    public void ANullAssignment_IsOneByteOfMinusOne_AndAPresentOneStartsWithOne()
    {
        var none = KafkaCodec.Encode(w => new ConsumerGroupHeartbeatResponse { Assignment = null }.Write(w, 0));
        var some = KafkaCodec.Encode(w => new ConsumerGroupHeartbeatResponse { Assignment = new() }.Write(w, 0));

        // throttle, error, message (null), member id (null), epoch, interval, then the assignment, then no tags.
        Assert.Equal("00000000" + "0000" + "00" + "00" + "00000000" + "00000000" + "ff" + "00", Convert.ToHexString(none), ignoreCase: true);
        Assert.Equal("00000000" + "0000" + "00" + "00" + "00000000" + "00000000" + "01" + "01" + "00" + "00", Convert.ToHexString(some), ignoreCase: true);
    }

    public static TheoryData<short> JoinGroupVersions() => KafkaCodec.Versions(JoinGroupRequest.LowestVersion, JoinGroupRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(JoinGroupVersions))]
    public void JoinGroup_EveryVersionServed_RoundTrips(short version)
    {
        var request = new JoinGroupRequest
        {
            GroupId = "g",
            SessionTimeoutMs = 6000,
            RebalanceTimeoutMs = version >= 1 ? 30_000 : -1,
            MemberId = "m",
            GroupInstanceId = version >= 5 ? "static" : null,
            ProtocolType = "consumer",
            Protocols = [new() { Name = "cooperative-sticky", Metadata = new byte[] { 0, 3, 1 } }, new() { Name = "range", Metadata = new byte[] { 9 } }],
            Reason = version >= 8 ? "rejoin" : null,
        };
        var response = new JoinGroupResponse
        {
            GenerationId = 4,
            ProtocolType = version >= 7 ? "consumer" : null,
            ProtocolName = "range",
            Leader = "m",
            MemberId = "m",
            Members = [new() { MemberId = "m", GroupInstanceId = version >= 5 ? "static" : null, Metadata = new byte[] { 9 } }],
        };

        var read = KafkaCodec.RoundTrip(request, version, JoinGroupRequest.Read);
        var answered = KafkaCodec.RoundTrip(response, version, JoinGroupResponse.Read);

        Assert.Equal(["cooperative-sticky", "range"], read.Protocols.Select(p => p.Name));
        Assert.Equal([0, 3, 1], read.Protocols[0].Metadata.ToArray());
        Assert.Equal((4, "range", "m"), (answered.GenerationId, answered.ProtocolName, answered.Leader));
        Assert.Equal([9], answered.Members.Single().Metadata.ToArray());
    }

    public static TheoryData<short> SyncGroupVersions() => KafkaCodec.Versions(SyncGroupRequest.LowestVersion, SyncGroupRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(SyncGroupVersions))]
    public void SyncGroup_EveryVersionServed_RoundTrips(short version)
    {
        var request = new SyncGroupRequest
        {
            GroupId = "g",
            GenerationId = 4,
            MemberId = "m",
            ProtocolType = version >= 5 ? "consumer" : null,
            ProtocolName = version >= 5 ? "range" : null,
            Assignments = [new() { MemberId = "m", Assignment = new byte[] { 1, 2 } }, new() { MemberId = "n", Assignment = new byte[] { 3 } }],
        };
        var response = new SyncGroupResponse { ProtocolType = version >= 5 ? "consumer" : null, ProtocolName = version >= 5 ? "range" : null, Assignment = new byte[] { 1, 2 } };

        var read = KafkaCodec.RoundTrip(request, version, SyncGroupRequest.Read);
        var answered = KafkaCodec.RoundTrip(response, version, SyncGroupResponse.Read);

        Assert.Equal(["m", "n"], read.Assignments.Select(a => a.MemberId));
        Assert.Equal([1, 2], answered.Assignment.ToArray());
    }

    public static TheoryData<short> HeartbeatAndLeaveVersions() => KafkaCodec.Versions(0, 5);

    [Theory]
    [MemberData(nameof(HeartbeatAndLeaveVersions))]
    public void HeartbeatAndLeaveGroup_EveryVersionServed_RoundTrip(short version)
    {
        if (version <= HeartbeatRequest.HighestVersion)
        {
            var heartbeat = KafkaCodec.RoundTrip(new HeartbeatRequest { GroupId = "g", GenerationId = 4, MemberId = "m", GroupInstanceId = version >= 3 ? "static" : null }, version, HeartbeatRequest.Read);
            Assert.Equal((4, "m"), (heartbeat.GenerationId, heartbeat.MemberId));
            Assert.Equal(27, KafkaCodec.RoundTrip(new HeartbeatResponse { ErrorCode = 27 }, version, HeartbeatResponse.Read).ErrorCode);
        }
        var batched = version >= 3;
        var leave = batched
            ? new LeaveGroupRequest { GroupId = "g", Members = [new() { MemberId = "m", Reason = version >= 5 ? "bye" : null }, new() { MemberId = "n" }] }
            : new LeaveGroupRequest { GroupId = "g", MemberId = "m" };
        var left = new LeaveGroupResponse { Members = batched ? [new() { MemberId = "m", ErrorCode = 0 }, new() { MemberId = "n", ErrorCode = 25 }] : [] };

        var read = KafkaCodec.RoundTrip(leave, version, LeaveGroupRequest.Read);
        var answered = KafkaCodec.RoundTrip(left, version, LeaveGroupResponse.Read);

        Assert.Equal(batched ? ["m", "n"] : [], read.Members.Select(m => m.MemberId));
        Assert.Equal(batched ? string.Empty : "m", read.MemberId);
        Assert.Equal(batched ? 2 : 0, answered.Members.Count);
    }

    public static TheoryData<short> CreateTopicsVersions() => KafkaCodec.Versions(CreateTopicsRequest.LowestVersion, CreateTopicsRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(CreateTopicsVersions))]
    public void CreateTopics_EveryVersionServed_RoundTrips(short version)
    {
        var request = new CreateTopicsRequest
        {
            Topics = [new() { Name = "orders", NumPartitions = 6, ReplicationFactor = 3, Configs = [new() { Name = "retention.ms", Value = "1000" }, new() { Name = "cleanup.policy", Value = null }] }],
            TimeoutMs = 30_000,
            ValidateOnly = version >= 1,
        };
        var response = new CreateTopicsResponse
        {
            Topics = [new() { Name = "orders", TopicId = version >= 7 ? _topicId : Guid.Empty, ErrorCode = 36, ErrorMessage = version >= 1 ? "exists" : null, NumPartitions = version >= 5 ? 6 : -1, ReplicationFactor = (short)(version >= 5 ? 3 : -1), Configs = [] }],
        };

        var read = KafkaCodec.RoundTrip(request, version, CreateTopicsRequest.Read);
        var answered = KafkaCodec.RoundTrip(response, version, CreateTopicsResponse.Read);

        Assert.Equal((6, (short)3), (read.Topics[0].NumPartitions, read.Topics[0].ReplicationFactor));
        Assert.Null(read.Topics[0].Configs[1].Value);
        Assert.Equal(response.Topics[0].ErrorMessage, answered.Topics[0].ErrorMessage);
    }

    public static TheoryData<short> DeleteTopicsVersions() => KafkaCodec.Versions(DeleteTopicsRequest.LowestVersion, DeleteTopicsRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(DeleteTopicsVersions))]
    public void DeleteTopics_EveryVersionServed_RoundTrips(short version)
    {
        var byId = version >= 6;
        var request = byId
            ? new DeleteTopicsRequest { Topics = [new() { Name = null, TopicId = _topicId }], TimeoutMs = 1000 }
            : new DeleteTopicsRequest { TopicNames = ["orders"], TimeoutMs = 1000 };
        var response = new DeleteTopicsResponse { Responses = [new() { Name = byId ? null : "orders", TopicId = byId ? _topicId : Guid.Empty, ErrorCode = 0 }] };

        var read = KafkaCodec.RoundTrip(request, version, DeleteTopicsRequest.Read);
        KafkaCodec.RoundTrip(response, version, DeleteTopicsResponse.Read);

        Assert.Equal(byId ? _topicId : Guid.Empty, byId ? read.Topics.Single().TopicId : Guid.Empty);
        Assert.Equal(byId ? [] : ["orders"], read.TopicNames);
    }

    public static TheoryData<short> ListGroupsVersions() => KafkaCodec.Versions(ListGroupsRequest.LowestVersion, ListGroupsRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(ListGroupsVersions))]
    public void ListGroups_EveryVersionServed_RoundTrips(short version)
    {
        var request = new ListGroupsRequest { StatesFilter = version >= 4 ? ["Stable"] : [], TypesFilter = version >= 5 ? ["consumer"] : [] };
        var response = new ListGroupsResponse { Groups = [new() { GroupId = "g", ProtocolType = "consumer", GroupState = version >= 4 ? "Stable" : string.Empty, GroupType = version >= 5 ? "consumer" : string.Empty }] };

        KafkaCodec.RoundTrip(request, version, ListGroupsRequest.Read);
        Assert.Equal("g", KafkaCodec.RoundTrip(response, version, ListGroupsResponse.Read).Groups.Single().GroupId);
    }

    public static TheoryData<short> DescribeClusterVersions() => KafkaCodec.Versions(DescribeClusterRequest.LowestVersion, DescribeClusterRequest.HighestVersion);

    [Theory]
    [MemberData(nameof(DescribeClusterVersions))]
    public void DescribeCluster_EveryVersionServed_RoundTrips(short version)
    {
        var request = new DescribeClusterRequest { IncludeClusterAuthorizedOperations = false, EndpointType = 1 };
        var response = new DescribeClusterResponse { ClusterId = "abc", ControllerId = 2, Brokers = [new() { BrokerId = 2, Host = "h", Port = 9093, Rack = null }] };

        KafkaCodec.RoundTrip(request, version, DescribeClusterRequest.Read);
        var read = KafkaCodec.RoundTrip(response, version, DescribeClusterResponse.Read);

        Assert.Equal(("abc", 2, int.MinValue), (read.ClusterId, read.ControllerId, read.ClusterAuthorizedOperations));
    }

    [Fact]
    public void TheClusterId_IsKafkasShape_AndTheSameForTheSameVotersInAnyOrder()
    {
        static string Id(string voters) => new KafkaClusterId(Options.Create(new NodeOptions { Voters = voters })).Value;

        var id = Id("1@127.0.0.1:9091,2@127.0.0.1:9092,3@127.0.0.1:9093");

        Assert.Matches("^[A-Za-z0-9_-]{22}$", id);
        Assert.Equal(id, Id("3@127.0.0.1:9093, 1@127.0.0.1:9091,2@127.0.0.1:9092"));
        Assert.NotEqual(id, Id("1@127.0.0.1:9091,2@127.0.0.1:9092,3@127.0.0.1:9094"));
    }
}
