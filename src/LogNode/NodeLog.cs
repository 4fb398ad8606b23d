using LogCluster.LogNode.Storage;

namespace LogCluster.LogNode;

/// <summary>The node's log events, source-generated (cheap when off) with stable event ids.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(1, LogLevel.Information, "Created topic {Topic} with {Partitions} partitions")]
    public static partial void TopicCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(2, LogLevel.Information, "Deleted topic {Topic}")]
    public static partial void TopicDeleted(ILogger logger, string topic);

    [LoggerMessage(3, LogLevel.Warning, "Removing {Directory}: it belongs to no topic (an interrupted delete)")]
    public static partial void OrphanRemoved(ILogger logger, string directory);

    [LoggerMessage(4, LogLevel.Warning, "Recovered {Partition}: cut {Bytes} bytes of torn or corrupt tail and {Segments} later segments; log end offset {EndOffset}")]
    public static partial void TailRecovered(ILogger logger, TopicPartition partition, long bytes, int segments, long endOffset);

    [LoggerMessage(5, LogLevel.Information, "Retention deleted {Count} segments of {Partition}; log start offset {Offset}")]
    public static partial void RetentionDeleted(ILogger logger, int count, TopicPartition partition, long offset);

    [LoggerMessage(6, LogLevel.Error, "Retention failed for {Partition}")]
    public static partial void RetentionFailed(ILogger logger, Exception exception, TopicPartition partition);

    [LoggerMessage(7, LogLevel.Error, "Append to {Topic}-{Partition} failed")]
    public static partial void AppendFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(8, LogLevel.Error, "fsync of {Topic}-{Partition} failed; its batch is answered STORAGE_ERROR")]
    public static partial void FsyncFailed(ILogger logger, Exception exception, string topic, int partition);

    [LoggerMessage(20, LogLevel.Information, "This node is now the active controller; {Nodes} nodes registered")]
    public static partial void ControllerActivated(ILogger logger, int nodes);

    [LoggerMessage(21, LogLevel.Warning, "Fenced node {NodeId}: no heartbeat for {SessionTimeoutMs} ms; {Partitions} partitions got new leaders from their ISR or left it out, committed in {CommitMs:F0} ms")]
    public static partial void NodeFenced(ILogger logger, int nodeId, double sessionTimeoutMs, int partitions, double commitMs);

    [LoggerMessage(22, LogLevel.Information, "Registered node {NodeId} at {Host}:{Port}")]
    public static partial void NodeRegistered(ILogger logger, int nodeId, string host, int port);

    [LoggerMessage(23, LogLevel.Error, "A controller duty failed; starting the duties over")]
    public static partial void ControllerDutyFailed(ILogger logger, Exception exception);

    [LoggerMessage(24, LogLevel.Information, "The heartbeat stream of node {NodeId} was reset; fencing it unless it reconnects within {GraceMs} ms")]
    public static partial void HeartbeatStreamReset(ILogger logger, int nodeId, double graceMs);

    [LoggerMessage(25, LogLevel.Warning, "Fenced node {NodeId}: its heartbeat stream was reset and it did not reconnect within {GraceMs} ms; {Partitions} partitions got new leaders from their ISR or left it out, committed in {CommitMs:F0} ms")]
    public static partial void DeadNodeFenced(ILogger logger, int nodeId, double graceMs, int partitions, double commitMs);

    [LoggerMessage(26, LogLevel.Debug, "The heartbeat stream to controller {ControllerId} ended ({Reason}); opening one to the controller now known")]
    public static partial void HeartbeatStreamEnded(ILogger logger, int controllerId, string reason);
}
