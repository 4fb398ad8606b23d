using System.Diagnostics.CodeAnalysis;
using LogCluster.LogNode.Kafka.Apis;
using LogCluster.LogNode.Kafka.Wire.Messages;

namespace LogCluster.LogNode.Kafka;

/// <summary>The Kafka APIs this node serves, by key, and the ApiVersions answer that lists them.</summary>
internal sealed class ServedKafkaApis
{
    private readonly Dictionary<short, IKafkaApi> _byKey;

    public ServedKafkaApis(IEnumerable<IKafkaApi> apis)
    {
        _byKey = apis.Append(new ApiVersionsApi(this)).ToDictionary(a => a.ApiKey);
    }

    public bool TryGet(short apiKey, [NotNullWhen(true)] out IKafkaApi? api) => _byKey.TryGetValue(apiKey, out api);

    /// <summary>Every API served with its versions, and <paramref name="errorCode"/>.</summary>
    public ApiVersionsResponse Versions(short errorCode) => new()
    {
        ErrorCode = errorCode,
        ApiKeys = [.. _byKey.Values.OrderBy(a => a.ApiKey).Select(a => new ApiVersionsResponse.ApiVersion { ApiKey = a.ApiKey, MinVersion = a.LowestVersion, MaxVersion = a.HighestVersion })],
    };
}
