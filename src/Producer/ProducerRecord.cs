using LogCluster.Protocol.Records;

namespace LogCluster.Producer;

/// <summary>A record to send: topic, key and value, and optionally its partition, timestamp, headers and deadline.</summary>
public sealed record ProducerRecord<TKey, TValue>(string Topic, TKey Key, TValue Value)
{
    /// <summary>The partition to use; null lets the partitioner choose.</summary>
    public int? Partition { get; init; }

    /// <summary>Milliseconds since the Unix epoch; null stamps the time of Send.</summary>
    public long? Timestamp { get; init; }

    /// <summary>Record headers, sent as they are.</summary>
    public IReadOnlyList<RecordHeader> Headers { get; init; } = [];

    /// <summary>This record's delivery timeout instead of delivery.timeout.ms.</summary>
    public TimeSpan? DeliveryTimeout { get; init; }
}
