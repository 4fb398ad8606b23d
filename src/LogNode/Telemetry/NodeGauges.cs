using System.Diagnostics.Metrics;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Replication;

namespace LogCluster.LogNode.Telemetry;

/// <summary>
/// Gauges read from the node's state when a scrape asks for them, so they cost nothing between scrapes. Kafka's
/// names in brackets. Partition-level series (follower lag) are few because a node leads few partitions.
/// </summary>
internal sealed class NodeGauges
{
    public NodeGauges(NodeMetrics metrics, ReplicaManager replicas, IMetadataQuorum quorum, NodeIdentity self)
    {
        var meter = metrics.Meter;
        // [UnderReplicatedPartitions] Counted by leaders, so each partition is counted once in the cluster.
        meter.CreateObservableGauge("logcluster.node.partitions.under_replicated",
            () => Led(replicas).Count(r => r.Info is { } info && info.Isr.Length < info.Replicas.Length),
            "{partition}", "Partitions this node leads whose ISR is smaller than their replica set");
        // [OfflinePartitionsCount] Only the active controller reports it, as in Kafka, so a sum over nodes is right.
        meter.CreateObservableGauge("logcluster.node.partitions.offline",
            () => quorum.ControllerId == self.NodeId ? quorum.Image.Topics.Values.Sum(t => t.Partitions.Count(p => p.Leader == PartitionInfo.NoLeader)) : 0,
            "{partition}", "Partitions without a leader (reported by the active controller, 0 elsewhere)");
        // [LeaderCount]
        meter.CreateObservableGauge("logcluster.node.partitions.led", () => Led(replicas).Count(), "{partition}", "Partitions this node leads");
        // [ActiveControllerCount]
        meter.CreateObservableGauge("logcluster.node.controller.active", () => quorum.ControllerId == self.NodeId ? 1 : 0, "{controller}", "1 on the active controller, 0 elsewhere");
        meter.CreateObservableGauge("logcluster.node.follower.lag", () => FollowerLags(replicas), "{record}",
            "Records a follower's log end is behind the high watermark of a partition this node leads");
        meter.CreateObservableGauge("logcluster.node.producers.active", () => PerTopic(replicas, r => r.IsLeader ? r.Log.ProducerCount : 0), "{producer}",
            "Idempotent producers whose state the node keeps, in partitions it leads");
        meter.CreateObservableGauge("logcluster.node.log.segments", () => PerTopic(replicas, r => r.Log.SegmentCount), "{segment}", "Segment files in this node's replicas");
        meter.CreateObservableGauge("logcluster.node.log.size", () => PerTopic(replicas, r => r.Log.SizeInBytes), "By", "Bytes of segment files in this node's replicas");
    }

    private static IEnumerable<PartitionReplica> Led(ReplicaManager replicas) => replicas.Replicas.Where(r => r.IsLeader);

    private static IEnumerable<Measurement<long>> PerTopic(ReplicaManager replicas, Func<PartitionReplica, long> value) =>
        replicas.Replicas.GroupBy(r => r.Log.Id.Topic)
            .Select(topic => new Measurement<long>(topic.Sum(value), new KeyValuePair<string, object?>("topic", topic.Key)));

    private static IEnumerable<Measurement<long>> FollowerLags(ReplicaManager replicas)
    {
        foreach (var replica in Led(replicas))
        {
            var highWatermark = replica.Log.HighWatermark;
            foreach (var follower in replica.Followers)
            {
                // A follower not heard from in this epoch has no known log end: count it as behind by everything.
                var lag = follower.LogEndOffset < 0 ? highWatermark : Math.Max(0, highWatermark - follower.LogEndOffset);
                yield return new Measurement<long>(lag,
                    new KeyValuePair<string, object?>("topic", replica.Log.Id.Topic),
                    new KeyValuePair<string, object?>("partition", replica.Log.Id.Partition),
                    new KeyValuePair<string, object?>("follower", follower.ReplicaId));
            }
        }
    }
}
