using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Metadata;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// Metadata (key 3), versions 0-12, read from this node's copy of the metadata log as the gRPC Metadata is: every
/// live node that has a Kafka listener (at its advertised Kafka address), the active controller, and each topic's
/// id, partitions, leaders, leader epochs, replicas, ISR and offline replicas. Topics are never created on a
/// Metadata request here (auto-creation is not built yet): an unknown one is UNKNOWN_TOPIC_OR_PARTITION.
/// </summary>
internal sealed class MetadataApi(IMetadataQuorum quorum, KafkaClusterId clusterId) : IKafkaApi
{
    public short ApiKey => MetadataRequest.ApiKey;

    public short LowestVersion => MetadataRequest.LowestVersion;

    public short HighestVersion => MetadataRequest.HighestVersion;

    public short FlexibleFrom => MetadataRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var metadata = MetadataRequest.Read(ref reader, request.Version);
        var image = quorum.Image;
        var response = new MetadataResponse
        {
            ClusterId = clusterId.Value,
            ControllerId = quorum.ControllerId ?? -1,
            Brokers = [.. image.LiveNodes.Where(n => n.KafkaHost.Length > 0).OrderBy(n => n.NodeId)
                .Select(n => new MetadataResponse.MetadataResponseBroker { NodeId = n.NodeId, Host = n.KafkaHost, Port = n.KafkaPort })],
        };
        // Version 0 asks for every topic with an empty list; later versions with null.
        var everyTopic = metadata.Topics is null || (request.Version == 0 && metadata.Topics.Count == 0);
        response.Topics = everyTopic
            ? [.. image.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => Describe(image, t))]
            : [.. metadata.Topics!.Select(t => Find(image, t, request.Version))];
        return Task.FromResult<IKafkaMessage?>(response);
    }

    private static MetadataResponse.MetadataResponseTopic Find(ClusterImage image, MetadataRequest.MetadataRequestTopic asked, short version)
    {
        if (asked.Name is { } name)
        {
            return image.Topics.TryGetValue(name, out var topic)
                ? Describe(image, topic)
                : new() { Name = name, ErrorCode = KafkaErrors.UnknownTopicOrPartition };
        }
        var byId = KafkaTopicIds.Find(image, asked.TopicId);
        return byId is not null ? Describe(image, byId) : new() { Name = version >= 12 ? null : string.Empty, TopicId = asked.TopicId, ErrorCode = KafkaErrors.UnknownTopicId };
    }

    private static MetadataResponse.MetadataResponseTopic Describe(ClusterImage image, TopicInfo topic) => new()
    {
        Name = topic.Name,
        TopicId = KafkaTopicIds.Of(topic),
        IsInternal = InternalTopics.IsInternal(topic.Name),
        Partitions = [.. topic.Partitions.Select(p => new MetadataResponse.MetadataResponseTopic.MetadataResponsePartition
        {
            ErrorCode = p.Leader == PartitionInfo.NoLeader ? KafkaErrors.LeaderNotAvailable : KafkaErrors.None,
            PartitionIndex = p.Partition,
            LeaderId = p.Leader,
            LeaderEpoch = p.LeaderEpoch,
            ReplicaNodes = [.. p.Replicas],
            IsrNodes = [.. p.Isr],
            OfflineReplicas = [.. p.Replicas.Where(r => !image.Nodes.TryGetValue(r, out var node) || node.Fenced)],
        })],
    };
}
