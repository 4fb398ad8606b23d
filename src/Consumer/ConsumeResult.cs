using System.Diagnostics;
using LogCluster.Protocol.Records;

namespace LogCluster.Consumer;

/// <summary>One record as the consumer hands it to the application, deserialized.</summary>
public sealed record ConsumeResult<TKey, TValue>(
    TopicPartition TopicPartition,
    long Offset,
    TKey Key,
    TValue Value,
    IReadOnlyList<RecordHeader> Headers,
    DateTimeOffset Timestamp)
{
    public string Topic => TopicPartition.Topic;

    public int Partition => TopicPartition.Partition;

    /// <summary>
    /// The producer's trace context from the record's <c>traceparent</c> header, or default: start the processing
    /// span with it as parent to continue the producer's trace.
    /// </summary>
    public ActivityContext TraceContext { get; init; }
}
