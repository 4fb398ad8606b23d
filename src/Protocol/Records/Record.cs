namespace LogCluster.Protocol.Records;

/// <summary>
/// A decoded record. <see cref="Offset"/> is the batch's base offset plus the record's offset delta and
/// <see cref="Timestamp"/> the base timestamp plus its delta; a null key or value was sent as length -1,
/// which is not the same as an empty array.
/// </summary>
public sealed record Record(long Offset, long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<RecordHeader> Headers);
