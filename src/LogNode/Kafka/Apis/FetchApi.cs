using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Services;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// Fetch (key 1), served from version 4 (RecordBatch v2, the only format this node stores) to 16, as a consumer's
/// long poll on the one fetch path the gRPC listener uses (<see cref="FetchHandler"/>): the same wait for
/// min_bytes, limits, leader and epoch checks and error codes. Without fetch sessions (KIP-227): every answer is
/// a full one with session id 0, listing exactly the partitions asked for, which tells a client that no session
/// was made. Transactions are not built yet, so the last stable offset is the high watermark and the aborted
/// transactions list is empty; the preferred read replica is always -1 (read from the leader).
/// </summary>
internal sealed class FetchApi(FetchHandler fetch, IMetadataQuorum quorum) : IKafkaApi
{
    /// <summary>The first version whose records are RecordBatch v2 (magic 2).</summary>
    private const short FirstServedVersion = 4;

    /// <summary>Fetch session ids this node never handed out; a client that names one starts again without.</summary>
    private const short FetchSessionIdNotFound = 70;

    public short ApiKey => FetchRequest.ApiKey;

    public short LowestVersion => FirstServedVersion;

    public short HighestVersion => FetchRequest.HighestVersion;

    public short FlexibleFrom => FetchRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = FetchRequest.Read(ref reader, request.Version);
        if (kafka.SessionId != 0)
        {
            return Task.FromResult<IKafkaMessage?>(new FetchResponse { ErrorCode = FetchSessionIdNotFound });
        }
        var image = quorum.Image;
        // Topics named by id (version 13 and up) are looked up; an unknown id is answered without asking the log.
        var names = kafka.Topics.Select(t => request.Version >= 13 ? KafkaTopicIds.Find(image, t.TopicId)?.Name : t.Topic).ToList();
        var ours = new V1.FetchRequest
        {
            // Always a consumer's read, up to the high watermark: a Kafka client is never one of our followers.
            ReplicaId = -1,
            MaxWaitMs = kafka.MaxWaitMs,
            MinBytes = kafka.MinBytes,
            MaxBytes = kafka.MaxBytes,
        };
        for (var t = 0; t < kafka.Topics.Count; t++)
        {
            if (names[t] is not { } name)
            {
                continue;
            }
            foreach (var partition in kafka.Topics[t].Partitions)
            {
                ours.Partitions.Add(new V1.FetchPartition
                {
                    Topic = name,
                    Partition = partition.Partition,
                    FetchOffset = partition.FetchOffset,
                    CurrentLeaderEpoch = partition.CurrentLeaderEpoch,
                    PartitionMaxBytes = partition.PartitionMaxBytes,
                });
            }
        }
        return RespondAsync(ours, kafka, names, cancellationToken);
    }

    private async Task<IKafkaMessage?> RespondAsync(V1.FetchRequest ours, FetchRequest kafka, List<string?> names, CancellationToken cancellationToken)
    {
        var response = ours.Partitions.Count > 0 ? await fetch.FetchAsync(ours, cancellationToken) : new V1.FetchResponse();
        // The results come in the order the partitions were given: topic by topic, partition by partition.
        var results = response.Partitions.GetEnumerator();
        var answer = new FetchResponse();
        for (var t = 0; t < kafka.Topics.Count; t++)
        {
            var topic = kafka.Topics[t];
            var topicAnswer = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            foreach (var partition in topic.Partitions)
            {
                if (names[t] is null)
                {
                    topicAnswer.Partitions.Add(new() { PartitionIndex = partition.Partition, ErrorCode = KafkaErrors.UnknownTopicId, HighWatermark = -1, Records = ReadOnlyMemory<byte>.Empty });
                    continue;
                }
                results.MoveNext();
                var result = results.Current;
                topicAnswer.Partitions.Add(new()
                {
                    PartitionIndex = partition.Partition,
                    ErrorCode = (short)result.ErrorCode,
                    HighWatermark = result.HighWatermark,
                    LastStableOffset = result.HighWatermark,
                    LogStartOffset = result.LogStartOffset,
                    AbortedTransactions = [],
                    Records = result.RecordBatches.Memory,
                });
            }
            answer.Responses.Add(topicAnswer);
        }
        return answer;
    }
}
