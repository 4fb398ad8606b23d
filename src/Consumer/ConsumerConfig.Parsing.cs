using LogCluster.Client.Configuration;
using static LogCluster.Client.Configuration.ConfigValues;

namespace LogCluster.Consumer;

// Reading and writing the config as Kafka's keys (docs/consumer.md).
public sealed partial record ConsumerConfig
{
    private const string BootstrapServersKey = "bootstrap.servers";

    private static readonly EnumSpellings<AutoOffsetReset> _offsetResets = new(
        ("earliest", AutoOffsetReset.Earliest), ("latest", AutoOffsetReset.Latest), ("none", AutoOffsetReset.None));

    private static readonly EnumSpellings<PartitionAssignor> _assignors = new(("uniform", PartitionAssignor.Uniform), ("range", PartitionAssignor.Range));

    // The one list of keys and their ranges; Validate checks typed values against it too.
    private static readonly ConfigKeys<ConsumerConfig> _keys = new(
        "consumer",
        new(BootstrapServersKey, (c, k, v) => c with { BootstrapServers = CheckServers(k, v) },
            c => c.BootstrapServers),
        new("client.id", (c, _, v) => c with { ClientId = v },
            c => c.ClientId),
        new("group.id", (c, k, v) => c with { GroupId = CheckGroupId(k, v) },
            c => c.GroupId),
        new("enable.auto.commit", (c, k, v) => c with { EnableAutoCommit = ParseBoolean(k, v) },
            c => Format(c.EnableAutoCommit)),
        new("auto.commit.interval.ms", (c, k, v) => c with { AutoCommitInterval = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.AutoCommitInterval)),
        new("session.timeout.ms", (c, k, v) => c with { SessionTimeout = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.SessionTimeout)),
        new("heartbeat.interval.ms", (c, k, v) => c with { HeartbeatInterval = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.HeartbeatInterval)),
        new("group.remote.assignor", (c, k, v) => c with { GroupRemoteAssignor = _assignors.Parse(k, v) },
            c => _assignors.Format(c.GroupRemoteAssignor)),
        new("auto.offset.reset", (c, k, v) => c with { AutoOffsetReset = _offsetResets.Parse(k, v) },
            c => _offsetResets.Format(c.AutoOffsetReset)),
        new("fetch.min.bytes", (c, k, v) => c with { FetchMinBytes = ParseInt32(k, v, min: 0) },
            c => Format(c.FetchMinBytes)),
        new("fetch.max.wait.ms", (c, k, v) => c with { FetchMaxWait = ParseMilliseconds(k, v, min: 0) },
            c => FormatMilliseconds(c.FetchMaxWait)),
        new("fetch.max.bytes", (c, k, v) => c with { FetchMaxBytes = ParseInt32(k, v, min: 1024) },
            c => Format(c.FetchMaxBytes)),
        new("max.partition.fetch.bytes", (c, k, v) => c with { MaxPartitionFetchBytes = ParseInt32(k, v, min: 1024) },
            c => Format(c.MaxPartitionFetchBytes)),
        new("max.poll.records", (c, k, v) => c with { MaxPollRecords = ParseInt32(k, v, min: 1) },
            c => Format(c.MaxPollRecords)),
        new("request.timeout.ms", (c, k, v) => c with { RequestTimeout = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.RequestTimeout)),
        new("retry.backoff.ms", (c, k, v) => c with { RetryBackoff = ParseMilliseconds(k, v, min: 1) },
            c => FormatMilliseconds(c.RetryBackoff)),
        new("metadata.max.age.ms", (c, k, v) => c with { MetadataMaxAge = ParseMilliseconds(k, v, min: 0) },
            c => FormatMilliseconds(c.MetadataMaxAge)));

    /// <summary>
    /// A config from Kafka's keys: unset keys keep their defaults, values are trimmed, and an unknown or repeated
    /// key or a bad value is an <see cref="ArgumentException"/> naming the key.
    /// </summary>
    public static ConsumerConfig FromProperties(IEnumerable<KeyValuePair<string, string>> properties) =>
        _keys.Apply(new ConsumerConfig(), properties);

    /// <summary>
    /// A config from a connection URI, <c>logcluster://host1:7070,host2:7070?auto.offset.reset=earliest</c>: the
    /// hosts are <c>bootstrap.servers</c>, the query holds any other keys.
    /// </summary>
    public static ConsumerConfig FromUri(string uri)
    {
        var parsed = ConnectionUri.Parse(uri);
        if (parsed.Options.Any(o => string.Equals(o.Key, BootstrapServersKey, StringComparison.Ordinal)))
        {
            throw new ArgumentException(
                $"connection URI must not set {BootstrapServersKey} in its query: the hosts before '?' are the bootstrap servers");
        }
        var servers = new KeyValuePair<string, string>(BootstrapServersKey, parsed.BootstrapServers);
        return _keys.Apply(new ConsumerConfig(), parsed.Options.Prepend(servers));
    }

    /// <summary>The assignor's name in the group protocol.</summary>
    internal string AssignorName => _assignors.Format(GroupRemoteAssignor);

    /// <summary>Every key with its effective value (durations in whole milliseconds).</summary>
    public IReadOnlyDictionary<string, string> ToProperties() => _keys.ToProperties(this);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the Kafka key of the first setting out of range, or of a broken rule between keys.</summary>
    public void Validate()
    {
        _keys.CheckValues(this);
        if (HeartbeatInterval >= SessionTimeout)
        {
            throw new ArgumentException(
                $"heartbeat.interval.ms ({FormatMilliseconds(HeartbeatInterval)}) must be below session.timeout.ms " +
                $"({FormatMilliseconds(SessionTimeout)}): a member that heartbeats less often than its session lasts is dropped between heartbeats");
        }
    }

    /// <summary>The <c>bootstrap.servers</c> entries for the connection code; throws as <see cref="Validate"/> does.</summary>
    internal IReadOnlyList<HostPort> BootstrapEndpoints() => HostPort.ParseList(BootstrapServersKey, BootstrapServers);

    private static string CheckGroupId(string key, string groupId) => groupId.Length is > 0 and <= 255
        ? groupId
        : throw new ArgumentException($"{key} must be 1 to 255 characters, got {groupId.Length}");

    private static string CheckServers(string key, string servers)
    {
        HostPort.ParseList(key, servers);
        return servers;
    }
}
