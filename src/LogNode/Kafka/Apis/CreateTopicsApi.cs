using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Services;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// CreateTopics (key 19), versions 0-7, through the gRPC listener's path (<see cref="TopicAdmin"/>): the same
/// validation, controller write and wait until this node sees the topics. -1 partitions is 1 and -1 replication
/// factor is 3 or the number of live nodes if fewer (Kafka's broker takes num.partitions and
/// default.replication.factor; ours are not settings yet). Replicas chosen by the client are refused with
/// INVALID_REQUEST. A change the controller does not take within the request's timeout is REQUEST_TIMED_OUT.
/// </summary>
internal sealed class CreateTopicsApi(TopicAdmin topics, IMetadataQuorum quorum) : IKafkaApi
{
    private const int DefaultPartitions = 1;
    private const int DefaultReplicationFactor = 3;

    public short ApiKey => CreateTopicsRequest.ApiKey;

    public short LowestVersion => CreateTopicsRequest.LowestVersion;

    public short HighestVersion => CreateTopicsRequest.HighestVersion;

    public short FlexibleFrom => CreateTopicsRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = CreateTopicsRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka, cancellationToken);
    }

    private async Task<IKafkaMessage?> RespondAsync(CreateTopicsRequest kafka, CancellationToken cancellationToken)
    {
        var liveNodes = Math.Max(1, quorum.Image.LiveNodes.Count());
        var ours = new V1.CreateTopicsRequest { ValidateOnly = kafka.ValidateOnly };
        var refused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var topic in kafka.Topics)
        {
            if (topic.Assignments.Count > 0)
            {
                refused[topic.Name] = "replicas chosen by the client are not supported: give a partition count and replication factor";
                continue;
            }
            var spec = new V1.TopicSpec
            {
                Name = topic.Name,
                Partitions = topic.NumPartitions == -1 ? DefaultPartitions : topic.NumPartitions,
                ReplicationFactor = topic.ReplicationFactor == -1 ? Math.Min(DefaultReplicationFactor, liveNodes) : topic.ReplicationFactor,
            };
            foreach (var config in topic.Configs.Where(c => c.Value is not null))
            {
                spec.Configs[config.Name] = config.Value!;
            }
            ours.Topics.Add(spec);
        }
        var results = new Dictionary<string, (short Error, string? Message)>(StringComparer.Ordinal);
        if (ours.Topics.Count > 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(kafka.TimeoutMs > 0 ? kafka.TimeoutMs : 30_000));
            try
            {
                foreach (var result in (await topics.CreateAsync(ours, timeout.Token)).Results)
                {
                    results[result.Name] = ((short)result.ErrorCode, result.ErrorCode == V1.ErrorCode.None ? null : result.ErrorMessage);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                foreach (var spec in ours.Topics)
                {
                    results[spec.Name] = ((short)V1.ErrorCode.RequestTimedOut, "no controller took the change within the request's timeout");
                }
            }
        }
        var image = quorum.Image;
        return new CreateTopicsResponse
        {
            Topics = [.. kafka.Topics.Select(t =>
            {
                var (error, message) = refused.TryGetValue(t.Name, out var why) ? (KafkaErrors.InvalidRequest, why) : results.GetValueOrDefault(t.Name);
                var created = error == KafkaErrors.None && image.Topics.TryGetValue(t.Name, out var info) ? info : null;
                return new CreateTopicsResponse.CreatableTopicResult
                {
                    Name = t.Name,
                    TopicId = created is null ? Guid.Empty : KafkaTopicIds.Of(created),
                    ErrorCode = error,
                    ErrorMessage = message,
                    NumPartitions = created?.Partitions.Length ?? -1,
                    ReplicationFactor = (short)(created?.Partitions.FirstOrDefault()?.Replicas.Length ?? -1),
                    // Described (as none) with the partitions: Java's admin client reads the configs of a created topic.
                    Configs = created is null ? null : [],
                };
            })],
        };
    }
}
