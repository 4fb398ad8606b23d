namespace LogCluster.Producer;

/// <summary>How many replicas must have a record before its send completes (Kafka's <c>acks</c>).</summary>
public enum Acks
{
    /// <summary><c>acks=0</c>: no acknowledgement; the send completes once the request is written, offset -1.</summary>
    None,

    /// <summary><c>acks=1</c>: the partition leader has appended it.</summary>
    Leader,

    /// <summary><c>acks=all</c> / <c>-1</c>: every in-sync replica has it.</summary>
    All,
}
