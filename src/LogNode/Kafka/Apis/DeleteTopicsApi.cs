using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Services;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// DeleteTopics (key 20), versions 0-6, through the gRPC listener's path (<see cref="TopicAdmin"/>): by name, or
/// (version 6) by name or topic id; an unknown id is UNKNOWN_TOPIC_ID. A change the controller does not take
/// within the request's timeout is REQUEST_TIMED_OUT.
/// </summary>
internal sealed class DeleteTopicsApi(TopicAdmin topics, IMetadataQuorum quorum) : IKafkaApi
{
    public short ApiKey => DeleteTopicsRequest.ApiKey;

    public short LowestVersion => DeleteTopicsRequest.LowestVersion;

    public short HighestVersion => DeleteTopicsRequest.HighestVersion;

    public short FlexibleFrom => DeleteTopicsRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = DeleteTopicsRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka, request.Version, cancellationToken);
    }

    private async Task<IKafkaMessage?> RespondAsync(DeleteTopicsRequest kafka, short version, CancellationToken cancellationToken)
    {
        var image = quorum.Image;
        // Each asked topic: its name (null for an unknown id) and id as asked.
        List<(string? Name, Guid TopicId)> asked = version >= 6
            ? [.. kafka.Topics.Select(t => (t.Name ?? KafkaTopicIds.Find(image, t.TopicId)?.Name, t.TopicId))]
            : [.. kafka.TopicNames.Select(n => ((string?)n, Guid.Empty))];
        var ours = new V1.DeleteTopicsRequest();
        ours.Names.Add(asked.Where(a => a.Name is not null).Select(a => a.Name!).Distinct(StringComparer.Ordinal));
        var results = new Dictionary<string, (short Error, string? Message)>(StringComparer.Ordinal);
        if (ours.Names.Count > 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromMilliseconds(kafka.TimeoutMs > 0 ? kafka.TimeoutMs : 30_000));
            try
            {
                foreach (var result in (await topics.DeleteAsync(ours, timeout.Token)).Results)
                {
                    results[result.Name] = ((short)result.ErrorCode, result.ErrorCode == V1.ErrorCode.None ? null : result.ErrorMessage);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                foreach (var name in ours.Names)
                {
                    results[name] = ((short)V1.ErrorCode.RequestTimedOut, "no controller took the change within the request's timeout");
                }
            }
        }
        return new DeleteTopicsResponse
        {
            Responses = [.. asked.Select(a =>
            {
                var (error, message) = a.Name is null ? (KafkaErrors.UnknownTopicId, "no topic has this id") : results.GetValueOrDefault(a.Name);
                return new DeleteTopicsResponse.DeletableTopicResult { Name = a.Name ?? (version >= 6 ? null : string.Empty), TopicId = a.TopicId, ErrorCode = error, ErrorMessage = message };
            })],
        };
    }
}
