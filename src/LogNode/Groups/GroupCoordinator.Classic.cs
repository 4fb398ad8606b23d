using System.Collections.Concurrent;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Groups;

/// <summary>
/// The classic group protocol on the coordinator (<see cref="ClassicGroup"/>), beside the consumer protocol: a
/// group uses one at a time, and a member of the other gets INCONSISTENT_GROUP_PROTOCOL while it has members.
/// Committed offsets are shared: one __consumer_offsets, one set of rules for who may commit.
/// </summary>
internal sealed partial class GroupCoordinator
{
    private readonly ConcurrentDictionary<string, ClassicGroup> _classic = new(StringComparer.Ordinal);

    public Task<JoinResult> JoinAsync(string groupId, JoinRequest request, bool requireKnownMemberId)
    {
        if (Coordinating(groupId) is not { } epoch)
        {
            return Task.FromResult(new JoinResult(ErrorCode.NotCoordinator, -1, null, null, string.Empty, request.MemberId, [], NotCoordinator(groupId)));
        }
        if (ConsumerHasMembers(groupId, epoch))
        {
            return Task.FromResult(new JoinResult(ErrorCode.InconsistentGroupProtocol, -1, null, null, string.Empty, request.MemberId, [],
                $"group '{groupId}' has members on the consumer group protocol (KIP-848): a group uses one protocol at a time"));
        }
        var group = Classic(groupId, epoch);
        lock (group)
        {
            return group.Join(request, requireKnownMemberId);
        }
    }

    public Task<SyncResult> SyncAsync(string groupId, string memberId, int generation, IReadOnlyList<(string MemberId, byte[] Assignment)> assignments)
    {
        if (ExistingClassic(groupId) is not { } group)
        {
            return Task.FromResult(new SyncResult(Coordinating(groupId) is null ? ErrorCode.NotCoordinator : ErrorCode.UnknownMemberId, null, null, []));
        }
        lock (group)
        {
            return group.Sync(memberId, generation, assignments);
        }
    }

    public ErrorCode ClassicHeartbeat(string groupId, string memberId, int generation)
    {
        if (ExistingClassic(groupId) is not { } group)
        {
            return Coordinating(groupId) is null ? ErrorCode.NotCoordinator : ErrorCode.UnknownMemberId;
        }
        lock (group)
        {
            return group.Heartbeat(memberId, generation);
        }
    }

    public ErrorCode Leave(string groupId, string memberId)
    {
        if (ExistingClassic(groupId) is not { } group)
        {
            return Coordinating(groupId) is null ? ErrorCode.NotCoordinator : ErrorCode.UnknownMemberId;
        }
        lock (group)
        {
            return group.Leave(memberId);
        }
    }

    /// <summary>
    /// Whether the commit is for a classic group with members, which decides it: only a member of the current
    /// generation commits, and not while the leader's assignment is awaited (<paramref name="refusal"/> says why
    /// not, or is null).
    /// </summary>
    private bool IsClassicCommit(OffsetCommitRequest request, int epoch, out OffsetCommitResponse? refusal)
    {
        refusal = null;
        if (!_classic.TryGetValue(request.GroupId, out var group) || group.OffsetsLeaderEpoch != epoch)
        {
            return false;
        }
        lock (group)
        {
            if (!group.HasMembers)
            {
                return false;
            }
            if (!group.IsMember(request.MemberId))
            {
                refusal = new OffsetCommitResponse { ErrorCode = ErrorCode.UnknownMemberId, ErrorMessage = $"member '{request.MemberId}' is not in group {request.GroupId}" };
            }
            else if (request.MemberEpoch != group.Generation)
            {
                refusal = new OffsetCommitResponse { ErrorCode = ErrorCode.IllegalGeneration, ErrorMessage = $"generation {request.MemberEpoch} is not the group's current {group.Generation}" };
            }
            else if (group.IsCompletingRebalance)
            {
                refusal = new OffsetCommitResponse { ErrorCode = ErrorCode.RebalanceInProgress, ErrorMessage = $"group {request.GroupId} is completing a rebalance: commit once it has" };
            }
            return true;
        }
    }

    private void TickClassicGroups()
    {
        foreach (var (groupId, group) in _classic)
        {
            lock (group)
            {
                if (Coordinating(groupId) != group.OffsetsLeaderEpoch)
                {
                    // Leadership moved: the members find the new coordinator and join there.
                    group.Abandon();
                    _classic.TryRemove(new KeyValuePair<string, ClassicGroup>(groupId, group));
                }
                else if (!group.IsIdle)
                {
                    group.Tick();
                }
                else
                {
                    // Nothing to keep: an empty group's state is rebuilt by its next join (its offsets stay in the log).
                    _classic.TryRemove(new KeyValuePair<string, ClassicGroup>(groupId, group));
                }
            }
        }
    }

    private List<(string GroupId, string State, string ProtocolType)> ClassicGroupStates()
    {
        var states = new List<(string, string, string)>();
        foreach (var (groupId, group) in _classic)
        {
            lock (group)
            {
                if (Coordinating(groupId) == group.OffsetsLeaderEpoch && group.HasMembers)
                {
                    states.Add((groupId, group.StateName, group.ProtocolType ?? string.Empty));
                }
            }
        }
        return states;
    }

    private bool ClassicHasMembers(string groupId, int epoch)
    {
        if (!_classic.TryGetValue(groupId, out var group) || group.OffsetsLeaderEpoch != epoch)
        {
            return false;
        }
        lock (group)
        {
            return group.HasMembers;
        }
    }

    private bool ConsumerHasMembers(string groupId, int epoch)
    {
        if (!_groups.TryGetValue(groupId, out var group) || group.OffsetsLeaderEpoch != epoch)
        {
            return false;
        }
        lock (group)
        {
            return group.HasMembers;
        }
    }

    /// <summary>The classic group if this node coordinates it in this leadership, or null.</summary>
    private ClassicGroup? ExistingClassic(string groupId) =>
        Coordinating(groupId) is { } epoch && _classic.TryGetValue(groupId, out var group) && group.OffsetsLeaderEpoch == epoch ? group : null;

    /// <summary>The group in this leadership, created if missing; one from an earlier leadership is abandoned and replaced.</summary>
    private ClassicGroup Classic(string groupId, int epoch)
    {
        while (true)
        {
            var existing = _classic.GetOrAdd(groupId, _ => NewClassic(epoch));
            if (existing.OffsetsLeaderEpoch == epoch)
            {
                return existing;
            }
            if (_classic.TryUpdate(groupId, NewClassic(epoch), existing))
            {
                lock (existing)
                {
                    existing.Abandon();
                }
            }
        }
    }

    private ClassicGroup NewClassic(int epoch) => new(epoch, time, TimeSpan.FromMilliseconds(options.Value.GroupInitialRebalanceDelayMs));
}
