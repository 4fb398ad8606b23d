using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// OffsetFetch (key 9), versions 1-9, from the coordinator's committed offsets (<see cref="GroupCoordinator.FetchAsync"/>):
/// the listed partitions (offset -1 where the group committed none), or with a null topic list (version 2 and up)
/// every partition the group committed. Several groups at once from version 8. Committed leader epochs are not
/// kept (-1); require_stable needs no wait, as there are no transactions yet.
/// </summary>
internal sealed class OffsetFetchApi(GroupCoordinator coordinator) : IKafkaApi
{
    public short ApiKey => OffsetFetchRequest.ApiKey;

    public short LowestVersion => OffsetFetchRequest.LowestVersion;

    public short HighestVersion => OffsetFetchRequest.HighestVersion;

    public short FlexibleFrom => OffsetFetchRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = OffsetFetchRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka, request.Version);
    }

    private async Task<IKafkaMessage?> RespondAsync(OffsetFetchRequest kafka, short version)
    {
        if (version >= 8)
        {
            var groups = new List<OffsetFetchResponse.OffsetFetchResponseGroup>();
            foreach (var group in kafka.Groups)
            {
                var (error, topics) = await FetchAsync(group.GroupId, group.Topics?.Select(t => (t.Name, t.PartitionIndexes)));
                groups.Add(new()
                {
                    GroupId = group.GroupId,
                    ErrorCode = error,
                    Topics = [.. topics.Select(t => new OffsetFetchResponse.OffsetFetchResponseGroup.OffsetFetchResponseTopics
                    {
                        Name = t.Topic,
                        Partitions = [.. t.Partitions.Select(p => new OffsetFetchResponse.OffsetFetchResponseGroup.OffsetFetchResponseTopics.OffsetFetchResponsePartitions
                        {
                            PartitionIndex = p.Partition, CommittedOffset = p.Offset, Metadata = p.Metadata,
                        })],
                    })],
                });
            }
            return new OffsetFetchResponse { Groups = groups };
        }
        var (groupError, found) = await FetchAsync(kafka.GroupId, kafka.Topics?.Select(t => (t.Name, t.PartitionIndexes)));
        // Version 1 has no top-level error: a group-level one is given on every partition asked about.
        var partitionError = version < 2 ? groupError : KafkaErrors.None;
        if (groupError != KafkaErrors.None && version < 2)
        {
            found = [.. (kafka.Topics ?? []).Select(t => (t.Name, t.PartitionIndexes.Select(p => (p, -1L, (string?)string.Empty)).ToList()))];
        }
        return new OffsetFetchResponse
        {
            ErrorCode = version >= 2 ? groupError : KafkaErrors.None,
            Topics = [.. found.Select(t => new OffsetFetchResponse.OffsetFetchResponseTopic
            {
                Name = t.Topic,
                Partitions = [.. t.Partitions.Select(p => new OffsetFetchResponse.OffsetFetchResponseTopic.OffsetFetchResponsePartition
                {
                    PartitionIndex = p.Partition, CommittedOffset = p.Offset, Metadata = p.Metadata, ErrorCode = partitionError,
                })],
            })],
        };
    }

    /// <summary>The group's error, and the committed offsets by topic of the partitions asked (null: every committed one).</summary>
    private async Task<(short Error, List<(string Topic, List<(int Partition, long Offset, string? Metadata)> Partitions)> Topics)> FetchAsync(
        string groupId, IEnumerable<(string Topic, List<int> Partitions)>? asked)
    {
        if (CoordinatorLocator.InvalidGroupId(groupId) is not null)
        {
            return (KafkaErrors.InvalidGroupId, []);
        }
        var ours = new V1.OffsetFetchRequest { GroupId = groupId, AllPartitions = asked is null };
        foreach (var (topic, partitions) in asked ?? [])
        {
            ours.Partitions.Add(new V1.TopicPartitions { Topic = topic, Partitions = { partitions } });
        }
        var answer = await coordinator.FetchAsync(ours);
        if (answer.ErrorCode != V1.ErrorCode.None)
        {
            return ((short)answer.ErrorCode, []);
        }
        return (KafkaErrors.None, [.. answer.Partitions.GroupBy(p => p.Topic).Select(t => (t.Key, t.Select(p => (p.Partition, p.Offset, (string?)p.Metadata)).ToList()))]);
    }
}
