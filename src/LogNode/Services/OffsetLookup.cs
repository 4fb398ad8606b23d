using LogCluster.LogNode.Storage;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Services;

/// <summary>ListOffsets: earliest (-2), latest (-1, the high watermark) or the first batch at or after a time.</summary>
internal sealed class OffsetLookup(LogManager logs)
{
    public const long Earliest = -2;
    public const long Latest = -1;

    public ListOffsetsResponse Lookup(ListOffsetsRequest request)
    {
        var response = new ListOffsetsResponse();
        foreach (var wanted in request.Partitions)
        {
            var result = new ListOffsetsPartitionResult { Topic = wanted.Topic, Partition = wanted.Partition, Offset = -1, TimestampMs = -1 };
            response.Partitions.Add(result);
            var log = logs.FindPartition(wanted.Topic, wanted.Partition);
            if (log is null)
            {
                (result.ErrorCode, result.ErrorMessage) = (ErrorCode.UnknownTopicOrPartition, $"{wanted.Topic}-{wanted.Partition} does not exist on this node");
                continue;
            }
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
}
