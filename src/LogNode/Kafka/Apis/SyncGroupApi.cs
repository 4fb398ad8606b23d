using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// SyncGroup (key 14), versions 0-5, on the coordinator's classic groups (<see cref="ClassicGroup"/>): the leader's
/// assignments are relayed as the assignor wrote them; a member's answer waits for the leader's.
/// </summary>
internal sealed class SyncGroupApi(GroupCoordinator coordinator) : IKafkaApi
{
    public short ApiKey => SyncGroupRequest.ApiKey;

    public short LowestVersion => SyncGroupRequest.LowestVersion;

    public short HighestVersion => SyncGroupRequest.HighestVersion;

    public short FlexibleFrom => SyncGroupRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = SyncGroupRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka);
    }

    private async Task<IKafkaMessage?> RespondAsync(SyncGroupRequest kafka)
    {
        if (CoordinatorLocator.InvalidGroupId(kafka.GroupId) is not null)
        {
            return new SyncGroupResponse { ErrorCode = KafkaErrors.InvalidGroupId };
        }
        var result = await coordinator.SyncAsync(kafka.GroupId, kafka.MemberId, kafka.GenerationId, [.. kafka.Assignments.Select(a => (a.MemberId, a.Assignment.ToArray()))]);
        return new SyncGroupResponse { ErrorCode = (short)result.Error, ProtocolType = result.ProtocolType, ProtocolName = result.ProtocolName, Assignment = result.Assignment };
    }
}
