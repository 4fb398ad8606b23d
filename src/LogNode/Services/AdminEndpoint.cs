using Grpc.Core;
using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Producers;
using LogCluster.LogNode.Replication;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// Metadata and topic administration on any node. Metadata comes from this node's copy of the metadata log;
/// topic changes go to the active controller, and the answer waits until this node has applied them, so a
/// client that created a topic here sees it in the next Metadata from here.
/// </summary>
internal sealed class AdminEndpoint(IMetadataQuorum quorum, NodeIdentity self, ReplicaManager replicas, ControllerClient controller, ProducerIdAllocator producerIds, TopicConfig topicDefaults)
    : AdminService.AdminServiceBase
{
    private static readonly TimeSpan _controllerAttemptTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan _applyTimeout = TimeSpan.FromSeconds(10);

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

    public override async Task<CreateTopicsResponse> CreateTopics(CreateTopicsRequest request, ServerCallContext context)
    {
        // An id per new topic, fixed before the first attempt: the controller client retries when a controller
        // loses leadership mid-write, and the retry of a create that was committed must not fail as a duplicate.
        request = request.Clone();
        foreach (var spec in request.Topics.Where(s => s.TopicId.Length == 0))
        {
            spec.TopicId = Guid.NewGuid().ToString("N");
        }
        var response = await controller.CallAsync(
            (client, options) => client.CreateTopicsAsync(request, options).ResponseAsync,
            r => r.Results.FirstOrDefault()?.ErrorCode ?? ErrorCode.None,
            _controllerAttemptTimeout,
            context.CancellationToken);
        var created = response.Results.Where(r => r.ErrorCode == ErrorCode.None && !request.ValidateOnly).Select(r => r.Name).ToList();
        await WaitUntilAppliedAsync(image => created.All(image.Topics.ContainsKey), context.CancellationToken);
        return response;
    }

    public override async Task<DeleteTopicsResponse> DeleteTopics(DeleteTopicsRequest request, ServerCallContext context)
    {
        var response = await controller.CallAsync(
            (client, options) => client.DeleteTopicsAsync(request, options).ResponseAsync,
            r => r.Results.FirstOrDefault()?.ErrorCode ?? ErrorCode.None,
            _controllerAttemptTimeout,
            context.CancellationToken);
        var deleted = response.Results.Where(r => r.ErrorCode == ErrorCode.None).Select(r => r.Name).ToList();
        await WaitUntilAppliedAsync(image => !deleted.Any(image.Topics.ContainsKey), context.CancellationToken);
        return response;
    }

    /// <summary>Waits (bounded) until this node has taken on an image with the change; the change is committed either way.</summary>
    private async Task WaitUntilAppliedAsync(Func<ClusterImage, bool> done, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_applyTimeout);
        try
        {
            while (true)
            {
                var next = replicas.NextApplied;
                if (done(replicas.Applied))
                {
                    return;
                }
                await next.WaitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Committed but slow to arrive here: the client's next metadata request may still miss it, and retries.
        }
    }

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
