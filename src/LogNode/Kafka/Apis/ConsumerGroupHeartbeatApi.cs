using System.Collections.Concurrent;
using LogCluster.LogNode.Groups;
using LogCluster.LogNode.Kafka.Wire;
using LogCluster.LogNode.Kafka.Wire.Messages;
using LogCluster.LogNode.Metadata;
using Microsoft.Extensions.Options;
using V1 = LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Kafka.Apis;

/// <summary>
/// ConsumerGroupHeartbeat (key 68), versions 0-1: Kafka's consumer group protocol (KIP-848) on the one group
/// coordinator our SDK's consumers use (<see cref="GroupCoordinator"/>), so Kafka clients with
/// <c>group.protocol=consumer</c> and our consumers can share a group. What Kafka's request leaves null (unchanged
/// since the member's last heartbeat: its subscription, assignor, owned partitions) is filled in from the member's
/// last full heartbeat, kept here; the session timeout and heartbeat interval are the node's
/// (--group-consumer-session-timeout-ms, --group-consumer-heartbeat-interval-ms), as Kafka's broker sets them.
/// Partitions travel as topic ids. The assignment is sent when the member joins, on a full request, and whenever
/// it changes; the views of members gone silent are swept.
/// Subscribing by regular expression (version 1) is not supported: INVALID_REQUEST.
/// </summary>
internal sealed class ConsumerGroupHeartbeatApi(GroupCoordinator coordinator, IMetadataQuorum quorum, IOptions<NodeOptions> options, TimeProvider time) : IKafkaApi
{
    /// <summary>Each member's last full view and the assignment last sent to it, by (group, member id).</summary>
    private readonly ConcurrentDictionary<(string Group, string Member), MemberView> _members = new();

    /// <summary>When views were last swept for members gone silent (killed, expired, moved to another coordinator).</summary>
    private long _lastSweep;

    public short ApiKey => ConsumerGroupHeartbeatRequest.ApiKey;

    public short LowestVersion => ConsumerGroupHeartbeatRequest.LowestVersion;

    public short HighestVersion => ConsumerGroupHeartbeatRequest.HighestVersion;

    public short FlexibleFrom => ConsumerGroupHeartbeatRequest.FlexibleFrom;

    public Task<IKafkaMessage?> HandleAsync(KafkaRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader();
        var kafka = ConsumerGroupHeartbeatRequest.Read(ref reader, request.Version);
        return Task.FromResult<IKafkaMessage?>(Handle(kafka));
    }

