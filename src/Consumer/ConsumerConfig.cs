namespace LogCluster.Consumer;

/// <summary>
/// Consumer settings with Kafka's names and defaults (docs/consumer.md lists every key). Build it three ways:
/// typed properties, <see cref="FromProperties"/> with Kafka's keys, or <see cref="FromUri"/> with a connection URI
/// such as <c>logcluster://n1:7070,n2:7070?auto.offset.reset=earliest</c>. <see cref="Validate"/> runs at build time.
/// </summary>
public sealed partial record ConsumerConfig
{
    /// <summary><c>bootstrap.servers</c>: comma-separated host:port list of nodes to learn the cluster from.</summary>
    public string BootstrapServers { get; init; } = "";

    /// <summary><c>client.id</c>: a name for this client in the nodes' logs and metrics.</summary>
    public string ClientId { get; init; } = "logcluster-consumer";

    /// <summary>
    /// <c>group.id</c>: the consumer group, needed to subscribe and to commit. Null for a consumer that assigns
    /// its partitions and keeps its positions itself.
    /// </summary>
    public string? GroupId { get; init; }

    /// <summary><c>enable.auto.commit</c>: commit the positions every auto.commit.interval.ms, before a partition is revoked, and at close.</summary>
    public bool EnableAutoCommit { get; init; } = true;

    /// <summary><c>auto.commit.interval.ms</c>: how often positions are committed when enable.auto.commit is on.</summary>
    public TimeSpan AutoCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>session.timeout.ms</c>: a member silent this long leaves the group and its partitions move (KIP-848's default).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary><c>heartbeat.interval.ms</c>: how often a member tells the coordinator it is alive and learns its assignment.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary><c>group.remote.assignor</c>: <c>uniform</c> (round-robin) or <c>range</c>, computed by the coordinator (KIP-848).</summary>
    public PartitionAssignor GroupRemoteAssignor { get; init; } = PartitionAssignor.Uniform;

    /// <summary><c>auto.offset.reset</c>: where a partition without a position, or with one out of range, starts.</summary>
    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;

    /// <summary><c>fetch.min.bytes</c>: a node answers a fetch once this many bytes are ready, or after fetch.max.wait.ms.</summary>
    public int FetchMinBytes { get; init; } = 1;

    /// <summary><c>fetch.max.wait.ms</c>: how long a node may hold a fetch waiting for fetch.min.bytes.</summary>
    public TimeSpan FetchMaxWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>fetch.max.bytes</c>: soft cap of one fetch response (a larger first batch still comes, so reading progresses).</summary>
    public int FetchMaxBytes { get; init; } = 52_428_800;

    /// <summary><c>max.partition.fetch.bytes</c>: soft cap per partition in one fetch response.</summary>
    public int MaxPartitionFetchBytes { get; init; } = 1_048_576;

    /// <summary><c>max.poll.records</c>: the most records one <c>ConsumeBatchAsync</c> returns.</summary>
    public int MaxPollRecords { get; init; } = 500;

    /// <summary><c>request.timeout.ms</c>: how long a fetch or lookup may take beyond fetch.max.wait.ms before it is retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>retry.backoff.ms</c>: the pause before fetching again from a partition whose fetch failed.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary><c>metadata.max.age.ms</c>: refresh cluster metadata at least this often.</summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);
}
