namespace LogCluster.Producer;

/// <summary>
/// Where an acknowledged record went. With acks=0 nothing is acknowledged and <see cref="Offset"/> is -1.
/// </summary>
/// <param name="Topic">The topic it was written to.</param>
/// <param name="Partition">The partition it was written to.</param>
/// <param name="Offset">Its offset in the partition; -1 with acks=0.</param>
/// <param name="Timestamp">The record's timestamp, milliseconds since the Unix epoch.</param>
/// <param name="SerializedKeySize">Bytes of the serialized key, -1 for a null key.</param>
/// <param name="SerializedValueSize">Bytes of the serialized value, -1 for a null value.</param>
public sealed record RecordMetadata(string Topic, int Partition, long Offset, long Timestamp, int SerializedKeySize, int SerializedValueSize);
