using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Replication;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// Topic creation and deletion on any node, for the gRPC and Kafka listeners: the change goes to the active
/// controller, and the answer waits until this node has applied it, so a client that created a topic here sees it
/// in the next Metadata from here. Throws what the controller client throws when no controller takes the change.
/// </summary>
internal sealed class TopicAdmin(ReplicaManager replicas, ControllerClient controller)
{
    private static readonly TimeSpan _controllerAttemptTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan _applyTimeout = TimeSpan.FromSeconds(10);

    public async Task<CreateTopicsResponse> CreateAsync(CreateTopicsRequest request, CancellationToken cancellationToken)
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
            cancellationToken);
        var created = response.Results.Where(r => r.ErrorCode == ErrorCode.None && !request.ValidateOnly).Select(r => r.Name).ToList();
        await WaitUntilAppliedAsync(image => created.All(image.Topics.ContainsKey), cancellationToken);
        return response;
    }

    public async Task<DeleteTopicsResponse> DeleteAsync(DeleteTopicsRequest request, CancellationToken cancellationToken)
    {
        // Internal topics hold every group's commits (and later the transactions' state): never deleted by a client,
        // as Kafka refuses it too.
        var deletable = new DeleteTopicsRequest();
        deletable.Names.Add(request.Names.Where(n => !InternalTopics.IsInternal(n)));
        var results = new Dictionary<string, TopicResult>(StringComparer.Ordinal);
        if (deletable.Names.Count > 0)
        {
            var response = await controller.CallAsync(
                (client, options) => client.DeleteTopicsAsync(deletable, options).ResponseAsync,
                r => r.Results.FirstOrDefault()?.ErrorCode ?? ErrorCode.None,
                _controllerAttemptTimeout,
                cancellationToken);
            foreach (var result in response.Results)
            {
                results[result.Name] = result;
            }
            var deleted = response.Results.Where(r => r.ErrorCode == ErrorCode.None).Select(r => r.Name).ToList();
            await WaitUntilAppliedAsync(image => !deleted.Any(image.Topics.ContainsKey), cancellationToken);
        }
        var answer = new DeleteTopicsResponse();
        answer.Results.Add(request.Names.Select(name => InternalTopics.IsInternal(name)
            ? new TopicResult { Name = name, ErrorCode = ErrorCode.InvalidRequest, ErrorMessage = $"{name} is an internal topic: it cannot be deleted" }
            : results.GetValueOrDefault(name) ?? new TopicResult { Name = name, ErrorCode = ErrorCode.UnknownTopicOrPartition, ErrorMessage = $"topic '{name}' was not answered for" }));
        return answer;
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
}
