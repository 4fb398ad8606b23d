using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// One group on Kafka's classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), as its coordinator
/// keeps it in memory: the members join (a join that changes the group starts a rebalance, which completes once
/// every member has joined again or the rebalance timeout removed the rest), the coordinator names a leader and a
/// protocol (an assignor every member offers), the leader computes the assignment on the client side and hands
/// it over in its SyncGroup, and every member gets its part. The coordinator only relays the assignor's bytes.
/// Not thread-safe: the coordinator locks the group; the join and sync answers complete outside the lock.
/// </summary>
internal sealed class ClassicGroup(int offsetsLeaderEpoch, TimeProvider time, TimeSpan initialRebalanceDelay)
{
    private readonly Dictionary<string, Member> _members = new(StringComparer.Ordinal);

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED, and when, waiting for the join that uses them.</summary>
    private readonly Dictionary<string, long> _pendingIds = new(StringComparer.Ordinal);
    private GroupState _state = GroupState.Empty;
    private string? _protocolType;
    private string? _protocolName;
    private string? _leaderId;
    private long _rebalanceDeadline;
    private long _joinNotBefore;

    /// <summary>When members that have not sent their SyncGroup for the completing generation are removed.</summary>
    private long _syncDeadline;

    private enum GroupState
    {
        Empty,
        PreparingRebalance,
        CompletingRebalance,
        Stable,
    }

    private sealed class Member(string id)
    {
        public string Id { get; } = id;

        public TimeSpan SessionTimeout { get; set; }

        public TimeSpan RebalanceTimeout { get; set; }

        public List<(string Name, byte[] Metadata)> Protocols { get; set; } = [];

        public long LastHeard { get; set; }

        public byte[] Assignment { get; set; } = [];

        public TaskCompletionSource<JoinResult>? PendingJoin { get; set; }

        public TaskCompletionSource<SyncResult>? PendingSync { get; set; }

        /// <summary>Sent its SyncGroup for the generation being completed (waiting for the leader's, or answered).</summary>
        public bool Synced { get; set; }
    }

    /// <summary>The leader epoch of the __consumer_offsets partition when this state was created: a later leadership starts afresh.</summary>
    public int OffsetsLeaderEpoch { get; } = offsetsLeaderEpoch;

    public int Generation { get; private set; }

    public bool HasMembers => _members.Count > 0;

    /// <summary>
    /// Between the join's answer and the leader's assignment: a commit now gets REBALANCE_IN_PROGRESS, as Kafka's
    /// (while members are still joining, their current generation's commits are taken, so a cooperative member keeps
    /// committing what it still owns).
    /// </summary>
    public bool IsCompletingRebalance => _state == GroupState.CompletingRebalance;

    /// <summary>The state by Kafka's names (ListGroups, DescribeGroups).</summary>
    public string StateName => _state.ToString();

    /// <summary>The members' protocol type ("consumer" for consumers, "connect" for Kafka Connect workers...).</summary>
    public string? ProtocolType => _protocolType;

    public bool IsMember(string memberId) => _members.ContainsKey(memberId);

    /// <summary>No member and no member id handed out that a join may still use: nothing to keep in memory.</summary>
    public bool IsIdle => _members.Count == 0 && _pendingIds.Count == 0;

