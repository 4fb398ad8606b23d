using System.Collections.Immutable;

namespace LogCluster.LogNode.Metadata.Controller;

/// <summary>
/// Where a new topic's replicas go, as Kafka's rack-unaware assignment: partition p's replicas are the
/// <c>replicationFactor</c> nodes after position (start + p) in the sorted node list, so leaders (the first
/// replica) rotate over the nodes and every node leads about partitions / nodes of them.
/// </summary>
internal static class ReplicaAssignment
{
    public static ImmutableArray<int>[] Assign(int partitions, int replicationFactor, IReadOnlyList<int> nodeIds, int start)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, nodeIds.Count);
        var nodes = nodeIds.Order().ToArray();
        var assignment = new ImmutableArray<int>[partitions];
        for (var p = 0; p < partitions; p++)
        {
            var first = (start + p) % nodes.Length;
            assignment[p] = [.. Enumerable.Range(0, replicationFactor).Select(i => nodes[(first + i) % nodes.Length])];
        }
        return assignment;
    }
}
