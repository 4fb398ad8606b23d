namespace LogCluster.Consumer;

/// <summary><c>auto.offset.reset</c>: where to start when a partition has no position, or its position is out of range.</summary>
public enum AutoOffsetReset
{
    /// <summary>The log start offset: everything still retained.</summary>
    Earliest,

    /// <summary>The high watermark: only records written from now on (Kafka's default).</summary>
    Latest,

    /// <summary>No reset: Consume throws OFFSET_OUT_OF_RANGE and the application decides.</summary>
    None,
}
