namespace LogCluster.LogNode;

/// <summary>
/// Node settings, bound from the "Node" configuration section: command-line switches (see
/// <see cref="SwitchMappings"/>), environment variables (<c>Node__DataDir</c>) or appsettings.json.
/// </summary>
public sealed class NodeOptions
{
    public const string Section = "Node";

    /// <summary>This node's id, unique in the cluster.</summary>
    public int NodeId { get; set; }

    /// <summary>Address and port of the gRPC (h2c) listener; port 0 picks a free port (printed at start).</summary>
    public string Listen { get; set; } = "127.0.0.1:7070";

    /// <summary>Host name clients should use for this node; defaults to the listen address.</summary>
    public string? AdvertisedHost { get; set; }

    /// <summary>Port clients should use for this node (a proxy or a NAT in front of it); defaults to the bound port.</summary>
    public int? AdvertisedPort { get; set; }

    /// <summary>
    /// A second gRPC listener for clients outside the nodes' network (Kafka's EXTERNAL listener), e.g. "0.0.0.0:9092"
    /// behind a published container port; it needs a fixed port. Clients that connect to it get every node's external
    /// address in metadata. Unset: one listener for everyone.
    /// </summary>
    public string? ExternalListen { get; set; }

    /// <summary>Host name external clients use for this node; defaults to the external listen address.</summary>
    public string? ExternalAdvertisedHost { get; set; }

    /// <summary>Port external clients use for this node (a published port); defaults to the external listen port.</summary>
    public int? ExternalAdvertisedPort { get; set; }

    /// <summary>
    /// A listener for Kafka clients (librdkafka, kafkajs, the Java client), e.g. "0.0.0.0:9093"; unset: none.
    /// docs/kafka-compatibility.md lists what it serves.
    /// </summary>
    public string? KafkaListen { get; set; }

    /// <summary>Host name Kafka clients use for this node; defaults to the Kafka listen address.</summary>
    public string? KafkaAdvertisedHost { get; set; }

    /// <summary>Port Kafka clients use for this node (a published port); defaults to the Kafka listen port.</summary>
    public int? KafkaAdvertisedPort { get; set; }

    /// <summary>A Kafka connection without a request for this long is closed (Kafka's connections.max.idle.ms).</summary>
    public int KafkaIdleTimeoutMs { get; set; } = 600_000;

    /// <summary>
    /// Silence after which a Kafka client's consumer-protocol member (KIP-848) leaves its group: Kafka's
    /// group.consumer.session.timeout.ms (such members do not send their own, unlike our SDK's).
    /// </summary>
    public int GroupConsumerSessionTimeoutMs { get; set; } = 45_000;

    /// <summary>How often a Kafka client's consumer-protocol member is told to heartbeat: Kafka's group.consumer.heartbeat.interval.ms.</summary>
    public int GroupConsumerHeartbeatIntervalMs { get; set; } = 5_000;

    /// <summary>
    /// How long a new classic group waits for more members before its first rebalance completes: Kafka's
    /// group.initial.rebalance.delay.ms (bounded by the members' rebalance timeout).
    /// </summary>
    public int GroupInitialRebalanceDelayMs { get; set; } = 3_000;

    /// <summary>Folder holding the topics' partitions and metadata.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>Largest request accepted (bytes), as Kafka's socket.request.max.bytes.</summary>
    public int MaxRequestBytes { get; set; } = 104_857_600;

    /// <summary>How often retention runs (milliseconds), as Kafka's log.retention.check.interval.ms.</summary>
    public int RetentionCheckIntervalMs { get; set; } = 300_000;

    /// <summary>Forget an idempotent producer's state after this long without a batch (milliseconds), Kafka's default.</summary>
    public long ProducerIdExpirationMs { get; set; } = 86_400_000;

    /// <summary>How often flush.ms deadlines are checked (milliseconds), as log.flush.scheduler.interval.ms.</summary>
    public int FlushCheckIntervalMs { get; set; } = 100;

    /// <summary>
    /// The metadata quorum, the same list on every node: "1@127.0.0.1:9091,2@127.0.0.1:9092,3@127.0.0.1:9093"
    /// (KRaft's controller.quorum.voters; each node's Raft listener binds its own entry). Unset: a single-node
    /// cluster whose quorum is this node alone, on a free loopback port.
    /// </summary>
    public string? Voters { get; set; }

    /// <summary>How often the node tells the controller it is alive (broker.heartbeat.interval.ms; Kafka: 2000).</summary>
    public int HeartbeatIntervalMs { get; set; } = 250;

