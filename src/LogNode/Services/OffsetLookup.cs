using LogCluster.LogNode.Replication;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>ListOffsets: earliest (-2), latest (-1, the high watermark) or the first batch at or after a time.</summary>
internal sealed class OffsetLookup(ReplicaManager replicas)
{
    public const long Earliest = -2;
    public const long Latest = -1;

    public ListOffsetsResponse Lookup(ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        foreach (var wanted in request.Partitions)
        {
            var result = new ListOffsetsPartitionResult { Topic = wanted.Topic, Partition = wanted.Partition, Offset = -1, TimestampMs = -1, LeaderEpoch = -1 };
            response.Partitions.Add(result);
            var replica = replicas.Find(wanted.Topic, wanted.Partition);
            if (replica is null)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"{wanted.Topic}-{wanted.Partition} does not exist on this node");
                continue;
            }
            if (!replica.IsLeader)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.NotLeaderOrFollower, $"{replica.Log.Id} is not led by this node");
                continue;
            }
            var log = replica.Log;
            if (wanted.HasCurrentLeaderEpoch && LeaderEpochCheck.Problem(wanted.CurrentLeaderEpoch, log.LeaderEpoch) is { } epochError)
            {
                (result.ErrorCode, result.ErrorMessage) = epochError;
                continue;
            }
            result.LeaderEpoch = log.LeaderEpoch;
            switch (wanted.TimestampMs)
            {
                case Earliest:
                    result.Offset = log.LogStartOffset;
                    break;
                case Latest:
                    result.Offset = log.HighWatermark;
                    break;
                case < 0:
                    (result.ErrorCode, result.ErrorMessage) = (ErrorCode.InvalidRequest, $"timestamp_ms {wanted.TimestampMs} is neither -2, -1 nor a time");
                    break;
                default:
                    try
                    {
                        result.Offset = log.OffsetForTimestamp(wanted.TimestampMs) ?? -1;
                        result.TimestampMs = result.Offset >= 0 ? wanted.TimestampMs : -1;
                    }
                    catch (ObjectDisposedException)
                    {
                        (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"{wanted.Topic} was deleted");
                    }
                    break;
            }
        }
        return response;
    }

    /// <summary>Where each asked epoch ends in this leader's log, for followers looking for a diverged tail.</summary>
    public OffsetForLeaderEpochResponse EpochEnds(OffsetForLeaderEpochRequest request)
    {
        var response = new OffsetForLeaderEpochResponse();
        foreach (var wanted in request.Partitions)
        {
            var result = new EpochEndOffset { Topic = wanted.Topic, Partition = wanted.Partition, LeaderEpoch = -1, EndOffset = -1 };
            response.Partitions.Add(result);
            var replica = replicas.Find(wanted.Topic, wanted.Partition);
            if (replica is null)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"{wanted.Topic}-{wanted.Partition} does not exist on this node");
                continue;
            }
            if (!replica.IsLeader)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.NotLeaderOrFollower, $"{wanted.Topic}-{wanted.Partition} is not led by this node");
                continue;
            }
            if (LeaderEpochCheck.Problem(wanted.CurrentLeaderEpoch, replica.Log.LeaderEpoch) is { } epochError)
            {
                (result.ErrorCode, result.ErrorMessage) = epochError;
                continue;
            }
            (result.LeaderEpoch, result.EndOffset) = replica.Log.EndOffsetForEpoch(wanted.LeaderEpoch);
        }
        return response;
    }
}
