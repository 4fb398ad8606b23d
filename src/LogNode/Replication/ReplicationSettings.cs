namespace LogCluster.LogNode.Replication;

/// <summary>
/// Follower timing: replica.lag.time.max.ms as Kafka (a follower that has not caught up for this long leaves
/// the ISR), and how often leaders look for ISR changes to propose.
/// </summary>
internal sealed record ReplicationSettings(TimeSpan ReplicaLagTimeMax, TimeSpan IsrCheckInterval);
