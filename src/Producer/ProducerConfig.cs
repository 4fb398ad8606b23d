using LogCluster.Protocol.Compression;

namespace LogCluster.Producer;

/// <summary>
/// Producer settings with Kafka's names and defaults (docs/configuration.md lists every key, its default and
/// where we differ). Build it three ways: typed properties, <see cref="FromProperties"/> with Kafka's keys, or
/// <see cref="FromUri"/> with a connection URI such as <c>logcluster://n1:7070,n2:7070?acks=all&amp;linger.ms=5</c>.
/// <see cref="Validate"/> runs at build time and names the key and the allowed values of anything wrong.
/// </summary>
public sealed partial record ProducerConfig
{
    /// <summary><c>bootstrap.servers</c>: comma-separated host:port list of nodes to learn the cluster from.</summary>
    public string BootstrapServers { get; init; } = "";

    /// <summary>
    /// Makes the sockets the producer connects with, when not the default way; internal, for tests that reach nodes
    /// inside network namespaces (a socket belongs to the namespace of the thread that made it).
    /// </summary>
    internal Func<System.Net.Sockets.Socket>? SocketFactory { get; init; }

    /// <summary><c>client.id</c>: a name for this client in the nodes' logs and metrics.</summary>
    public string ClientId { get; init; } = "logcluster-producer";

    /// <summary><c>acks</c>: 0, 1 or all (also -1).</summary>
    public Acks Acks { get; init; } = Acks.All;

    /// <summary><c>linger.ms</c>: the longest a record waits for more records to join its batch while requests are in flight.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary><c>batch.size</c>: bytes per partition batch before it is sent without waiting for linger.</summary>
    public int BatchSize { get; init; } = 16_384;

    /// <summary><c>buffer.memory</c>: bytes of records waiting to be sent or acknowledged before Send waits.</summary>
    public long BufferMemory { get; init; } = 32L * 1024 * 1024;

    /// <summary><c>max.block.ms</c>: how long Send may wait for buffer space or metadata before failing.</summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary><c>delivery.timeout.ms</c>: upper bound from Send to its outcome, retries included (per send overridable).</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary><c>request.timeout.ms</c>: how long one produce request may wait for its response.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>retries</c>: attempts after the first for retriable errors; delivery.timeout.ms bounds them too.</summary>
    public int Retries { get; init; } = int.MaxValue;

    /// <summary><c>retry.backoff.ms</c>: first backoff before a retry; grows exponentially with jitter (Polly) up to retry.backoff.max.ms.</summary>
    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary><c>retry.backoff.max.ms</c>: cap of the exponential backoff.</summary>
    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>max.in.flight.requests.per.connection</c>: unacknowledged requests per node; 1 keeps order across retries.</summary>
    public int MaxInFlightRequestsPerConnection { get; init; } = 5;

    /// <summary>
    /// <c>enable.idempotence</c>: each record written once and in send order per partition, whatever is retried.
    /// Unset (null) means Kafka's default: on, unless acks, max.in.flight.requests.per.connection or retries is set
    /// to a value it cannot work with, which turns it off. Set true, such a value fails at build instead.
    /// </summary>
    public bool? EnableIdempotence { get; init; }

    /// <summary>Whether the producer stamps batches with a producer id, epoch and sequences (the rule of <see cref="EnableIdempotence"/>).</summary>
    internal bool IsIdempotent => EnableIdempotence ?? (Acks == Acks.All && MaxInFlightRequestsPerConnection <= MaxInFlightWithIdempotence && Retries > 0);

    /// <summary>A node remembers the last five batches of each producer per partition, so no more may be unanswered.</summary>
    internal const int MaxInFlightWithIdempotence = 5;

    /// <summary><c>compression.type</c>: none, gzip, snappy, lz4 or zstd, per batch.</summary>
    public CompressionType CompressionType { get; init; } = CompressionType.None;

    /// <summary><c>max.request.size</c>: bytes of one produce request, and so of the largest record.</summary>
    public int MaxRequestSize { get; init; } = 1_048_576;

    /// <summary><c>metadata.max.age.ms</c>: refresh cluster metadata at least this often.</summary>
    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>partitioner</c>: murmur2_random (default), murmur2 or uniform_sticky.</summary>
    public PartitionerKind Partitioner { get; init; } = PartitionerKind.Murmur2Random;
}
