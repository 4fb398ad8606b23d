using System.Collections.Concurrent;
using Google.Protobuf;
using LogCluster.LogNode.Replication;
using LogCluster.LogNode.Services;
using LogCluster.Protocol.V1;
using Microsoft.Extensions.Options;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// The group coordinator of every group whose __consumer_offsets partition this node leads: membership and
/// assignment in memory (<see cref="ConsumerGroup"/>), committed offsets in the partition itself, written through
/// the produce path with acks=all and read back into memory when leadership starts (<see cref="CommittedOffsets"/>).
/// Any call for a group whose partition this node does not lead gets NOT_COORDINATOR.
/// </summary>
internal sealed partial class GroupCoordinator(ReplicaManager replicas, ProduceHandler produce, OffsetsTopic topic, TimeProvider time, IOptions<NodeOptions> options)
{
    private const int CommitTimeoutMs = 10_000;
    private readonly ConcurrentDictionary<int, CommittedOffsets> _offsets = new();
    private readonly ConcurrentDictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, SemaphoreSlim> _commitOrder = new();

    public ConsumerGroupHeartbeatResponse Heartbeat(ConsumerGroupHeartbeatRequest request)
    {
        if (Coordinating(request.GroupId) is not { } epoch)
        {
            return new ConsumerGroupHeartbeatResponse { ErrorCode = ErrorCode.NotCoordinator, ErrorMessage = NotCoordinator(request.GroupId) };
        }
        if (request.MemberEpoch == 0 && ClassicHasMembers(request.GroupId, epoch))
        {
            return new ConsumerGroupHeartbeatResponse { ErrorCode = ErrorCode.InconsistentGroupProtocol, ErrorMessage = $"group '{request.GroupId}' has members on the classic group protocol: a group uses one protocol at a time" };
        }
        var group = Group(request.GroupId, epoch);
        lock (group)
        {
            return group.Heartbeat(request, PartitionCount);
        }
    }

    public async Task<OffsetCommitResponse> CommitAsync(OffsetCommitRequest request)
    {
        var partition = topic.PartitionFor(request.GroupId);
        if (Coordinating(request.GroupId) is not { } epoch || await LoadedAsync(partition, epoch) is not { } offsets)
        {
            return new OffsetCommitResponse { ErrorCode = ErrorCode.NotCoordinator, ErrorMessage = NotCoordinator(request.GroupId) };
        }
        if ((IsClassicCommit(request, epoch, out var classicRefusal) ? classicRefusal : Refusal(Group(request.GroupId, epoch), request)) is { } refused)
        {
            return refused;
        }
        // Commits of one partition are appended and applied one at a time, so memory ends as the log does.
        var order = _commitOrder.GetOrAdd(partition, _ => new SemaphoreSlim(1, 1));
        await order.WaitAsync().ConfigureAwait(false);
        try
        {
            return await AppendAsync(request, partition, offsets).ConfigureAwait(false);
        }
        finally
        {
            order.Release();
        }
    }

    /// <summary>
    /// Why the group refuses this commit, or null: a member commits only partitions it holds (so one whose
    /// session expired cannot move an offset under the partition's new owner); a consumer that assigns itself
    /// commits only while the group has no members.
    /// </summary>
    private static OffsetCommitResponse? Refusal(ConsumerGroup group, OffsetCommitRequest request)
    {
        lock (group)
        {
            if (request.MemberId.Length == 0)
            {
                return group.HasMembers
                    ? new OffsetCommitResponse { ErrorCode = ErrorCode.UnknownMemberId, ErrorMessage = $"group {request.GroupId} has members; only they may commit" }
                    : null;
            }
            if (!group.IsMember(request.MemberId))
            {
                return new OffsetCommitResponse { ErrorCode = ErrorCode.UnknownMemberId, ErrorMessage = $"member {request.MemberId} is not in group {request.GroupId}: its partitions may be someone else's now" };
            }
            var foreign = request.Partitions.FirstOrDefault(p => !group.Holds(request.MemberId, p.Topic, p.Partition));
            return foreign is null
                ? null
                : new OffsetCommitResponse { ErrorCode = ErrorCode.FencedMemberEpoch, ErrorMessage = $"{foreign.Topic}-{foreign.Partition} is not assigned to member {request.MemberId}" };
        }
    }

    private async Task<OffsetCommitResponse> AppendAsync(OffsetCommitRequest request, int partition, CommittedOffsets offsets)
    {
        var nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        var append = new ProduceRequest { CorrelationId = 0, Acks = Acks.All, TimeoutMs = CommitTimeoutMs };
        append.Batches.Add(new PartitionBatch
        {
            Topic = OffsetsTopic.Name,
            Partition = partition,
            RecordBatch = ByteString.CopyFrom(CommittedOffsets.Batch(request.GroupId, request.Partitions, nowMs)),
        });
        var result = (await produce.Handle(append).ConfigureAwait(false))!.Results[0];
        if (result.ErrorCode != ErrorCode.None)
        {
            // NOT_LEADER means the coordinator moved: the client finds it again, as after NOT_COORDINATOR.
            var code = result.ErrorCode == ErrorCode.NotLeaderOrFollower ? ErrorCode.NotCoordinator : result.ErrorCode;
            return new OffsetCommitResponse { ErrorCode = code, ErrorMessage = $"the commit was not stored: {result.ErrorMessage}" };
        }
        offsets.Apply(request.GroupId, request.Partitions, nowMs);
        return new OffsetCommitResponse();
    }

