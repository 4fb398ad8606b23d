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
}