    /// <summary>
    /// A node silent this long is fenced and its partitions get new leaders (broker.session.timeout.ms; Kafka: 9000,
    /// shortened so a dead leader is replaced in about two seconds).
    /// </summary>
    public int SessionTimeoutMs { get; set; } = 1500;

    /// <summary>
    /// A node whose heartbeat stream to the controller was reset (its process died and the kernel closed its
    /// sockets) and that has not opened a new one for this long is fenced at once, without waiting out the session
    /// timeout. A live node reopens its stream at once, well within it. Not in Kafka, whose controller waits out
    /// the session.
    /// </summary>
    public int DeadNodeGraceMs { get; set; } = 250;

    /// <summary>A follower not caught up for this long leaves the ISR (replica.lag.time.max.ms, Kafka's default).</summary>
    public int ReplicaLagTimeMaxMs { get; set; } = 30_000;

    /// <summary>Raft election timeout, lower bound (the upper is twice it); 300 ms as measured safe on a busy 2-core machine.</summary>
    public int ElectionTimeoutMs { get; set; } = 300;

    /// <summary>Partitions of __consumer_offsets, fixed when it is created (offsets.topic.num.partitions; Kafka: 50).</summary>
    public int OffsetsTopicPartitions { get; set; } = 10;

    /// <summary>Replicas of each __consumer_offsets partition, capped by the live nodes at creation (offsets.topic.replication.factor).</summary>
    public int OffsetsTopicReplicationFactor { get; set; } = 3;

    /// <summary>
    /// Address and port of the HTTP/1.1 listener serving Prometheus' <c>/metrics</c> (the gRPC listener speaks only
    /// HTTP/2, which Prometheus does not scrape). Unset: no metrics listener.
    /// </summary>
    public string? MetricsListen { get; set; }

    /// <summary>An OTLP collector (e.g. "http://collector:4317") to push metrics and traces to. Unset: no OTLP export.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>
    /// OTLP transport, as OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" (port 4317) or "http/protobuf" (port 4318, where
    /// metrics and traces go to /v1/metrics and /v1/traces under the endpoint).
    /// </summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Topic config defaults with Kafka's keys (segment.bytes, flush.messages, ...).</summary>
    public Dictionary<string, string> TopicDefaults { get; set; } = [];

    public static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--node-id"] = "Node:NodeId",
        ["--listen"] = "Node:Listen",
        ["--advertised-host"] = "Node:AdvertisedHost",
        ["--advertised-port"] = "Node:AdvertisedPort",
        ["--data-dir"] = "Node:DataDir",
        ["--retention-check-interval-ms"] = "Node:RetentionCheckIntervalMs",
        ["--voters"] = "Node:Voters",
        ["--heartbeat-interval-ms"] = "Node:HeartbeatIntervalMs",
        ["--session-timeout-ms"] = "Node:SessionTimeoutMs",
        ["--dead-node-grace-ms"] = "Node:DeadNodeGraceMs",
        ["--replica-lag-time-max-ms"] = "Node:ReplicaLagTimeMaxMs",
        ["--election-timeout-ms"] = "Node:ElectionTimeoutMs",
        ["--offsets-topic-partitions"] = "Node:OffsetsTopicPartitions",
        ["--offsets-topic-replication-factor"] = "Node:OffsetsTopicReplicationFactor",
        ["--metrics-listen"] = "Node:MetricsListen",
        ["--external-listen"] = "Node:ExternalListen",
        ["--kafka-listen"] = "Node:KafkaListen",
        ["--kafka-advertised-host"] = "Node:KafkaAdvertisedHost",
        ["--kafka-advertised-port"] = "Node:KafkaAdvertisedPort",
        ["--kafka-idle-timeout-ms"] = "Node:KafkaIdleTimeoutMs",
        ["--group-consumer-session-timeout-ms"] = "Node:GroupConsumerSessionTimeoutMs",
        ["--group-consumer-heartbeat-interval-ms"] = "Node:GroupConsumerHeartbeatIntervalMs",
        ["--group-initial-rebalance-delay-ms"] = "Node:GroupInitialRebalanceDelayMs",
        ["--external-advertised-host"] = "Node:ExternalAdvertisedHost",
        ["--external-advertised-port"] = "Node:ExternalAdvertisedPort",
        ["--otlp-endpoint"] = "Node:OtlpEndpoint",
        ["--otlp-protocol"] = "Node:OtlpProtocol",
    };
}
