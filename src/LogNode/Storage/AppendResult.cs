namespace LogCluster.LogNode.Storage;

/// <summary>
/// Where a batch went. <see cref="Durable"/> completes when the append is as durable as the topic's flush
/// policy promises before an acknowledgement (already completed when no fsync is due).
/// </summary>
internal readonly record struct AppendResult(long BaseOffset, long LastOffset, long LogStartOffset, Task Durable);

/// <summary>What a read found: whole batches (possibly none) and the partition's offsets at that moment.</summary>
internal readonly record struct ReadResult(ReadOnlyMemory<byte> Batches, long HighWatermark, long LogStartOffset, long LogEndOffset, bool OutOfRange);