    /// <summary>
    /// A JoinGroup. The task completes when the rebalance it joins does (or at once with an error); a member id
    /// is handed out first with MEMBER_ID_REQUIRED when <paramref name="requireKnownMemberId"/> (version 4 and up).
    /// </summary>
    public Task<JoinResult> Join(JoinRequest request, bool requireKnownMemberId)
    {
        var now = time.GetTimestamp();
        if (request.ProtocolType.Length == 0 || request.Protocols.Count == 0)
        {
            return Failed(ErrorCode.InconsistentGroupProtocol, request.MemberId, "a member must name its protocol type and offer at least one protocol (assignor)");
        }
        if (_members.Count > 0 && (request.ProtocolType != _protocolType || !request.Protocols.Any(p => _members.Values.All(m => m.Protocols.Any(q => q.Name == p.Name)))))
        {
            return Failed(ErrorCode.InconsistentGroupProtocol, request.MemberId, $"protocol type '{request.ProtocolType}' or protocols [{string.Join(",", request.Protocols.Select(p => p.Name))}] do not match the group's members");
        }
        var memberId = request.MemberId;
        if (memberId.Length == 0)
        {
            memberId = $"{request.ClientId}-{Guid.NewGuid():N}";
            if (requireKnownMemberId)
            {
                _pendingIds[memberId] = now;
                return Failed(ErrorCode.MemberIdRequired, memberId, "join again with this member id");
            }
        }
        else if (!_members.ContainsKey(memberId) && !_pendingIds.Remove(memberId))
        {
            return Failed(ErrorCode.UnknownMemberId, memberId, $"member {memberId} is not in the group: join again without a member id");
        }
        if (!_members.TryGetValue(memberId, out var member))
        {
            _members[memberId] = member = new Member(memberId);
        }
        var changed = !SameProtocols(member.Protocols, request.Protocols);
        member.Protocols = [.. request.Protocols];
        member.SessionTimeout = request.SessionTimeout;
        member.RebalanceTimeout = request.RebalanceTimeout;
        member.LastHeard = now;
        _protocolType = request.ProtocolType;
        member.PendingJoin?.TrySetResult(Error(ErrorCode.UnknownMemberId, memberId, "superseded by a newer join of the same member"));
        var join = member.PendingJoin = new TaskCompletionSource<JoinResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_state is GroupState.Stable or GroupState.CompletingRebalance && !changed && memberId != _leaderId)
        {
            // A follower rejoining with nothing changed (its answer was lost, say): the current generation stands,
            // as Kafka answers it at once.
            member.PendingJoin = null;
            join.TrySetResult(Result(member, now));
            return join.Task;
        }
        PrepareRebalance(now);
        TryCompleteJoin(now);
        return join.Task;
    }

    /// <summary>A SyncGroup: the leader's assignments are handed out; the task completes when the member's part is known.</summary>
    public Task<SyncResult> Sync(string memberId, int generation, IReadOnlyList<(string MemberId, byte[] Assignment)> assignments)
    {
        if (!_members.TryGetValue(memberId, out var member))
        {
            return Task.FromResult(new SyncResult(ErrorCode.UnknownMemberId, null, null, []));
        }
        if (generation != Generation)
        {
            return Task.FromResult(new SyncResult(ErrorCode.IllegalGeneration, null, null, []));
        }
        member.LastHeard = time.GetTimestamp();
        switch (_state)
        {
            case GroupState.PreparingRebalance:
                return Task.FromResult(new SyncResult(ErrorCode.RebalanceInProgress, null, null, []));
            case GroupState.Stable:
                return Task.FromResult(new SyncResult(ErrorCode.None, _protocolType, _protocolName, member.Assignment));
        }
        member.PendingSync?.TrySetResult(new SyncResult(ErrorCode.RebalanceInProgress, null, null, []));
        var sync = member.PendingSync = new TaskCompletionSource<SyncResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        member.Synced = true;
        if (memberId == _leaderId)
        {
            // A member named twice gets the last of its assignments (a leader's bug must not fail the others' sync).
            var given = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (id, assignment) in assignments)
            {
                given[id] = assignment;
            }
            foreach (var each in _members.Values)
            {
                each.Assignment = given.GetValueOrDefault(each.Id, []);
            }
            _state = GroupState.Stable;
            foreach (var each in _members.Values.Where(m => m.PendingSync is not null))
            {
                each.PendingSync!.TrySetResult(new SyncResult(ErrorCode.None, _protocolType, _protocolName, each.Assignment));
                each.PendingSync = null;
            }
        }
        return sync.Task;
    }

    /// <summary>A Heartbeat: NONE while the member's generation stands, REBALANCE_IN_PROGRESS when it must join again.</summary>
    public ErrorCode Heartbeat(string memberId, int generation)
    {
        if (!_members.TryGetValue(memberId, out var member))
        {
            return ErrorCode.UnknownMemberId;
        }
        if (generation != Generation)
        {
            return ErrorCode.IllegalGeneration;
        }
        member.LastHeard = time.GetTimestamp();
        return _state == GroupState.PreparingRebalance ? ErrorCode.RebalanceInProgress : ErrorCode.None;
    }

    /// <summary>A member leaving (LeaveGroup): its partitions go to the others with the next rebalance.</summary>
    public ErrorCode Leave(string memberId)
    {
        if (!_members.ContainsKey(memberId))
        {
            return ErrorCode.UnknownMemberId;
        }
        Remove([memberId], time.GetTimestamp());
        return ErrorCode.None;
    }

    /// <summary>
    /// Called ten times a second: removes members whose session expired (outside a join they wait in) and, when a
    /// rebalance's deadline passed, those that did not join again; completes a join that became complete.
    /// </summary>
    public void Tick()
    {
        var now = time.GetTimestamp();
        foreach (var stale in _pendingIds.Where(p => time.GetElapsedTime(p.Value, now) > TimeSpan.FromMinutes(5)).Select(p => p.Key).ToList())
        {
            _pendingIds.Remove(stale);
        }
        // A member waiting in a join or a sync is alive: its request is its heartbeat.
        var expired = _members.Values
            .Where(m => m.PendingJoin is null && m.PendingSync is null && time.GetElapsedTime(m.LastHeard, now) > m.SessionTimeout)
            .Select(m => m.Id)
            .ToList();
        if (_state == GroupState.PreparingRebalance && now >= _rebalanceDeadline)
        {
            expired.AddRange(_members.Values.Where(m => m.PendingJoin is null).Select(m => m.Id));
        }
        if (_state == GroupState.CompletingRebalance && now >= _syncDeadline)
        {
            // Kafka's pending-sync timeout: whoever did not sync within the rebalance timeout (the leader above all,
            // whose assignment everyone waits for) is removed, and the rest rebalance without it.
            expired.AddRange(_members.Values.Where(m => !m.Synced).Select(m => m.Id));
        }
        if (expired.Count > 0)
        {
            Remove(expired.Distinct().ToList(), now);
        }
        TryCompleteJoin(now);
    }

    /// <summary>
    /// This node stopped coordinating the group (its __consumer_offsets partition moved): every join and sync still
    /// waiting is answered NOT_COORDINATOR at once, so the members find the new coordinator and no connection waits.
    /// </summary>
    public void Abandon()
    {
        foreach (var member in _members.Values)
        {
            member.PendingJoin?.TrySetResult(Error(ErrorCode.NotCoordinator, member.Id, "this node no longer coordinates the group: find the coordinator again"));
            member.PendingSync?.TrySetResult(new SyncResult(ErrorCode.NotCoordinator, null, null, []));
            (member.PendingJoin, member.PendingSync) = (null, null);
        }
    }

    private void Remove(IReadOnlyList<string> memberIds, long now)
    {
        foreach (var id in memberIds)
        {
            if (_members.Remove(id, out var gone))
            {
                gone.PendingJoin?.TrySetResult(Error(ErrorCode.UnknownMemberId, id, "removed from the group"));
                gone.PendingSync?.TrySetResult(new SyncResult(ErrorCode.UnknownMemberId, null, null, []));
            }
        }
        if (_members.Count == 0)
        {
            // Nobody left: the generation ends, and the next member starts a new group.
            Generation++;
            (_state, _leaderId, _protocolName, _protocolType) = (GroupState.Empty, null, null, null);
            return;
        }
        PrepareRebalance(now);
    }

    private void PrepareRebalance(long now)
    {
        if (_state == GroupState.CompletingRebalance)
        {
            // The generation being synced is over: its members join again.
            foreach (var member in _members.Values.Where(m => m.PendingSync is not null))
            {
                member.PendingSync!.TrySetResult(new SyncResult(ErrorCode.RebalanceInProgress, null, null, []));
                member.PendingSync = null;
            }
        }
        if (_state != GroupState.PreparingRebalance)
        {
            var longest = _members.Values.Max(m => m.RebalanceTimeout);
            _rebalanceDeadline = now + (long)(longest.TotalSeconds * time.TimestampFrequency);
            // A new group waits a moment for the others starting with it (Kafka's group.initial.rebalance.delay.ms),
            // instead of rebalancing once per member.
            _joinNotBefore = _state == GroupState.Empty ? now + (long)(initialRebalanceDelay.TotalSeconds * time.TimestampFrequency) : now;
            _state = GroupState.PreparingRebalance;
        }
    }

    private void TryCompleteJoin(long now)
    {
        if (_state != GroupState.PreparingRebalance || _members.Count == 0
            || _members.Values.Any(m => m.PendingJoin is null) || now < Math.Min(_joinNotBefore, _rebalanceDeadline))
        {
            return;
        }
        Generation++;
        _protocolName = ChooseProtocol();
        if (_leaderId is null || !_members.ContainsKey(_leaderId))
        {
            _leaderId = _members.Keys.First();
        }
        _state = GroupState.CompletingRebalance;
        _syncDeadline = now + (long)(_members.Values.Max(m => m.RebalanceTimeout).TotalSeconds * time.TimestampFrequency);
        foreach (var member in _members.Values)
        {
            member.Synced = false;
            member.Assignment = [];
            member.PendingJoin!.TrySetResult(Result(member, now));
            member.PendingJoin = null;
        }
    }

    /// <summary>The protocol (assignor) every member offers that most members prefer, each voting for its first such one.</summary>
    private string ChooseProtocol()
    {
        var common = _members.Values.Select(m => m.Protocols.Select(p => p.Name)).Aggregate((a, b) => a.Intersect(b)).ToHashSet(StringComparer.Ordinal);
        return _members.Values
            .Select(m => m.Protocols.First(p => common.Contains(p.Name)).Name)
            .GroupBy(name => name, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .First().Key;
    }

    private JoinResult Result(Member member, long now)
    {
        member.LastHeard = now;
        var members = member.Id == _leaderId
            ? _members.Values.Select(m => (m.Id, m.Protocols.First(p => p.Name == _protocolName).Metadata)).ToList()
            : [];
        return new JoinResult(ErrorCode.None, Generation, _protocolType, _protocolName, _leaderId!, member.Id, members);
    }

    private static bool SameProtocols(List<(string Name, byte[] Metadata)> a, IReadOnlyList<(string Name, byte[] Metadata)> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Name == p.Second.Name && p.First.Metadata.AsSpan().SequenceEqual(p.Second.Metadata));

    private static Task<JoinResult> Failed(ErrorCode error, string memberId, string message) => Task.FromResult(Error(error, memberId, message));

    private static JoinResult Error(ErrorCode error, string memberId, string message) => new(error, -1, null, null, string.Empty, memberId, [], message);
}

/// <summary>A JoinGroup as the classic group takes it.</summary>
internal sealed record JoinRequest(string MemberId, string ClientId, TimeSpan SessionTimeout, TimeSpan RebalanceTimeout, string ProtocolType, IReadOnlyList<(string Name, byte[] Metadata)> Protocols);

/// <summary>A JoinGroup's answer: the generation, the chosen protocol, the leader, and (for the leader) every member's metadata.</summary>
internal sealed record JoinResult(ErrorCode Error, int Generation, string? ProtocolType, string? ProtocolName, string LeaderId, string MemberId, IReadOnlyList<(string MemberId, byte[] Metadata)> Members, string Message = "");

/// <summary>A SyncGroup's answer: the member's part of the leader's assignment.</summary>
internal sealed record SyncResult(ErrorCode Error, string? ProtocolType, string? ProtocolName, byte[] Assignment);
