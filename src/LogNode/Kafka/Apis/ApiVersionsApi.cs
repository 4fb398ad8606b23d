using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>ApiVersions (key 18), versions 0-4: the APIs and versions this node serves (KIP-511 for v3 and up).</summary>
internal sealed class ApiVersionsApi(ServedKafkaApis served) : IKafkaApi
{
    public short ApiKey => ApiVersionsRequest.ApiKey;

    public short LowestVersion => ApiVersionsRequest.LowestVersion;

    public short HighestVersion => ApiVersionsRequest.HighestVersion;

    public short FlexibleFrom => ApiVersionsRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        ApiVersionsRequest.Read(ref reader, request.Version);
        return Task.FromResult<IKafkaMessage?>(served.Versions(KafkaErrors.None));
    }
}
