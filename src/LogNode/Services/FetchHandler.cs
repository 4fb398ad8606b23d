using System.Diagnostics;
using Google.Protobuf;
using LogCluster.LogNode.Replication;
using LogCluster.LogNode.Storage;
using LogCluster.LogNode.Telemetry;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>
/// Long-poll reads: answers as soon as min_bytes are available over all partitions, an error occurs, or
/// max_wait_ms passes. Waits on the partitions' append signals, so a new batch wakes the fetch at once.
/// Consumers (replica_id -1) read from the leader up to the high watermark; followers (replica_id = their node
/// id) read up to the log end, and their fetch offset tells the leader how far they have come.
/// </summary>
internal sealed class FetchHandler(ReplicaManager replicas, NodeMetrics metrics, TimeProvider time)
{
    /// <summary>Kafka's fetch.max.bytes default, used when a request leaves max_bytes at 0.</summary>
    public const int DefaultMaxBytes = 52_428_800;
    private const int MaxWaitCapMs = 300_000;

    public async Task<FetchResponse> FetchAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await WaitAndReadAsync(request, cancellationToken);
        metrics.FetchCompleted(started, fromFollower: request.ReplicaId >= 0);
        foreach (var partition in response.Partitions)
        {
            metrics.Served(partition.Topic, partition.RecordBatches.Span, toFollower: request.ReplicaId >= 0);
        }
        return response;
    }

    private async Task<FetchResponse> WaitAndReadAsync(FetchRequest request, CancellationToken cancellationToken)
    {
        var waitMs = Math.Clamp(request.MaxWaitMs, 0, MaxWaitCapMs);
        var deadline = time.GetTimestamp() + (long)(waitMs * (time.TimestampFrequency / 1000.0));
        var followerErrors = request.ReplicaId >= 0 ? RecordFollowerProgress(request) : null;
        while (true)
        {
            // Take the signals before reading, so an append between the read and the wait still wakes us.
            var signals = request.Partitions.Select(p => replicas.Find(p.Topic, p.Partition)?.Log.NextChange)
                .OfType<Task>().ToList();
            var (response, bytes, failed) = ReadOnce(request, followerErrors);
            var remaining = time.GetElapsedTime(time.GetTimestamp(), deadline);
            if (bytes >= request.MinBytes || failed || remaining <= TimeSpan.Zero || signals.Count == 0)
            {
                return response;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // One WhenAny over everything: when it completes it unregisters from the rest, so a poll that times
            // out leaves nothing attached to idle partitions' signals.
            await Task.WhenAny([.. signals, Task.Delay(remaining, time, timeout.Token)]);
            await timeout.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The leader learns each follower's log end offset from its fetch; the error per partition, if any.</summary>
    private ErrorCode[] RecordFollowerProgress(FetchRequest request) =>
        [.. request.Partitions.Select(p => replicas.Find(p.Topic, p.Partition)?.OnFollowerFetch(request.ReplicaId, p.CurrentLeaderEpoch, p.FetchOffset) ?? ErrorCode.UnknownTopicOrPartition)];

    private (FetchResponse Response, long Bytes, bool Failed) ReadOnce(FetchRequest request, ErrorCode[]? followerErrors)
    {
        var response = new FetchResponse();
        long remaining = request.MaxBytes > 0 ? request.MaxBytes : DefaultMaxBytes;
        long total = 0;
        var failed = false;
        for (var i = 0; i < request.Partitions.Count; i++)
        {
            var wanted = request.Partitions[i];
            var result = new FetchPartitionResult { Topic = wanted.Topic, Partition = wanted.Partition, HighWatermark = -1, LogStartOffset = -1, LogEndOffset = -1 };
            response.Partitions.Add(result);
            var replica = replicas.Find(wanted.Topic, wanted.Partition);
            if (replica is null)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"{wanted.Topic}-{wanted.Partition} does not exist on this node");
                failed = true;
                continue;
            }
            var log = replica.Log;
            if (followerErrors is not null && followerErrors[i] != ErrorCode.None)
            {
                (result.ErrorCode, result.ErrorMessage) = (followerErrors[i], $"{log.Id}: replica fetch at leader epoch {wanted.CurrentLeaderEpoch} refused");
                failed = true;
                continue;
            }
            if (!replica.IsLeader)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.NotLeaderOrFollower, $"{log.Id} is not led by this node");
                failed = true;
                continue;
            }
            if (LeaderEpochCheck.Problem(wanted.CurrentLeaderEpoch, log.LeaderEpoch) is { } epochError)
            {
                (result.ErrorCode, result.ErrorMessage) = epochError;
                failed = true;
                continue;
            }
            // The first partition with data may exceed max_bytes by one batch, so a reader always progresses.
            var limit = (int)Math.Min(remaining, wanted.PartitionMaxBytes > 0 ? wanted.PartitionMaxBytes : int.MaxValue);
            if (limit <= 0 && total > 0)
            {
                (result.HighWatermark, result.LogStartOffset, result.LogEndOffset) = (log.HighWatermark, log.LogStartOffset, log.LogEndOffset);
                continue;
            }
            ReadResult read;
            try
            {
                read = log.Read(wanted.FetchOffset, Math.Max(limit, 1), upToLogEnd: request.ReplicaId >= 0);
            }
            catch (ObjectDisposedException)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"{wanted.Topic} was deleted");
                failed = true;
                continue;
            }
            (result.HighWatermark, result.LogStartOffset, result.LogEndOffset) = (read.HighWatermark, read.LogStartOffset, read.LogEndOffset);
            if (read.OutOfRange)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.OffsetOutOfRange, $"offset {wanted.FetchOffset} is outside [{read.LogStartOffset}, {read.LogEndOffset}]");
                failed = true;
                continue;
            }
            // The bytes were read into a fresh array that nothing else touches: wrap it without a copy.
            result.RecordBatches = UnsafeByteOperations.UnsafeWrap(read.Batches);
            total += read.Batches.Length;
            remaining -= read.Batches.Length;
        }
        return (response, total, failed);
    }
}
