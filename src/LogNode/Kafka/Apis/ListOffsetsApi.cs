using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Services;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// ListOffsets (key 2), versions 1-6, on the gRPC listener's lookup (<see cref="OffsetLookup"/>): -2 the log start,
/// -1 the high watermark (also for read_committed: transactions are not built yet, so the last stable offset is
/// the high watermark), a time the first record at or after it. The leader epoch answered is the partition's current one.
/// </summary>
internal sealed class ListOffsetsApi(OffsetLookup lookup) : IKafkaApi
{
    public short ApiKey => ListOffsetsRequest.ApiKey;

    public short LowestVersion => ListOffsetsRequest.LowestVersion;

    /// <summary>Version 7 is not served: it adds -3 (the record with the largest timestamp), which is not looked up yet.</summary>
    public short HighestVersion => 6;

    public short FlexibleFrom => ListOffsetsRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = ListOffsetsRequest.Read(ref reader, request.Version);
        var ours = new V1.ListOffsetsRequest();
        foreach (var topic in kafka.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                ours.Partitions.Add(new V1.ListOffsetsPartition
                {
                    Topic = topic.Name,
                    Partition = partition.PartitionIndex,
                    TimestampMs = partition.Timestamp,
                    CurrentLeaderEpoch = partition.CurrentLeaderEpoch,
                });
            }
        }
        var results = lookup.Lookup(ours).Partitions.GetEnumerator();
        var answer = new ListOffsetsResponse();
        foreach (var topic in kafka.Topics)
        {
            var topicAnswer = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            foreach (var partition in topic.Partitions)
            {
                results.MoveNext();
                var result = results.Current;
                topicAnswer.Partitions.Add(new()
                {
                    PartitionIndex = partition.PartitionIndex,
                    ErrorCode = (short)result.ErrorCode,
                    Timestamp = result.TimestampMs,
                    Offset = result.Offset,
                    LeaderEpoch = result.LeaderEpoch,
                });
            }
            answer.Topics.Add(topicAnswer);
        }
        return Task.FromResult<IKafkaMessage?>(answer);
    }
}
