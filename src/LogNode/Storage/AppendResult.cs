namespace LogCluster.LogNode.Storage;

/// <summary>
/// Where a batch went. <see cref="Durable"/> completes when the append is as durable as the topic's flush
/// policy promises before an acknowledgement (already completed when no fsync is due). <see cref="Duplicate"/>: an
/// idempotent producer's retry of a batch already in the log, answered with the original's offsets, not written.
/// </summary>
internal readonly record struct AppendResult(long BaseOffset, long LastOffset, long LogStartOffset, Task Durable, bool Duplicate = false);

/// <summary>What a read found: whole batches (possibly none) and the partition's offsets at that moment.</summary>
internal readonly record struct ReadResult(ReadOnlyMemory<byte> Batches, long HighWatermark, long LogStartOffset, long LogEndOffset, bool OutOfRange);
