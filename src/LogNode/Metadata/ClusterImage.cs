using System.Collections.Immutable;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata;

/// <summary>
/// A node as the metadata log knows it: where clients reach it, which process registered (a new incarnation is
/// a restart), and whether the controller fenced it.
/// </summary>
internal sealed record NodeInfo(int NodeId, string Host, int Port, long Incarnation, bool Fenced, string ExternalHost = "", int ExternalPort = 0, string KafkaHost = "", int KafkaPort = 0)
{
    /// <summary>The address to give a client: the external one to clients that came in through an external listener, when this node has one.</summary>
    public (string Host, int Port) AddressFor(bool externalClient) =>
        externalClient && ExternalHost.Length > 0 ? (ExternalHost, ExternalPort) : (Host, Port);
}

/// <summary>One partition's replicas, leader (-1: none), leader epoch, in-sync replicas and change counter.</summary>
internal sealed record PartitionInfo(string Topic, int Partition, ImmutableArray<int> Replicas, int Leader, int LeaderEpoch, ImmutableArray<int> Isr, int PartitionEpoch)
{
    public const int NoLeader = -1;

    public static PartitionInfo From(PartitionRecord record) =>
        new(record.Topic, record.Partition, [.. record.Replicas], record.Leader, record.LeaderEpoch, [.. record.Isr], record.PartitionEpoch);

    public PartitionRecord ToRecord()
    {
        var record = new PartitionRecord { Topic = Topic, Partition = Partition, Leader = Leader, LeaderEpoch = LeaderEpoch, PartitionEpoch = PartitionEpoch };
        record.Replicas.Add(Replicas);
        record.Isr.Add(Isr);
        return record;
    }
}

/// <summary>A topic: its id (distinguishing it from an earlier topic of the same name), config overrides and partitions.</summary>
internal sealed record TopicInfo(string Name, string TopicId, ImmutableDictionary<string, string> Configs, ImmutableArray<PartitionInfo> Partitions)
{
    public static TopicInfo From(TopicRecord record) => new(
        record.Name,
        record.TopicId,
        record.Configs.ToImmutableDictionary(StringComparer.Ordinal),
        [.. record.Partitions.OrderBy(p => p.Partition).Select(PartitionInfo.From)]);

    public TopicRecord ToRecord()
    {
        var record = new TopicRecord { Name = Name, TopicId = TopicId };
        record.Configs.Add(Configs);
        record.Partitions.Add(Partitions.Select(p => p.ToRecord()));
        return record;
    }
}

/// <summary>
/// The cluster metadata at one point of the metadata log: immutable, so readers never lock and a change
/// publishes a whole new image. Every node applies the same committed records in the same order
/// (<see cref="Apply"/>) and so holds the same image. Records that do not fit the image (a change to a
/// deleted topic) are ignored rather than thrown: the controller validated them against the image it had,
/// and a node must never stop following the log.
/// </summary>
internal sealed record ClusterImage(ImmutableDictionary<int, NodeInfo> Nodes, ImmutableDictionary<string, TopicInfo> Topics, long NextProducerId)
{
    public static readonly ClusterImage Empty = new(ImmutableDictionary<int, NodeInfo>.Empty, ImmutableDictionary.Create<string, TopicInfo>(StringComparer.Ordinal), 0);

    public PartitionInfo? FindPartition(string topic, int partition) =>
        Topics.TryGetValue(topic, out var info) && partition >= 0 && partition < info.Partitions.Length ? info.Partitions[partition] : null;

    /// <summary>Nodes that may lead and be in an ISR: registered and not fenced.</summary>
    public IEnumerable<NodeInfo> LiveNodes => Nodes.Values.Where(n => !n.Fenced);

    public ClusterImage Apply(MetadataRecord record) => record.RecordCase switch
    {
        MetadataRecord.RecordOneofCase.RegisterNode => this with
        {
            Nodes = Nodes.SetItem(record.RegisterNode.NodeId, new NodeInfo(record.RegisterNode.NodeId, record.RegisterNode.Host, record.RegisterNode.Port, record.RegisterNode.Incarnation, Fenced: false, record.RegisterNode.ExternalHost, record.RegisterNode.ExternalPort, record.RegisterNode.KafkaHost, record.RegisterNode.KafkaPort)),
        },
        MetadataRecord.RecordOneofCase.FenceNode => Nodes.TryGetValue(record.FenceNode.NodeId, out var node)
            ? this with { Nodes = Nodes.SetItem(node.NodeId, node with { Fenced = record.FenceNode.Fenced }) }
            : this,
        MetadataRecord.RecordOneofCase.CreateTopic => this with { Topics = Topics.SetItem(record.CreateTopic.Name, TopicInfo.From(record.CreateTopic)) },
        MetadataRecord.RecordOneofCase.DeleteTopic => Topics.TryGetValue(record.DeleteTopic.Name, out var deleted) && deleted.TopicId == record.DeleteTopic.TopicId
            ? this with { Topics = Topics.Remove(record.DeleteTopic.Name) }
            : this,
        MetadataRecord.RecordOneofCase.ChangePartition => ApplyPartitionChange(record.ChangePartition),
        MetadataRecord.RecordOneofCase.AllocateProducerIds => this with
        {
            NextProducerId = Math.Max(NextProducerId, record.AllocateProducerIds.FirstId + record.AllocateProducerIds.Size),
        },
        _ => this,
    };

    private ClusterImage ApplyPartitionChange(PartitionRecord change)
    {
        if (!Topics.TryGetValue(change.Topic, out var topic) || change.Partition < 0 || change.Partition >= topic.Partitions.Length)
        {
            return this;
        }
        var partitions = topic.Partitions.SetItem(change.Partition, PartitionInfo.From(change));
        return this with { Topics = Topics.SetItem(topic.Name, topic with { Partitions = partitions }) };
    }

    public ClusterSnapshot ToSnapshot()
    {
        var snapshot = new ClusterSnapshot { NextProducerId = NextProducerId };
        foreach (var node in Nodes.Values.OrderBy(n => n.NodeId))
        {
            snapshot.Nodes.Add(new NodeRegistration { NodeId = node.NodeId, Host = node.Host, Port = node.Port, Incarnation = node.Incarnation, ExternalHost = node.ExternalHost, ExternalPort = node.ExternalPort, KafkaHost = node.KafkaHost, KafkaPort = node.KafkaPort });
            if (node.Fenced)
            {
                snapshot.FencedNodes.Add(node.NodeId);
            }
        }
        snapshot.Topics.Add(Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.ToRecord()));
        return snapshot;
    }

    public static ClusterImage FromSnapshot(ClusterSnapshot snapshot)
    {
        var fenced = snapshot.FencedNodes.ToHashSet();
        return new ClusterImage(
            snapshot.Nodes.ToImmutableDictionary(n => n.NodeId, n => new NodeInfo(n.NodeId, n.Host, n.Port, n.Incarnation, fenced.Contains(n.NodeId), n.ExternalHost, n.ExternalPort, n.KafkaHost, n.KafkaPort)),
            snapshot.Topics.ToImmutableDictionary(t => t.Name, TopicInfo.From, StringComparer.Ordinal),
            snapshot.NextProducerId);
    }
}
