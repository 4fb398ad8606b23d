using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// JoinGroup (key 11), versions 0-9, on the coordinator's classic groups (<see cref="ClassicGroup"/>): the answer
/// waits for the rebalance to complete. Session timeouts from 1 s to 30 min are taken (Kafka's broker defaults
/// to 6 s at least); the rebalance timeout of version 0 is the session timeout. A group instance id (static
/// membership) is accepted but not kept: the member is a dynamic one.
/// </summary>
internal sealed class JoinGroupApi(GroupCoordinator coordinator) : IKafkaApi
{
    private static readonly TimeSpan _minSessionTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan _maxSessionTimeout = TimeSpan.FromMinutes(30);

    public short ApiKey => JoinGroupRequest.ApiKey;

    public short LowestVersion => JoinGroupRequest.LowestVersion;

    public short HighestVersion => JoinGroupRequest.HighestVersion;

    public short FlexibleFrom => JoinGroupRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = JoinGroupRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka, request.Version, request.ClientId ?? "client");
    }

    private async Task<IKafkaMessage?> RespondAsync(JoinGroupRequest kafka, short version, string clientId)
    {
        var session = TimeSpan.FromMilliseconds(kafka.SessionTimeoutMs);
        if (CoordinatorLocator.InvalidGroupId(kafka.GroupId) is not null)
        {
            return Failed(KafkaErrors.InvalidGroupId, kafka.MemberId, version);
        }
        if (session < _minSessionTimeout || session > _maxSessionTimeout)
        {
            return Failed((short)V1.ErrorCode.InvalidSessionTimeout, kafka.MemberId, version);
        }
        var rebalance = kafka.RebalanceTimeoutMs > 0 ? TimeSpan.FromMilliseconds(kafka.RebalanceTimeoutMs) : session;
        var join = new JoinRequest(kafka.MemberId, clientId, session, rebalance, kafka.ProtocolType, [.. kafka.Protocols.Select(p => (p.Name, p.Metadata.ToArray()))]);
        var result = await coordinator.JoinAsync(kafka.GroupId, join, requireKnownMemberId: version >= 4);
        return new JoinGroupResponse
        {
            ErrorCode = (short)result.Error,
            GenerationId = result.Generation,
            ProtocolType = result.ProtocolType,
            ProtocolName = result.ProtocolName ?? (version >= 7 ? null : string.Empty),
            Leader = result.LeaderId,
            MemberId = result.MemberId,
            Members = [.. result.Members.Select(m => new JoinGroupResponse.JoinGroupResponseMember { MemberId = m.MemberId, Metadata = m.Metadata })],
        };
    }

    private static JoinGroupResponse Failed(short error, string memberId, short version) =>
        new() { ErrorCode = error, MemberId = memberId, Leader = string.Empty, ProtocolName = version >= 7 ? null : string.Empty };
}
