using Grpc.Core;
using LogCluster.LogNode.Producers;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>Metadata and topic administration. A single node is the controller and the leader of everything.</summary>
internal sealed class AdminEndpoint(LogManager logs, NodeIdentity self, ProducerIdAllocator producerIds) : AdminService.AdminServiceBase
{
    public override Task<MetadataResponse> Metadata(MetadataRequest request, ServerCallContext context)
    {
        var (host, port) = self.Address;
        var response = new MetadataResponse { ControllerId = self.NodeId };
        response.Nodes.Add(new NodeEndpoint { NodeId = self.NodeId, Host = host, Port = port });
        var names = request.Topics.Count > 0 ? request.Topics : (IEnumerable<string>)logs.Topics.Select(t => t.Name).Order();
        foreach (var name in names)
        {
            response.Topics.Add(Describe(name));
        }
        return Task.FromResult(response);
    }

    private TopicMetadata Describe(string name)
    {
        var topic = new TopicMetadata { Name = name };
        if (logs.FindTopic(name) is not { } state)
        {
            topic.ErrorCode = ErrorCode.UnknownTopicOrPartition;
            return topic;
        }
        foreach (var partition in state.Partitions)
        {
            var metadata = new PartitionMetadata { Partition = partition.Id.Partition, LeaderId = self.NodeId, LeaderEpoch = partition.LeaderEpoch };
            metadata.ReplicaIds.Add(self.NodeId);
            metadata.IsrIds.Add(self.NodeId);
            topic.Partitions.Add(metadata);
        }
        return topic;
    }

    public override Task<CreateTopicsResponse> CreateTopics(CreateTopicsRequest request, ServerCallContext context)
    {
        var response = new CreateTopicsResponse();
        foreach (var spec in request.Topics)
        {
            var (error, message) = logs.CreateTopic(spec, request.ValidateOnly);
            response.Results.Add(new TopicResult { Name = spec.Name, ErrorCode = error, ErrorMessage = message });
        }
        return Task.FromResult(response);
    }

    public override Task<DeleteTopicsResponse> DeleteTopics(DeleteTopicsRequest request, ServerCallContext context)
    {
        var response = new DeleteTopicsResponse();
        foreach (var name in request.Names)
        {
            var (error, message) = logs.DeleteTopic(name);
            response.Results.Add(new TopicResult { Name = name, ErrorCode = error, ErrorMessage = message });
        }
        return Task.FromResult(response);
    }

    public override Task<InitProducerIdResponse> InitProducerId(InitProducerIdRequest request, ServerCallContext context)
    {
        if ((request.ProducerId < 0) != (request.ProducerEpoch < 0) || request.ProducerEpoch > short.MaxValue)
        {
            return Task.FromResult(new InitProducerIdResponse
            {
                ErrorCode = ErrorCode.InvalidRequest,
                ErrorMessage = $"producer_id and producer_epoch must both be -1 (new producer) or both be current values, got {request.ProducerId}/{request.ProducerEpoch}",
                ProducerId = -1,
                ProducerEpoch = -1,
            });
        }
        var (id, epoch) = request.ProducerId < 0 ? producerIds.NewProducer() : producerIds.Bump(request.ProducerId, (short)request.ProducerEpoch);
        return Task.FromResult(new InitProducerIdResponse { ErrorCode = ErrorCode.None, ProducerId = id, ProducerEpoch = epoch });
    }

    public override Task<ListTopicsResponse> ListTopics(ListTopicsRequest request, ServerCallContext context)
    {
        var response = new ListTopicsResponse();
        foreach (var topic in logs.Topics.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var spec = new TopicSpec { Name = topic.Name, Partitions = topic.Partitions.Length, ReplicationFactor = topic.ReplicationFactor };
            spec.Configs.Add(new Dictionary<string, string>(topic.Config.ToDictionary()));
            response.Topics.Add(spec);
        }
        return Task.FromResult(response);
    }
}
