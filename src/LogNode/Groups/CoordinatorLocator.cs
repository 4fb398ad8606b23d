using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Metadata;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// Finds a group's coordinator, on any node: the leader of the group's __consumer_offsets partition. The topic is
/// created (through the controller) the first time any group asks. Shared by the gRPC and Kafka listeners.
/// </summary>
internal sealed class CoordinatorLocator(OffsetsTopic topic, IMetadataQuorum quorum, ControllerClient controller)
{
    private const int MaxGroupIdLength = 255;
    private static readonly TimeSpan _controllerAttemptTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Why a group id is refused, or null when it is valid.</summary>
    public static string? InvalidGroupId(string? groupId) => groupId is null || groupId.Length is 0 or > MaxGroupIdLength
        ? $"group.id must be 1 to {MaxGroupIdLength} characters, got {groupId?.Length ?? 0}"
        : null;

    /// <summary>The coordinator's node, or why there is none now (INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE).</summary>
    public async Task<(ErrorCode Error, string Message, NodeInfo? Coordinator)> LocateAsync(string groupId, CancellationToken cancellationToken)
    {
        if (InvalidGroupId(groupId) is { } invalid)
        {
            return (ErrorCode.InvalidGroupId, invalid, null);
        }
        var image = quorum.Image;
        if (!image.Topics.ContainsKey(OffsetsTopic.Name))
        {
            await CreateOffsetsTopicAsync(image, cancellationToken);
            return (ErrorCode.CoordinatorNotAvailable, $"{OffsetsTopic.Name} is being created", null);
        }
        var partition = image.FindPartition(OffsetsTopic.Name, topic.PartitionFor(groupId));
        if (partition is null || !image.Nodes.TryGetValue(partition.Leader, out var leader) || leader.Fenced)
        {
            return (ErrorCode.CoordinatorNotAvailable, $"{OffsetsTopic.Name}-{topic.PartitionFor(groupId)} has no leader now", null);
        }
        return (ErrorCode.None, string.Empty, leader);
    }

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
}
