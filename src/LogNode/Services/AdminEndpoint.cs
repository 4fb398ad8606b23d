using Grpc.Core;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Producers;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// Metadata and topic administration on any node. Metadata comes from this node's copy of the metadata log;
/// topic changes go through <see cref="TopicAdmin"/>.
/// </summary>
internal sealed class AdminEndpoint(IMetadataQuorum quorum, NodeIdentity self, TopicAdmin topics, ProducerIdAllocator producerIds, TopicConfig topicDefaults)
    : AdminService.AdminServiceBase
{
    public override Task<MetadataResponse> Metadata(MetadataRequest request, ServerCallContext context)
    {
        var image = quorum.Image;
        var response = new MetadataResponse { ControllerId = quorum.ControllerId ?? -1 };
        var external = self.IsExternal(context);
        foreach (var node in image.LiveNodes.OrderBy(n => n.NodeId))
        {
            var (host, port) = node.AddressFor(external);
            response.Nodes.Add(new NodeEndpoint { NodeId = node.NodeId, Host = host, Port = port });
        }
        var names = request.Topics.Count > 0 ? request.Topics : (IEnumerable<string>)image.Topics.Keys.Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            response.Topics.Add(Describe(image, name));
        }
        return Task.FromResult(response);
    }

    private static TopicMetadata Describe(ClusterImage image, string name)
    {
        var topic = new TopicMetadata { Name = name };
        if (!image.Topics.TryGetValue(name, out var info))
        {
            topic.ErrorCode = ErrorCode.UnknownTopicOrPartition;
            return topic;
        }
        foreach (var partition in info.Partitions)
        {
            var metadata = new PartitionMetadata
            {
                Partition = partition.Partition,
                LeaderId = partition.Leader,
                LeaderEpoch = partition.LeaderEpoch,
                ErrorCode = partition.Leader == PartitionInfo.NoLeader ? ErrorCode.LeaderNotAvailable : ErrorCode.None,
            };
            metadata.ReplicaIds.Add(partition.Replicas);
            metadata.IsrIds.Add(partition.Isr);
            topic.Partitions.Add(metadata);
        }
        return topic;
    }

    public override Task<CreateTopicsResponse> CreateTopics(CreateTopicsRequest request, ServerCallContext context) =>
        topics.CreateAsync(request, context.CancellationToken);

    public override Task<DeleteTopicsResponse> DeleteTopics(DeleteTopicsRequest request, ServerCallContext context) =>
        topics.DeleteAsync(request, context.CancellationToken);

    public override async Task<InitProducerIdResponse> InitProducerId(InitProducerIdRequest request, ServerCallContext context)
    {
        if ((request.ProducerId < 0) != (request.ProducerEpoch < 0) || request.ProducerEpoch > short.MaxValue)
        {
            return new InitProducerIdResponse
            {
                ErrorCode = ErrorCode.InvalidRequest,
                ErrorMessage = $"producer_id and producer_epoch must both be -1 (new producer) or both be current values, got {request.ProducerId}/{request.ProducerEpoch}",
                ProducerId = -1,
                ProducerEpoch = -1,
            };
        }
        var (id, epoch) = request.ProducerId < 0
            ? await producerIds.NewProducerAsync(context.CancellationToken)
            : await producerIds.BumpAsync(request.ProducerId, (short)request.ProducerEpoch, context.CancellationToken);
        return new InitProducerIdResponse { ErrorCode = ErrorCode.None, ProducerId = id, ProducerEpoch = epoch };
    }

    public override Task<ListTopicsResponse> ListTopics(ListTopicsRequest request, ServerCallContext context)
    {
        var response = new ListTopicsResponse();
        foreach (var topic in quorum.Image.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var spec = new TopicSpec { Name = topic.Name, Partitions = topic.Partitions.Length, ReplicationFactor = topic.Partitions[0].Replicas.Length };
            spec.Configs.Add(new Dictionary<string, string>(topicDefaults.With(topic.Configs).ToDictionary()));
            response.Topics.Add(spec);
        }
        return Task.FromResult(response);
    }
}
