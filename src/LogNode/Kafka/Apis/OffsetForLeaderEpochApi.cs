using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Services;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// OffsetForLeaderEpoch (key 23), versions 2-4, on the lookup our followers use (<see cref="OffsetLookup.EpochEnds"/>):
/// a consumer that saw a leader change asks where the epoch of its last fetched record ends, and moves back if its
/// position is past it (its old leader's tail was truncated, KIP-320).
/// </summary>
internal sealed class OffsetForLeaderEpochApi(OffsetLookup lookup) : IKafkaApi
{
    public short ApiKey => OffsetForLeaderEpochRequest.ApiKey;

    public short LowestVersion => OffsetForLeaderEpochRequest.LowestVersion;

    public short HighestVersion => OffsetForLeaderEpochRequest.HighestVersion;

    public short FlexibleFrom => OffsetForLeaderEpochRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = OffsetForLeaderEpochRequest.Read(ref reader, request.Version);
        var ours = new V1.OffsetForLeaderEpochRequest { ReplicaId = -1 };
        foreach (var topic in kafka.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                ours.Partitions.Add(new V1.OffsetForLeaderEpochPartition
                {
                    Topic = topic.Topic,
                    Partition = partition.Partition,
                    CurrentLeaderEpoch = partition.CurrentLeaderEpoch,
                    LeaderEpoch = partition.LeaderEpoch,
                });
            }
        }
        var results = lookup.EpochEnds(ours).Partitions.GetEnumerator();
        var answer = new OffsetForLeaderEpochResponse();
        foreach (var topic in kafka.Topics)
        {
            var topicAnswer = new OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult { Topic = topic.Topic };
            foreach (var partition in topic.Partitions)
            {
                results.MoveNext();
                var result = results.Current;
                topicAnswer.Partitions.Add(new()
                {
                    ErrorCode = (short)result.ErrorCode,
                    Partition = partition.Partition,
                    LeaderEpoch = result.LeaderEpoch,
                    EndOffset = result.EndOffset,
                });
            }
            answer.Topics.Add(topicAnswer);
        }
        return Task.FromResult<IKafkaMessage?>(answer);
    }
}
