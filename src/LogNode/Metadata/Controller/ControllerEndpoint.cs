using Grpc.Core;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>The controller's gRPC face; on a node that is not the controller every call answers NOT_CONTROLLER.</summary>
internal sealed class ControllerEndpoint(ActiveController controller, IHostApplicationLifetime lifetime) : ControllerService.ControllerServiceBase
{
    /// <summary>
    /// Answers each heartbeat of the stream in order. A reset of the stream (the node cancelled it, or its connection
    /// closed because its process died) is reported to the controller; the end of the stream by the node (it moves
    /// to another controller) is not. This node's own stop ends every stream from its side, and is no node's fault.
    /// </summary>
    public override async Task Heartbeats(IAsyncStreamReader<NodeHeartbeatRequest> requestStream, IServerStreamWriter<NodeHeartbeatResponse> responseStream, ServerCallContext context)
    {
        var stopping = lifetime.ApplicationStopping;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        var stream = controller.NewHeartbeatStream();
        int? nodeId = null;
        try
        {
            while (await requestStream.MoveNext(call.Token))
            {
                nodeId = requestStream.Current.NodeId;
                var response = await Guard(async () =>
                {
                    await controller.HeartbeatAsync(requestStream.Current, stream, call.Token);
                    return new NodeHeartbeatResponse();
                }, (code, message) => new NodeHeartbeatResponse { ErrorCode = code, ErrorMessage = message });
                await responseStream.WriteAsync(response, call.Token);
                if (response.ErrorCode == ErrorCode.NotController)
                {
                    return;
                }
            }
        }
        catch (Exception) when (call.IsCancellationRequested)
        {
            // The node reset the stream or its connection is gone, an ordinary event and not a failure of this call;
            // or this node stops, which ends the stream and sends the node to the next controller.
            if (!stopping.IsCancellationRequested && nodeId is { } id)
            {
                controller.HeartbeatStreamReset(id, stream);
            }
        }
    }

    public override Task<NodeHeartbeatResponse> Heartbeat(NodeHeartbeatRequest request, ServerCallContext context) =>
        Guard(async () =>
        {
            await controller.HeartbeatAsync(request, stream: null, context.CancellationToken);
            return new NodeHeartbeatResponse();
        }, (code, message) => new NodeHeartbeatResponse { ErrorCode = code, ErrorMessage = message });

    public override Task<AlterPartitionResponse> AlterPartition(AlterPartitionRequest request, ServerCallContext context) =>
        Guard(() => controller.AlterPartitionAsync(request, context.CancellationToken), (code, message) => new AlterPartitionResponse { ErrorCode = code, ErrorMessage = message });

    public override Task<CreateTopicsResponse> CreateTopics(CreateTopicsRequest request, ServerCallContext context) =>
        Guard(() => controller.CreateTopicsAsync(request, context.CancellationToken), (code, message) => Each(request.Topics.Select(t => t.Name), code, message, r => new CreateTopicsResponse { Results = { r } }));

    public override Task<DeleteTopicsResponse> DeleteTopics(DeleteTopicsRequest request, ServerCallContext context) =>
        Guard(() => controller.DeleteTopicsAsync(request, context.CancellationToken), (code, message) => Each(request.Names, code, message, r => new DeleteTopicsResponse { Results = { r } }));

    public override Task<AllocateProducerIdsResponse> AllocateProducerIds(AllocateProducerIdsRequest request, ServerCallContext context) =>
        Guard(() => controller.AllocateProducerIdsAsync(request, context.CancellationToken), (code, message) => new AllocateProducerIdsResponse { ErrorCode = code, ErrorMessage = message });

    private static async Task<T> Guard<T>(Func<Task<T>> call, Func<ErrorCode, string, T> failed)
    {
        try
        {
            return await call();
        }
        catch (NotControllerException e)
        {
            return failed(ErrorCode.NotController, e.Message);
        }
    }

    private static T Each<T>(IEnumerable<string> names, ErrorCode code, string message, Func<IEnumerable<TopicResult>, T> response) =>
        response(names.Select(n => new TopicResult { Name = n, ErrorCode = code, ErrorMessage = message }));
}
