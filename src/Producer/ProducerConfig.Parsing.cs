using LogCluster.Client.Configuration;
using LogCluster.Protocol.Compression;
using static LogCluster.Client.Configuration.ConfigValues;

namespace LogCluster.Producer;

// Reading and writing the config as Kafka's keys (docs/configuration.md, "Producer").
public sealed partial record ProducerConfig
{
    private const string BootstrapServersKey = "bootstrap.servers";

    private static readonly EnumSpellings<Acks> _acks = new(
        ("all", Acks.All), ("-1", Acks.All), ("1", Acks.Leader), ("0", Acks.None));

    private static readonly EnumSpellings<CompressionType> _compressionTypes = new(
        ("none", CompressionType.None), ("gzip", CompressionType.Gzip), ("snappy", CompressionType.Snappy),
        ("lz4", CompressionType.Lz4), ("zstd", CompressionType.Zstd));

    private static readonly EnumSpellings<PartitionerKind> _partitioners = new(
        ("murmur2_random", PartitionerKind.Murmur2Random), ("murmur2", PartitionerKind.Murmur2),
        ("uniform_sticky", PartitionerKind.UniformSticky));

    // The one list of keys and their ranges; Validate checks typed values against it too.
    private static readonly ConfigKeys<ProducerConfig> _keys = new(
        "producer",
        new(BootstrapServersKey, (c, k, v) => c with { BootstrapServers = CheckServers(k, v) },
            c => c.BootstrapServers),
        new("client.id", (c, _, v) => c with { ClientId = v },
            c => c.ClientId),
        new("acks", (c, k, v) => c with { Acks = _acks.Parse(k, v) },
            c => _acks.Format(c.Acks)),
        new("linger.ms", (c, k, v) => c with { Linger = ParseMilliseconds(k, v, min: 0) },
            c => FormatMilliseconds(c.Linger)),
        new("batch.size", (c, k, v) => c with { BatchSize = ParseInt32(k, v, min: 0) },
            c => Format(c.BatchSize)),
        new("buffer.memory", (c, k, v) => c with { BufferMemory = ParseInt64(k, v, min: 1) },
            c => Format(c.BufferMemory)),
        new("max.block.ms", (c, k, v) => c with { MaxBlock = ParseMilliseconds(k, v, min: 0) },
            c => FormatMilliseconds(c.MaxBlock)),
        new("delivery.timeout.ms", (c, k, v) => c with { DeliveryTimeout = ParseMilliseconds(k, v, min: 0) },
            c => FormatMilliseconds(c.DeliveryTimeout)),
        new("request.timeout.ms", (c, k, v) => c with { RequestTimeout = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.RequestTimeout)),
        new("retries", (c, k, v) => c with { Retries = ParseInt32(k, v, min: 0) },
            c => Format(c.Retries)),
        new("retry.backoff.ms", (c, k, v) => c with { RetryBackoff = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.RetryBackoff)),
        new("retry.backoff.max.ms", (c, k, v) => c with { RetryBackoffMax = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.RetryBackoffMax)),
        new("max.in.flight.requests.per.connection",
            (c, k, v) => c with { MaxInFlightRequestsPerConnection = ParseInt32(k, v, min: 1) },
            c => Format(c.MaxInFlightRequestsPerConnection)),
        new("enable.idempotence", (c, k, v) => c with { EnableIdempotence = ParseBoolean(k, v) },
            c => c.EnableIdempotence is { } enabled ? Format(enabled) : null),
        new("compression.type", (c, k, v) => c with { CompressionType = _compressionTypes.Parse(k, v) },
            c => _compressionTypes.Format(c.CompressionType)),
        new("max.request.size", (c, k, v) => c with { MaxRequestSize = ParseInt32(k, v, min: 1024) },
            c => Format(c.MaxRequestSize)),
        new("metadata.max.age.ms", (c, k, v) => c with { MetadataMaxAge = ParseMilliseconds(k, v, min: 0) },
            c => FormatMilliseconds(c.MetadataMaxAge)),
        new("partitioner", (c, k, v) => c with { Partitioner = _partitioners.Parse(k, v) },
            c => _partitioners.Format(c.Partitioner)));

    /// <summary>
    /// A config from Kafka's keys, e.g. loaded from a properties file: unset keys keep their defaults, values are
    /// trimmed, and an unknown or repeated key or a bad value is an <see cref="ArgumentException"/> naming the key.
    /// Cross-key rules are left to <see cref="Validate"/>.
    /// </summary>
    public static ProducerConfig FromProperties(IEnumerable<KeyValuePair<string, string>> properties) =>
        _keys.Apply(new ProducerConfig(), properties);

    /// <summary>
    /// A config from a connection URI, <c>logcluster://host1:7070,host2:7070?acks=all&amp;linger.ms=5</c>: the hosts
    /// are <c>bootstrap.servers</c>, the query holds any other keys (percent-encoded where needed).
    /// </summary>
    public static ProducerConfig FromUri(string uri)
    {
        var parsed = ConnectionUri.Parse(uri);
        if (parsed.Options.Any(o => string.Equals(o.Key, BootstrapServersKey, StringComparison.Ordinal)))
        {
            throw new ArgumentException(
                $"connection URI must not set {BootstrapServersKey} in its query: " +
                "the hosts before '?' are the bootstrap servers");
        }
        var servers = new KeyValuePair<string, string>(BootstrapServersKey, parsed.BootstrapServers);
        return _keys.Apply(new ProducerConfig(), parsed.Options.Prepend(servers));
    }

    /// <summary>
    /// Every key with its effective value (durations in whole milliseconds), for logging a config or storing it;
    /// <see cref="FromProperties"/> of the result equals this config when it is valid. enable.idempotence is listed
    /// only when set, because leaving it unset has a meaning of its own.
    /// </summary>
    public IReadOnlyDictionary<string, string> ToProperties() => _keys.ToProperties(this);

    private static string CheckServers(string key, string servers)
    {
        HostPort.ParseList(key, servers);
        return servers;
    }
}
