using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// LeaveGroup (key 13), versions 0-5: members leave the coordinator's classic groups (<see cref="ClassicGroup"/>),
/// one in versions 0-2, several from 3 with an answer each.
/// </summary>
internal sealed class LeaveGroupApi(GroupCoordinator coordinator) : IKafkaApi
{
    public short ApiKey => LeaveGroupRequest.ApiKey;

    public short LowestVersion => LeaveGroupRequest.LowestVersion;

    public short HighestVersion => LeaveGroupRequest.HighestVersion;

    public short FlexibleFrom => LeaveGroupRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = LeaveGroupRequest.Read(ref reader, request.Version);
        if (CoordinatorLocator.InvalidGroupId(kafka.GroupId) is not null)
        {
            return Task.FromResult<IKafkaMessage?>(new LeaveGroupResponse { ErrorCode = KafkaErrors.InvalidGroupId });
        }
        if (request.Version < 3)
        {
            return Task.FromResult<IKafkaMessage?>(new LeaveGroupResponse { ErrorCode = (short)coordinator.Leave(kafka.GroupId, kafka.MemberId) });
        }
        var members = kafka.Members
            .Select(m => new LeaveGroupResponse.MemberResponse { MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId, ErrorCode = (short)coordinator.Leave(kafka.GroupId, m.MemberId) })
            .ToList();
        // A group-level error (the coordinator moved) is the answer's too, as Kafka gives it.
        var groupError = members.Count > 0 && members.All(m => m.ErrorCode == (short)Protocol.V1.ErrorCode.NotCoordinator) ? members[0].ErrorCode : KafkaErrors.None;
        return Task.FromResult<IKafkaMessage?>(new LeaveGroupResponse { ErrorCode = groupError, Members = members });
    }
}
