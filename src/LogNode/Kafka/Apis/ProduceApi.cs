using Google.Protobuf;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Services;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// Produce (key 0), advertised from version 0 and served from 3 (RecordBatch v2, the only format this node stores):
/// each partition's records go, as a slice of the received frame, to the one produce path the gRPC listener uses
/// (<see cref="ProduceHandler"/>), so validation, idempotence, replication and acks are the same. acks=0 gets no
/// response, and an error there closes the connection (as Kafka's broker does). Older versions and transactional
/// producers are refused per partition; nothing of theirs is appended.
/// </summary>
internal sealed class ProduceApi(ProduceHandler produce) : IKafkaApi
{
    /// <summary>The first version whose records are RecordBatch v2 (magic 2).</summary>
    private const short FirstServedVersion = 3;

    public short ApiKey => ProduceRequest.ApiKey;

    public short LowestVersion => ProduceRequest.LowestVersion;

    public short HighestVersion => ProduceRequest.HighestVersion;

    public short FlexibleFrom => ProduceRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = ProduceRequest.Read(ref reader, request.Version);
        var refusal = request.Version < FirstServedVersion
            ? (KafkaErrors.UnsupportedVersion, $"Produce v{request.Version} carries a message format older than RecordBatch v2; use v3 or later")
            : kafka.TransactionalId is not null
                ? (KafkaErrors.InvalidRequest, "transactions are not supported yet")
                : ((short, string)?)null;
        if (refusal is { } refused)
        {
            return kafka.Acks == 0
                ? Task.FromException<IKafkaMessage?>(new KafkaCloseConnectionException($"an acks=0 produce was refused: {refused.Item2}"))
                : Task.FromResult<IKafkaMessage?>(Refuse(kafka, refused.Item1, refused.Item2));
        }
        var ours = new V1.ProduceRequest
        {
            Acks = kafka.Acks switch { 0 => V1.Acks.None, 1 => V1.Acks.Leader, -1 => V1.Acks.All, _ => V1.Acks.Unspecified },
            TimeoutMs = kafka.TimeoutMs,
        };
        foreach (var topic in kafka.TopicData)
        {
            foreach (var partition in topic.PartitionData)
            {
                ours.Batches.Add(new V1.PartitionBatch
                {
                    Topic = topic.Name,
                    Partition = partition.Index,
                    // The frame's bytes stay untouched until the response is written: no copy on the way to the log.
                    RecordBatch = UnsafeByteOperations.UnsafeWrap(partition.Records ?? ReadOnlyMemory<byte>.Empty),
                });
            }
        }
        return RespondAsync(produce.Handle(ours, reportUnacknowledged: true), kafka);
    }

    private static async Task<IKafkaMessage?> RespondAsync(Task<V1.ProduceResponse?> handled, ProduceRequest kafka)
    {
        var response = (await handled.ConfigureAwait(false))!;
        if (kafka.Acks == 0)
        {
            // Nobody reads an answer: as Kafka's broker does, an error closes the connection instead, so the client
            // refreshes its metadata (a leader that moved) rather than sending on into the void.
            return response.Results.FirstOrDefault(r => r.ErrorCode != V1.ErrorCode.None) is { } failed
                ? throw new KafkaCloseConnectionException($"an acks=0 produce to {failed.Topic}-{failed.Partition} failed with {failed.ErrorCode}: {failed.ErrorMessage}")
                : null;
        }
        // The results come in the order the batches were given: topic by topic, partition by partition.
        var results = response.Results.GetEnumerator();
        var answer = new ProduceResponse();
        foreach (var topic in kafka.TopicData)
        {
            var topicAnswer = new ProduceResponse.TopicProduceResponse { Name = topic.Name };
            foreach (var partition in topic.PartitionData)
            {
                results.MoveNext();
                var result = results.Current;
                topicAnswer.PartitionResponses.Add(new()
                {
                    Index = partition.Index,
                    ErrorCode = (short)result.ErrorCode,
                    BaseOffset = result.BaseOffset,
                    LogAppendTimeMs = result.LogAppendTimeMs,
                    LogStartOffset = result.LogStartOffset,
                    ErrorMessage = result.ErrorMessage.Length > 0 ? result.ErrorMessage : null,
                });
            }
            answer.Responses.Add(topicAnswer);
        }
        return answer;
    }

    private static ProduceResponse Refuse(ProduceRequest kafka, short error, string message) => new()
    {
        Responses = [.. kafka.TopicData.Select(t => new ProduceResponse.TopicProduceResponse
        {
            Name = t.Name,
            PartitionResponses = [.. t.PartitionData.Select(p => new ProduceResponse.TopicProduceResponse.PartitionProduceResponse
            {
                Index = p.Index,
                ErrorCode = error,
                BaseOffset = -1,
                ErrorMessage = message,
            })],
        })],
    };
}
