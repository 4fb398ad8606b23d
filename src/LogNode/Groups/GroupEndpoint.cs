using Grpc.Core;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// The group protocol over gRPC. FindCoordinator works on any node (<see cref="CoordinatorLocator"/>); the other
/// calls go to the <see cref="GroupCoordinator"/>, which answers NOT_COORDINATOR for groups it does not coordinate.
/// </summary>
internal sealed class GroupEndpoint(GroupCoordinator coordinator, CoordinatorLocator locator, NodeIdentity self) : GroupService.GroupServiceBase
{
    public override async Task<FindCoordinatorResponse> FindCoordinator(FindCoordinatorRequest request, ServerCallContext context)
    {
        var (error, message, leader) = await locator.LocateAsync(request.GroupId, context.CancellationToken);
        if (leader is null)
        {
            return new FindCoordinatorResponse { ErrorCode = error, ErrorMessage = message };
        }
        var (host, port) = leader.AddressFor(self.IsExternal(context));
        return new FindCoordinatorResponse { NodeId = leader.NodeId, Host = host, Port = port };
    }

    public override Task<ConsumerGroupHeartbeatResponse> ConsumerGroupHeartbeat(ConsumerGroupHeartbeatRequest request, ServerCallContext context) =>
        Task.FromResult(CoordinatorLocator.InvalidGroupId(request.GroupId) is { } invalid
            ? new ConsumerGroupHeartbeatResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid }
            : coordinator.Heartbeat(request));

    public override Task<OffsetCommitResponse> OffsetCommit(OffsetCommitRequest request, ServerCallContext context) =>
        CoordinatorLocator.InvalidGroupId(request.GroupId) is { } invalid
            ? Task.FromResult(new OffsetCommitResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid })
            : coordinator.CommitAsync(request);

    public override Task<OffsetFetchResponse> OffsetFetch(OffsetFetchRequest request, ServerCallContext context) =>
        CoordinatorLocator.InvalidGroupId(request.GroupId) is { } invalid
            ? Task.FromResult(new OffsetFetchResponse { ErrorCode = ErrorCode.InvalidGroupId, ErrorMessage = invalid })
            : coordinator.FetchAsync(request);
}
