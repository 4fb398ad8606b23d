using Grpc.Core;
using LogCluster.LogNode.Cluster;
using LogCluster.LogNode.Metadata;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Replication;

/// <summary>
/// Keeps one follower replica in step with its leader for one leader epoch, as Kafka's replica fetcher: first it
/// cuts any tail that diverged from the leader's log (asking where its last epoch ends there, KIP-101/KIP-279),
/// then it long-polls Fetch from its log end offset, appends what comes exactly as the leader wrote it, and
/// takes the leader's high watermark. Stopped (cancelled) when the epoch or the leader changes.
/// </summary>
internal sealed class FollowerFetcher(PartitionReplica replica, PartitionInfo info, NodeInfo leader, int selfId, PeerChannels channels, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan _backoff = TimeSpan.FromMilliseconds(100);
    private const int MaxWaitMs = 500;
    private const int MaxBytes = 8 * 1024 * 1024;

    public async Task RunAsync(CancellationToken stopping)
    {
        var log = replica.Log;
        var truncated = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var client = new LogService.LogServiceClient(channels.For(leader.Host, leader.Port));
                if (!truncated)
                {
                    await TruncateDivergedTailAsync(client, stopping).ConfigureAwait(false);
                    truncated = true;
                }
                var request = new FetchRequest { ReplicaId = selfId, MaxWaitMs = MaxWaitMs, MinBytes = 1, MaxBytes = MaxBytes };
                request.Partitions.Add(new FetchPartition { Topic = info.Topic, Partition = info.Partition, FetchOffset = log.LogEndOffset, CurrentLeaderEpoch = info.LeaderEpoch, PartitionMaxBytes = MaxBytes });
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                attempt.CancelAfter(TimeSpan.FromMilliseconds(MaxWaitMs * 4));
                var response = await client.FetchAsync(request, cancellationToken: attempt.Token).ConfigureAwait(false);
                var result = response.Partitions[0];
                if (result.ErrorCode == ErrorCode.None)
                {
                    if (!result.RecordBatches.IsEmpty)
                    {
                        log.AppendAsFollower(result.RecordBatches.Memory);
                    }
                    log.AdvanceHighWatermark(result.HighWatermark);
                    continue;
                }
                // OFFSET_OUT_OF_RANGE: the leader's log ends before ours, so look for the divergence again. Other
                // errors: the leader is not (yet) at this epoch; the metadata will catch up and replace this fetcher.
                truncated = result.ErrorCode != ErrorCode.OffsetOutOfRange;
            }
            catch (RpcException e) when (!stopping.IsCancellationRequested)
            {
                if (e.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded)
                {
                    channels.Reset(leader.Host, leader.Port);
                }
            }
            catch (InvalidDataException e)
            {
                ReplicationLog.FollowerAppendFailed(logger, e, log.Id);
                truncated = false;
            }
            await Task.Delay(_backoff, time, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Asks the leader where our last epoch ends in its log and cuts ours there; when the leader's answer is an
    /// older epoch, ours after it diverged too, so repeat with the new last epoch (KIP-279).
    /// </summary>
    private async Task TruncateDivergedTailAsync(LogService.LogServiceClient client, CancellationToken stopping)
    {
        var log = replica.Log;
        var before = log.LogEndOffset;
        while (log.LastEpoch >= 0)
        {
            var request = new OffsetForLeaderEpochRequest { ReplicaId = selfId };
            request.Partitions.Add(new OffsetForLeaderEpochPartition { Topic = info.Topic, Partition = info.Partition, CurrentLeaderEpoch = info.LeaderEpoch, LeaderEpoch = log.LastEpoch });
            var response = await client.OffsetForLeaderEpochAsync(request, cancellationToken: stopping).ConfigureAwait(false);
            var answer = response.Partitions[0];
            if (answer.ErrorCode != ErrorCode.None)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"OffsetForLeaderEpoch: {answer.ErrorCode} {answer.ErrorMessage}"));
            }
            if (answer.LeaderEpoch < 0)
            {
                // The leader has no epoch as old as ours: only what was committed is certainly shared.
                log.TruncateTo(log.HighWatermark);
                break;
            }
            if (answer.LeaderEpoch == log.LastEpoch)
            {
                log.TruncateTo(Math.Min(answer.EndOffset, log.LogEndOffset));
                break;
            }
            var lastEpoch = log.LastEpoch;
            var (_, localEnd) = log.EndOffsetForEpoch(answer.LeaderEpoch);
            log.TruncateTo(Math.Min(answer.EndOffset, localEnd < 0 ? answer.EndOffset : localEnd));
            if (log.LastEpoch >= lastEpoch)
            {
                // Nothing of our later epoch was cut (its start is below the leader's end): the rest is shared.
                break;
            }
        }
        if (log.LogEndOffset < before)
        {
            ReplicationLog.TailTruncated(logger, log.Id, before, log.LogEndOffset, info.LeaderEpoch);
        }
    }
}