    private ConsumerGroupHeartbeatResponse Handle(ConsumerGroupHeartbeatRequest kafka)
    {
        if (CoordinatorLocator.InvalidGroupId(kafka.GroupId) is { } invalid)
        {
            return Error(KafkaErrors.InvalidGroupId, invalid);
        }
        if (!string.IsNullOrEmpty(kafka.SubscribedTopicRegex))
        {
            return Error(KafkaErrors.InvalidRequest, "subscribing by regular expression is not supported: subscribe to topic names");
        }
        var key = (kafka.GroupId, kafka.MemberId);
        var leaving = kafka.MemberEpoch < 0;
        var known = _members.GetValueOrDefault(key);
        if (kafka.MemberEpoch == 0 && kafka.SubscribedTopicNames is null)
        {
            return Error(KafkaErrors.InvalidRequest, "a member joining (epoch 0) must name the topics it subscribes to");
        }
        var image = quorum.Image;
        var ours = new V1.ConsumerGroupHeartbeatRequest
        {
            GroupId = kafka.GroupId,
            MemberId = kafka.MemberId,
            // -2 is a static member leaving for a while; without static membership it leaves as any member does.
            MemberEpoch = leaving ? -1 : kafka.MemberEpoch,
            Assignor = kafka.ServerAssignor ?? known?.Assignor ?? Assignors.Uniform,
            SessionTimeoutMs = options.Value.GroupConsumerSessionTimeoutMs,
        };
        ours.SubscribedTopics.Add(kafka.SubscribedTopicNames ?? known?.Topics ?? []);
        ours.Owned.Add(kafka.TopicPartitions is { } owned ? ByName(image, owned) : known?.Owned ?? []);
        var answer = coordinator.Heartbeat(ours);
        if (answer.ErrorCode != V1.ErrorCode.None)
        {
            if (answer.ErrorCode is V1.ErrorCode.UnknownMemberId or V1.ErrorCode.FencedMemberEpoch)
            {
                _members.TryRemove(key, out _);
            }
            return Error((short)answer.ErrorCode, answer.ErrorMessage);
        }
        if (leaving)
        {
            _members.TryRemove(key, out _);
            return new ConsumerGroupHeartbeatResponse { MemberId = answer.MemberId, MemberEpoch = kafka.MemberEpoch, HeartbeatIntervalMs = options.Value.GroupConsumerHeartbeatIntervalMs };
        }
        var assignment = answer.Assignment.Select(t => (t.Topic, Partitions: t.Partitions.Order().ToArray())).OrderBy(t => t.Topic, StringComparer.Ordinal).ToList();
        // As Kafka's coordinator: on a join, on a full request (a member that lost an answer sends one), and on a change.
        var full = kafka.SubscribedTopicNames is not null && kafka.TopicPartitions is not null;
        var changed = kafka.MemberEpoch == 0 || full || known is null || !SameAssignment(known.LastSent, assignment);
        var now = time.GetTimestamp();
        _members[(kafka.GroupId, answer.MemberId)] = new MemberView(
            [.. ours.SubscribedTopics],
            ours.Assignor,
            [.. ours.Owned],
            assignment,
            now);
        SweepSilentMembers(now);
        return new ConsumerGroupHeartbeatResponse
        {
            MemberId = answer.MemberId,
            MemberEpoch = answer.MemberEpoch,
            HeartbeatIntervalMs = options.Value.GroupConsumerHeartbeatIntervalMs,
            Assignment = changed ? ById(image, assignment) : null,
        };
    }

    /// <summary>Owned partitions by topic name; ids of topics no longer there are dropped.</summary>
    private static List<V1.TopicPartitions> ByName(ClusterImage image, List<ConsumerGroupHeartbeatRequest.OwnedTopicPartitions> owned) =>
        [.. owned.Select(t => (Topic: KafkaTopicIds.Find(image, t.TopicId), t.Partitions))
            .Where(t => t.Topic is not null)
            .Select(t => new V1.TopicPartitions { Topic = t.Topic!.Name, Partitions = { t.Partitions } })];

    private static ConsumerGroupHeartbeatResponse.TargetAssignment ById(ClusterImage image, List<(string Topic, int[] Partitions)> assignment) => new()
    {
        TopicPartitions = [.. assignment
            .Where(t => image.Topics.ContainsKey(t.Topic))
            .Select(t => new ConsumerGroupHeartbeatResponse.TargetAssignment.AssignedTopicPartitions { TopicId = KafkaTopicIds.Of(image.Topics[t.Topic]), Partitions = [.. t.Partitions] })],
    };

    private static bool SameAssignment(List<(string Topic, int[] Partitions)> a, List<(string Topic, int[] Partitions)> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Topic == p.Second.Topic && p.First.Partitions.SequenceEqual(p.Second.Partitions));

    private static ConsumerGroupHeartbeatResponse Error(short code, string message) => new() { ErrorCode = code, ErrorMessage = message, MemberEpoch = -1 };

    /// <summary>
    /// Drops the views of members not heard from for twice the session timeout (the coordinator has removed them
    /// by then; one coming back gets UNKNOWN_MEMBER_ID and joins with a full request), at most once a session.
    /// </summary>
    private void SweepSilentMembers(long now)
    {
        var session = TimeSpan.FromMilliseconds(options.Value.GroupConsumerSessionTimeoutMs);
        var last = Interlocked.Read(ref _lastSweep);
        if (time.GetElapsedTime(last, now) < session || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }
        foreach (var (key, view) in _members)
        {
            if (time.GetElapsedTime(view.LastHeard, now) > 2 * session)
            {
                _members.TryRemove(new KeyValuePair<(string, string), MemberView>(key, view));
            }
        }
    }

    private sealed record MemberView(List<string> Topics, string Assignor, List<V1.TopicPartitions> Owned, List<(string Topic, int[] Partitions)> LastSent, long LastHeard);
}
