using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// One consumer group's members and assignment, as its coordinator keeps them in memory (KIP-848, simplified):
/// every change of membership, subscription or partition count bumps the group epoch and recomputes the target
/// assignment; a member is given its target minus the partitions another member still holds (reported owning,
/// or was given and has not reported since), so a partition moves only after its old owner released it (and
/// could commit first). Not thread-safe: the
/// coordinator locks the group.
/// </summary>
internal sealed class ConsumerGroup(int offsetsLeaderEpoch, TimeProvider time)
{
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);
    private Dictionary<string, HashSet<(string Topic, int Partition)>> _target = [];
    private Dictionary<string, int> _partitionCounts = new(StringComparer.Ordinal);
    private string? _assignor;
    private int _epoch;

    private sealed class Member(string id)
    {
        public string Id { get; } = id;

        public int Epoch { get; set; }

        public HashSet<string> Topics { get; set; } = new(StringComparer.Ordinal);

        public TimeSpan SessionTimeout { get; set; }

        public long LastHeard { get; set; }

        public HashSet<(string Topic, int Partition)> Owned { get; set; } = [];

        /// <summary>What the last answer gave it: it may hold these before its next heartbeat reports them.</summary>
        public HashSet<(string Topic, int Partition)> Given { get; set; } = [];

        /// <summary>Partitions no one else may be given yet: what it reported owning, and what it was just given.</summary>
        public IEnumerable<(string Topic, int Partition)> Holds => Owned.Concat(Given);
    }

    /// <summary>The leader epoch of the __consumer_offsets partition when this state was created: a later leadership starts afresh.</summary>
    public int OffsetsLeaderEpoch { get; } = offsetsLeaderEpoch;

    public bool HasMembers => _members.Count > 0;

    public bool IsMember(string memberId) => _members.ContainsKey(memberId);

    /// <summary>Whether the member holds the partition now (reported owning it, or was just given it): only then may it commit for it.</summary>
    public bool Holds(string memberId, string topic, int partition) =>
        _members.TryGetValue(memberId, out var member) && member.Holds.Contains((topic, partition));

    /// <summary>Handles one heartbeat; <paramref name="partitionCount"/> gives a topic's partition count, or null if it does not exist.</summary>
    public ConsumerGroupHeartbeatResponse Heartbeat(ConsumerGroupHeartbeatRequest request, Func<string, int?> partitionCount)
    {
        if (request.MemberEpoch == -1)
        {
            if (_members.Remove(request.MemberId))
            {
                Recompute(partitionCount);
            }
            return new ConsumerGroupHeartbeatResponse { MemberId = request.MemberId, MemberEpoch = -1 };
        }
        if (request.MemberEpoch == 0 && !Assignors.IsKnown(request.Assignor))
        {
            return Error(ErrorCode.InvalidRequest, $"unknown assignor '{request.Assignor}': use {Assignors.Range} or {Assignors.Uniform}");
        }
        Member? member;
        if (request.MemberEpoch == 0)
        {
            member = new Member(request.MemberId.Length > 0 ? request.MemberId : Guid.NewGuid().ToString("N"));
            _members[member.Id] = member;
            _assignor ??= request.Assignor;
        }
        else if (!_members.TryGetValue(request.MemberId, out member))
        {
            return Error(ErrorCode.UnknownMemberId, $"member {request.MemberId} is not in the group (it left, its session expired, or the coordinator moved): join again");
        }
        else if (request.MemberEpoch > member.Epoch)
        {
            return Error(ErrorCode.FencedMemberEpoch, $"member {member.Id} sent epoch {request.MemberEpoch}, the coordinator gave {member.Epoch}: join again");
        }
        member.LastHeard = time.GetTimestamp();
        member.SessionTimeout = TimeSpan.FromMilliseconds(Math.Max(1, request.SessionTimeoutMs));
        member.Owned = [.. request.Owned.SelectMany(t => t.Partitions.Select(p => (t.Topic, p)))];
        var topics = new HashSet<string>(request.SubscribedTopics, StringComparer.Ordinal);
        if (request.MemberEpoch == 0 || !topics.SetEquals(member.Topics) || CountsChanged(partitionCount))
        {
            member.Topics = topics;
            Recompute(partitionCount);
        }
        member.Epoch = _epoch;
        var response = new ConsumerGroupHeartbeatResponse { MemberId = member.Id, MemberEpoch = member.Epoch };
        var heldByOthers = _members.Values.Where(m => m != member).SelectMany(m => m.Holds).ToHashSet();
        member.Given = [.. _target.GetValueOrDefault(member.Id, []).Where(p => !heldByOthers.Contains(p))];
        foreach (var topic in member.Given.GroupBy(p => p.Topic))
        {
            var partitions = new TopicPartitions { Topic = topic.Key };
            partitions.Partitions.Add(topic.Select(p => p.Partition).Order());
            response.Assignment.Add(partitions);
        }
        return response;
    }

    /// <summary>Removes members silent for longer than their session timeout; their partitions go to the others.</summary>
    public int ExpireSilent(Func<string, int?> partitionCount)
    {
        var silent = _members.Values.Where(m => time.GetElapsedTime(m.LastHeard) > m.SessionTimeout).Select(m => m.Id).ToList();
        foreach (var id in silent)
        {
            _members.Remove(id);
        }
        if (silent.Count > 0)
        {
            Recompute(partitionCount);
        }
        return silent.Count;
    }

    private bool CountsChanged(Func<string, int?> partitionCount) =>
        _members.Values.SelectMany(m => m.Topics).Distinct().Any(t => partitionCount(t) != _partitionCounts.GetValueOrDefault(t) && partitionCount(t) is not null);

    private void Recompute(Func<string, int?> partitionCount)
    {
        _epoch++;
        _partitionCounts = _members.Values.SelectMany(m => m.Topics).Distinct()
            .Select(t => (Topic: t, Count: partitionCount(t)))
            .Where(t => t.Count is > 0)
            .ToDictionary(t => t.Topic, t => t.Count!.Value, StringComparer.Ordinal);
        var members = _members.Values.OrderBy(m => m.Id, StringComparer.Ordinal).Select(m => (m.Id, (IReadOnlySet<string>)m.Topics)).ToList();
        _target = Assignors.Assign(_assignor ?? Assignors.Uniform, members, _partitionCounts);
    }

    private static ConsumerGroupHeartbeatResponse Error(ErrorCode code, string message) => new() { ErrorCode = code, ErrorMessage = message };
}
