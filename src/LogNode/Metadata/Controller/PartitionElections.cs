using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>
/// How partitions change when a node is fenced or comes back, as KRaft's ReplicationControlManager: a new
/// leader only ever comes from the ISR (unclean election is off), so no acknowledged acks=all record is lost.
/// Pure functions of the image: the controller proposes what they return.
/// </summary>
internal static class PartitionElections
{
    /// <summary>
    /// The node stopped heartbeating or restarted (and may have lost an unflushed tail): it leaves every ISR and
    /// leadership passes to the first live ISR member in replica order. A partition whose ISR holds nobody else
    /// keeps the node in its ISR with no leader (-1) until it returns, since only it has every committed record.
    /// </summary>
    public static IEnumerable<PartitionRecord> WithoutNode(ClusterImage image, int nodeId)
    {
        foreach (var partition in image.Topics.Values.SelectMany(t => t.Partitions))
        {
            if (partition.Leader == nodeId)
            {
                var successor = partition.Replicas.FirstOrDefault(r => r != nodeId && partition.Isr.Contains(r) && IsLive(image, r), PartitionInfo.NoLeader);
                yield return successor == PartitionInfo.NoLeader
                    ? Changed(partition, PartitionInfo.NoLeader, partition.Isr, newLeaderEpoch: true)
                    : Changed(partition, successor, [.. partition.Isr.Where(r => r != nodeId)], newLeaderEpoch: true);
            }
            else if (partition.Isr.Contains(nodeId) && partition.Leader != PartitionInfo.NoLeader)
            {
                yield return Changed(partition, partition.Leader, [.. partition.Isr.Where(r => r != nodeId)], newLeaderEpoch: false);
            }
        }
    }

    /// <summary>The node is back: it leads the leaderless partitions whose ISR it is in (it alone has their committed records).</summary>
    public static IEnumerable<PartitionRecord> WithNodeBack(ClusterImage image, int nodeId) =>
        image.Topics.Values.SelectMany(t => t.Partitions)
            .Where(p => p.Leader == PartitionInfo.NoLeader && p.Isr.Contains(nodeId))
            .Select(p => Changed(p, nodeId, p.Isr, newLeaderEpoch: true));

    /// <summary>
    /// A leader's proposed ISR, checked against the partition as the controller knows it. Returns the new
    /// partition record, or the error to answer with.
    /// </summary>
    public static (PartitionRecord? Change, ErrorCode Error, string Message) AlterIsr(ClusterImage image, AlterPartitionRequest request)
    {
        if (image.FindPartition(request.Topic, request.Partition) is not { } partition)
        {
            return (null, ErrorCode.UnknownTopicOrPartition, $"{request.Topic}-{request.Partition} does not exist");
        }
        if (partition.Leader != request.LeaderId || partition.LeaderEpoch != request.LeaderEpoch)
        {
            return (null, ErrorCode.FencedLeaderEpoch, $"node {request.LeaderId} at epoch {request.LeaderEpoch} is not the leader (node {partition.Leader}, epoch {partition.LeaderEpoch})");
        }
        if (partition.PartitionEpoch != request.PartitionEpoch)
        {
            return (null, ErrorCode.InvalidUpdateVersion, $"partition epoch {request.PartitionEpoch} is stale (now {partition.PartitionEpoch})");
        }
        var isr = request.NewIsr.ToList();
        if (!isr.Contains(partition.Leader) || isr.Distinct().Count() != isr.Count || isr.Any(r => !partition.Replicas.Contains(r)))
        {
            return (null, ErrorCode.InvalidRequest, $"ISR [{string.Join(",", isr)}] must hold the leader and only distinct replicas of [{string.Join(",", partition.Replicas)}]");
        }
        if (isr.FirstOrDefault(r => !partition.Isr.Contains(r) && !IsLive(image, r), -1) is var fenced and >= 0)
        {
            return (null, ErrorCode.InvalidRequest, $"node {fenced} is fenced and cannot join the ISR");
        }
        return (Changed(partition, partition.Leader, isr, newLeaderEpoch: false), ErrorCode.None, string.Empty);
    }

    private static bool IsLive(ClusterImage image, int nodeId) => image.Nodes.TryGetValue(nodeId, out var node) && !node.Fenced;

    private static PartitionRecord Changed(PartitionInfo partition, int leader, IEnumerable<int> isr, bool newLeaderEpoch) =>
        (partition with
        {
            Leader = leader,
            Isr = [.. isr],
            LeaderEpoch = newLeaderEpoch ? partition.LeaderEpoch + 1 : partition.LeaderEpoch,
            PartitionEpoch = partition.PartitionEpoch + 1,
        }).ToRecord();
}
