namespace LogCluster.LogNode.Storage;

/// <summary>A topic as this node holds it: its settings and one log per partition.</summary>
internal sealed record TopicState(
    string Name,
    string TopicId,
    int ReplicationFactor,
    IReadOnlyDictionary<string, string> ConfigOverrides,
    TopicConfig Config,
    PartitionLog[] Partitions);

/// <summary>The durable description of a topic, one JSON file per topic under <c>meta/topics/</c>.</summary>
/// <remarks><see cref="TopicId"/> is null in folders written before topics had ids.</remarks>
internal sealed record TopicDescriptor(string Name, int Partitions, int ReplicationFactor, Dictionary<string, string> Configs, string? TopicId = null);
