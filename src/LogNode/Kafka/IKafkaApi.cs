using LogCluster.LogNode.Kafka.Wire;

namespace LogCluster.LogNode.Kafka;

/// <summary>One Kafka API this node serves: the versions it takes, and the handling of one request.</summary>
internal interface IKafkaApi
{
    short ApiKey { get; }

    short LowestVersion { get; }

    short HighestVersion { get; }

    /// <summary>The first flexible version: it decides the request and response header versions.</summary>
    short FlexibleFrom { get; }

    /// <summary>
    /// Decodes the body (synchronously, before the first await: a malformed body throws here) and answers it; null
    /// when the request gets no response (a produce with acks=0).
    /// </summary>
    Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken);
}

/// <summary>A request as the connection hands it to its API: the header and the body, a slice of the received frame.</summary>
internal sealed record KafkaRequest(short ApiKey, short Version, int CorrelationId, string? ClientId, ReadOnlyMemory<byte> Body)
{
    public KafkaReader BodyReader() => new(Body);
}
