using Grpc.Core;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>The controller's gRPC face; on a node that is not the controller every call answers NOT_CONTROLLER.</summary>
internal sealed class ControllerEndpoint(ActiveController controller) : ControllerService.ControllerServiceBase
{
    public override Task<NodeHeartbeatResponse> Heartbeat(NodeHeartbeatRequest request, ServerCallContext context) =>
        Guard(async () =>
        {
            await controller.HeartbeatAsync(request, context.CancellationToken);
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
