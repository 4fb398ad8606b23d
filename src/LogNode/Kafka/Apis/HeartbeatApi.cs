using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>Heartbeat (key 12), versions 0-4, for members of the coordinator's classic groups (<see cref="ClassicGroup"/>).</summary>
internal sealed class HeartbeatApi(GroupCoordinator coordinator) : IKafkaApi
{
    public short ApiKey => HeartbeatRequest.ApiKey;

    public short LowestVersion => HeartbeatRequest.LowestVersion;

    public short HighestVersion => HeartbeatRequest.HighestVersion;

    public short FlexibleFrom => HeartbeatRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = HeartbeatRequest.Read(ref reader, request.Version);
        var error = CoordinatorLocator.InvalidGroupId(kafka.GroupId) is not null
            ? KafkaErrors.InvalidGroupId
            : (short)coordinator.ClassicHeartbeat(kafka.GroupId, kafka.MemberId, kafka.GenerationId);
        return Task.FromResult<IKafkaMessage?>(new HeartbeatResponse { ErrorCode = error });
    }
}
