using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// OffsetCommit (key 8), versions 2-9, into the coordinator's __consumer_offsets (<see cref="GroupCoordinator.CommitAsync"/>),
/// under the same rules as our SDK's commits: a member commits only partitions it holds, and a consumer that assigns
/// partitions itself (empty member id) commits only while the group has no members. The whole commit is stored or
/// refused at once, so every partition carries the same error. The retention time (versions 2-4) is ignored, as
/// Kafka has ignored it since 2.1; the committed leader epoch is not kept.
/// </summary>
internal sealed class OffsetCommitApi(GroupCoordinator coordinator) : IKafkaApi
{
    public short ApiKey => OffsetCommitRequest.ApiKey;

    public short LowestVersion => OffsetCommitRequest.LowestVersion;

    public short HighestVersion => OffsetCommitRequest.HighestVersion;

    public short FlexibleFrom => OffsetCommitRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = OffsetCommitRequest.Read(ref reader, request.Version);
        return RespondAsync(kafka);
    }

    private async Task<IKafkaMessage?> RespondAsync(OffsetCommitRequest kafka)
    {
        short error;
        if (CoordinatorLocator.InvalidGroupId(kafka.GroupId) is not null)
        {
            error = KafkaErrors.InvalidGroupId;
        }
        else
        {
            var ours = new V1.OffsetCommitRequest { GroupId = kafka.GroupId, MemberId = kafka.MemberId, MemberEpoch = kafka.GenerationIdOrMemberEpoch };
            foreach (var topic in kafka.Topics)
            {
                foreach (var partition in topic.Partitions)
                {
                    ours.Partitions.Add(new V1.OffsetCommitPartition { Topic = topic.Name, Partition = partition.PartitionIndex, Offset = partition.CommittedOffset, Metadata = partition.CommittedMetadata ?? string.Empty });
                }
            }
            error = (short)(await coordinator.CommitAsync(ours)).ErrorCode;
        }
        return new OffsetCommitResponse
        {
            Topics = [.. kafka.Topics.Select(t => new OffsetCommitResponse.OffsetCommitResponseTopic
            {
                Name = t.Name,
                Partitions = [.. t.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponseTopic.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = error })],
            })],
        };
    }
}
