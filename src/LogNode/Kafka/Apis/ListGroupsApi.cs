using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// ListGroups (key 16), versions 0-5: the groups this node coordinates (<see cref="GroupCoordinator.ListGroups"/>);
/// admin clients ask every node. A group's type is "classic" or "consumer" (KIP-848) and its state Kafka's name for
/// it; a group with only committed offsets is an empty classic group, as Kafka lists it. The state and type filters
/// apply (case-insensitive, as Kafka's).
/// </summary>
internal sealed class ListGroupsApi(GroupCoordinator coordinator) : IKafkaApi
{
    public short ApiKey => ListGroupsRequest.ApiKey;

    public short LowestVersion => ListGroupsRequest.LowestVersion;

    public short HighestVersion => ListGroupsRequest.HighestVersion;

    public short FlexibleFrom => ListGroupsRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = ListGroupsRequest.Read(ref reader, request.Version);
        var groups = coordinator.ListGroups()
            .Select(g => new ListGroupsResponse.ListedGroup { GroupId = g.GroupId, ProtocolType = g.ProtocolType, GroupState = g.State, GroupType = g.Type })
            .Where(g => kafka.StatesFilter.Count == 0 || kafka.StatesFilter.Contains(g.GroupState, StringComparer.OrdinalIgnoreCase))
            .Where(g => kafka.TypesFilter.Count == 0 || kafka.TypesFilter.Contains(g.GroupType, StringComparer.OrdinalIgnoreCase))
            .OrderBy(g => g.GroupId, StringComparer.Ordinal);
        return Task.FromResult<IKafkaMessage?>(new ListGroupsResponse { Groups = [.. groups] });
    }
}
