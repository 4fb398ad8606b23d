using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// FindCoordinator (key 10), versions 0-4, on the gRPC listener's lookup (<see cref="CoordinatorLocator"/>): the
/// leader of the group's __consumer_offsets partition, at its advertised Kafka address. Transaction coordinators
/// (key type 1) are not built yet: INVALID_REQUEST.
/// </summary>
internal sealed class FindCoordinatorApi(CoordinatorLocator locator) : IKafkaApi
{
    private const sbyte GroupKeyType = 0;

    public short ApiKey => FindCoordinatorRequest.ApiKey;

    public short LowestVersion => FindCoordinatorRequest.LowestVersion;

    public short HighestVersion => FindCoordinatorRequest.HighestVersion;

    public short FlexibleFrom => FindCoordinatorRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = FindCoordinatorRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka, request.Version, cancellationToken);
    }

    private async Task<IKafkaMessage?> RespondAsync(FindCoordinatorRequest kafka, short version, CancellationToken cancellationToken)
    {
        var keys = version >= 4 ? kafka.CoordinatorKeys : [kafka.Key];
        var found = new List<FindCoordinatorResponse.Coordinator>(keys.Count);
        foreach (var key in keys)
        {
            found.Add(await LocateAsync(key, kafka.KeyType, cancellationToken));
        }
        if (version >= 4)
        {
            return new FindCoordinatorResponse { Coordinators = found };
        }
        var single = found[0];
        return new FindCoordinatorResponse { ErrorCode = single.ErrorCode, ErrorMessage = single.ErrorMessage, NodeId = single.NodeId, Host = single.Host, Port = single.Port };
    }

    private async Task<FindCoordinatorResponse.Coordinator> LocateAsync(string key, sbyte keyType, CancellationToken cancellationToken)
    {
        if (keyType != GroupKeyType)
        {
            return Failed(key, KafkaErrors.InvalidRequest, $"key type {keyType} is not served: only groups (0) have coordinators here, transactions are not built yet");
        }
        var (error, message, leader) = await locator.LocateAsync(key, cancellationToken);
        if (leader is null)
        {
            return Failed(key, (short)error, message);
        }
        if (leader.KafkaHost.Length == 0)
        {
            return Failed(key, (short)V1.ErrorCode.CoordinatorNotAvailable, $"node {leader.NodeId} coordinates group '{key}' but has no Kafka listener");
        }
        return new() { Key = key, NodeId = leader.NodeId, Host = leader.KafkaHost, Port = leader.KafkaPort };
    }

    private static FindCoordinatorResponse.Coordinator Failed(string key, short error, string message) =>
        new() { Key = key, NodeId = -1, Host = string.Empty, Port = -1, ErrorCode = error, ErrorMessage = message };
}
