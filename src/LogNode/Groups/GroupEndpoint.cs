using Grpc.Core;
using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Metadata;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// The group protocol over gRPC. FindCoordinator works on any node: it names the leader of the group's
/// __consumer_offsets partition, and creates the topic (through the controller) the first time any group asks.
/// </summary>
internal sealed class GroupEndpoint(GroupCoordinator coordinator, OffsetsTopic topic, IMetadataQuorum quorum, ControllerClient controller, NodeIdentity self) : GroupService.GroupServiceBase
{
    private const int MaxGroupIdLength = 255;
    private static readonly TimeSpan _controllerAttemptTimeout = TimeSpan.FromSeconds(5);

    public override async Task<FindCoordinatorResponse> FindCoordinator(FindCoordinatorRequest request, ServerCallContext context)
    {
        if (InvalidGroupId(request.GroupId) is { } invalid)
        {
            return new FindCoordinatorResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid };
        }
        var image = quorum.Image;
        if (!image.Topics.ContainsKey(OffsetsTopic.Name))
        {
            await CreateOffsetsTopicAsync(image, context.CancellationToken);
            return Unavailable($"{OffsetsTopic.Name} is being created");
        }
        var partition = image.FindPartition(OffsetsTopic.Name, topic.PartitionFor(request.GroupId));
        if (partition is null || !image.Nodes.TryGetValue(partition.Leader, out var leader) || leader.Fenced)
        {
            return Unavailable($"{OffsetsTopic.Name}-{topic.PartitionFor(request.GroupId)} has no leader now");
        }
        var (host, port) = leader.AddressFor(self.IsExternal(context));
        return new FindCoordinatorResponse { NodeId = leader.NodeId, Host = host, Port = port };
    }

    public override Task<ConsumerGroupHeartbeatResponse> ConsumerGroupHeartbeat(ConsumerGroupHeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(InvalidGroupId(request.GroupId) is { } invalid
            ? new ConsumerGroupHeartbeatResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid }
            : coordinator.Heartbeat(request));

    public override Task<OffsetCommitResponse> OffsetCommit(OffsetCommitRequest request, ServerCallContext context) =>
        InvalidGroupId(request.GroupId) is { } invalid
            ? Task.FromResult(new OffsetCommitResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid })
            : coordinator.CommitAsync(request);

    public override Task<OffsetFetchResponse> OffsetFetch(OffsetFetchRequest request, ServerCallContext context) =>
        InvalidGroupId(request.GroupId) is { } invalid
            ? Task.FromResult(new OffsetFetchResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid })
            : coordinator.FetchAsync(request);

    private async Task CreateOffsetsTopicAsync(ClusterImage image, CancellationToken cancellationToken)
    {
        var spec = new TopicSpec
        {
            Name = OffsetsTopic.Name,
            Partitions = topic.Partitions,
            ReplicationFactor = Math.Max(1, Math.Min(topic.ReplicationFactor, image.LiveNodes.Count())),
        };
        // Whoever asks first creates it; TOPIC_ALREADY_EXISTS from a race is as good.
        await controller.CallAsync(
            (client, options) => client.CreateTopicsAsync(new CreateTopicsRequest { Topics = { spec } }, options).ResponseAsync,
            r => r.Results.FirstOrDefault()?.ErrorCode ?? ErrorCode.None,
            _controllerAttemptTimeout,
            cancellationToken);
    }

    private static FindCoordinatorResponse Unavailable(string why) => new() { ErrorCode = ErrorCode.CoordinatorNotAvailable, ErrorMessage = why };

    private static string? InvalidGroupId(string groupId) => groupId.Length is 0 or > MaxGroupIdLength
        ? $"group.id must be 1 to {MaxGroupIdLength} characters, got {groupId.Length}"
        : null;
}
