using LogCluster.LogNode.Storage;

namespace LogCluster.LogNode.Replication;

/// <summary>Replication's log events, source-generated.</summary>
internal static partial class ReplicationLog
{
    [LoggerMessage(40, LogLevel.Information, "{Partition}: cut a diverged tail from {Before} to {After} to follow leader epoch {Epoch}")]
    public static partial void TailTruncated(ILogger logger, TopicPartition partition, long before, long after, int epoch);

    [LoggerMessage(41, LogLevel.Warning, "{Partition}: a batch from the leader was refused; looking for the divergence again")]
    public static partial void FollowerAppendFailed(ILogger logger, Exception exception, TopicPartition partition);

    [LoggerMessage(42, LogLevel.Information, "{Partition}: now {Role} at leader epoch {Epoch}, ISR [{Isr}]")]
    public static partial void RoleChanged(ILogger logger, TopicPartition partition, string role, int epoch, string isr);

    [LoggerMessage(43, LogLevel.Information, "{Partition}: proposing ISR [{Isr}]")]
    public static partial void IsrProposed(ILogger logger, TopicPartition partition, string isr);
}