    public async Task<OffsetFetchResponse> FetchAsync(OffsetFetchRequest request)
    {
        if (Coordinating(request.GroupId) is not { } epoch || await LoadedAsync(topic.PartitionFor(request.GroupId), epoch) is not { } offsets)
        {
            return new OffsetFetchResponse { ErrorCode = ErrorCode.NotCoordinator, ErrorMessage = NotCoordinator(request.GroupId) };
        }
        var response = new OffsetFetchResponse();
        if (request.AllPartitions)
        {
            foreach (var (topicName, partition, committed) in offsets.All(request.GroupId))
            {
                response.Partitions.Add(new OffsetFetchPartition { Topic = topicName, Partition = partition, Offset = committed.Offset, Metadata = committed.Metadata });
            }
            return response;
        }
        foreach (var partitions in request.Partitions)
        {
            foreach (var partition in partitions.Partitions)
            {
                var committed = offsets.Get(request.GroupId, partitions.Topic, partition);
                response.Partitions.Add(new OffsetFetchPartition { Topic = partitions.Topic, Partition = partition, Offset = committed?.Offset ?? -1, Metadata = committed?.Metadata ?? "" });
            }
        }
        return response;
    }

    /// <summary>
    /// The groups this node coordinates now, with their state, type (classic or consumer) and protocol type: those with
    /// members, and those with committed offsets in a partition whose offsets it has loaded (every partition it
    /// has served a group call for since it became its leader), "Empty".
    /// </summary>
    public List<(string GroupId, string State, string Type, string ProtocolType)> ListGroups()
    {
        var groups = new Dictionary<string, (string State, string Type, string ProtocolType)>(StringComparer.Ordinal);
        foreach (var (partition, offsets) in _offsets)
        {
            if (replicas.Find(OffsetsTopic.Name, partition) is { IsLeader: true, Info: { } info } && info.LeaderEpoch == offsets.LeaderEpoch)
            {
                foreach (var groupId in offsets.GroupIds())
                {
                    // As Kafka lists a group that only committed offsets: an empty classic group.
                    groups[groupId] = ("Empty", "classic", string.Empty);
                }
            }
        }
        foreach (var (groupId, group) in _groups)
        {
            lock (group)
            {
                if (Coordinating(groupId) == group.OffsetsLeaderEpoch && group.HasMembers)
                {
                    groups[groupId] = ("Stable", "consumer", "consumer");
                }
            }
        }
        foreach (var (groupId, state, protocolType) in ClassicGroupStates())
        {
            groups[groupId] = (state, "classic", protocolType);
        }
        return [.. groups.Select(g => (g.Key, g.Value.State, g.Value.Type, g.Value.ProtocolType))];
    }

    /// <summary>Removes members whose sessions expired, in every group this node coordinates.</summary>
    public void ExpireSilentMembers()
    {
        foreach (var group in _groups.Values)
        {
            lock (group)
            {
                group.ExpireSilent(PartitionCount);
            }
        }
        TickClassicGroups();
    }

    /// <summary>The leader epoch of the group's __consumer_offsets partition when this node leads it; null otherwise.</summary>
    private int? Coordinating(string groupId)
    {
        var replica = replicas.Find(OffsetsTopic.Name, topic.PartitionFor(groupId));
        return replica is { IsLeader: true, Info: { } info } ? info.LeaderEpoch : null;
    }

    private ConsumerGroup Group(string groupId, int epoch) =>
        _groups.AddOrUpdate(groupId, _ => new ConsumerGroup(epoch, time), (_, existing) => existing.OffsetsLeaderEpoch == epoch ? existing : new ConsumerGroup(epoch, time));

    /// <summary>The partition's committed offsets for this leadership, read from the log the first time it is asked.</summary>
    private Task<CommittedOffsets?> LoadedAsync(int partition, int epoch)
    {
        if (_offsets.TryGetValue(partition, out var loaded) && loaded.LeaderEpoch == epoch)
        {
            return Task.FromResult<CommittedOffsets?>(loaded);
        }
        return Task.Run(() =>
        {
            if (replicas.Find(OffsetsTopic.Name, partition) is not { IsLeader: true } replica)
            {
                return null;
            }
            var fresh = CommittedOffsets.Load(replica.Log, epoch);
            return (CommittedOffsets?)_offsets.AddOrUpdate(partition, fresh, (_, existing) => existing.LeaderEpoch == epoch ? existing : fresh);
        });
    }

    private int? PartitionCount(string name) => replicas.Applied.Topics.TryGetValue(name, out var info) ? info.Partitions.Length : null;

    private string NotCoordinator(string groupId) =>
        $"this node does not lead {OffsetsTopic.Name}-{topic.PartitionFor(groupId)}, the partition of group '{groupId}': find the coordinator again";
}
