using LogCluster.LogNode.Metadata;
using LogCluster.LogNode.Storage;
using LogCluster.Protocol.V1;

namespace LogCluster.LogNode.Replication;

/// <summary>
/// This node's replica of one partition and its role in the partition's current leader epoch. As leader it
/// tracks the followers (<see cref="ReplicaProgress"/>), moves the high watermark and releases acks=all
/// requests; as follower its log is fed by a <see cref="FollowerFetcher"/>. Role changes come only from the
/// metadata image (<see cref="ReplicaManager"/>).
/// </summary>
internal sealed class PartitionReplica(PartitionLog log, int selfId)
{
    private readonly Lock _lock = new();
    private LeaderState? _leader;

    public PartitionLog Log { get; } = log;

    /// <summary>The partition as the last applied image described it (null until this node took a role).</summary>
    public PartitionInfo? Info { get; private set; }

    public bool IsLeader => Volatile.Read(ref _leader) is not null;

    private sealed record LeaderState(int Epoch, ReplicaProgress Progress, HighWatermarkWaiters Waiters, long EpochStartOffset);

    /// <summary>Leads at the image's epoch; at the same epoch only the ISR changed.</summary>
    public void BecomeLeader(PartitionInfo info, TimeProvider time, TimeSpan replicaLagTimeMax)
    {
        lock (_lock)
        {
            var current = _leader;
            Info = info;
            if (current is not null && current.Epoch == info.LeaderEpoch)
            {
                current.Progress.SetIsr(info.Isr);
                OnIsrChanged(current, info);
                return;
            }
            Log.BecomeLeader(info.LeaderEpoch);
            var state = new LeaderState(info.LeaderEpoch, new ReplicaProgress(selfId, info.Replicas, info.Isr, time, replicaLagTimeMax), new HighWatermarkWaiters(), Log.LogEndOffset);
            Volatile.Write(ref _leader, state);
            OnIsrChanged(state, info);
        }
    }

    public void BecomeFollower(PartitionInfo info)
    {
        LeaderState? previous;
        lock (_lock)
        {
            Info = info;
            previous = _leader;
            Volatile.Write(ref _leader, null);
            Log.SoleReplica = false;
            Log.BecomeFollower(info.LeaderEpoch);
        }
        previous?.Waiters.FailAll(ErrorCode.NotLeaderOrFollower);
    }

    /// <summary>Fewer members may let the high watermark move; below min.insync.replicas parked acks=all requests fail.</summary>
    private void OnIsrChanged(LeaderState state, PartitionInfo info)
    {
        Log.SoleReplica = info.Isr.Length == 1;
        if (info.Isr.Length < Log.Config.MinInsyncReplicas)
        {
            state.Waiters.FailAll(ErrorCode.NotEnoughReplicasAfterAppend);
        }
        AdvanceHighWatermark(state);
    }

    /// <summary>
    /// Whether an append may go ahead: this node leads, and for acks=all at least min.insync.replicas replicas are in
    /// sync. In sync means in the ISR and not lagging past replica.lag.time.max.ms as this leader sees it: the
    /// leader's own view counts at once, even while the controller that would shrink the ISR is unreachable (two of
    /// three nodes gone leave the metadata quorum without a majority).
    /// </summary>
    public (ErrorCode Error, string Message) CheckLeaderForAppend(bool acksAll)
    {
        var info = Info;
        if (Volatile.Read(ref _leader) is not { } state || info is null)
        {
            return (ErrorCode.NotLeaderOrFollower, $"{Log.Id} is not led by this node");
        }
        var inSync = state.Progress.ShrinkCandidate()?.Count ?? info.Isr.Length;
        if (acksAll && inSync < Log.Config.MinInsyncReplicas)
        {
            return (ErrorCode.NotEnoughReplicas, $"{Log.Id} has {inSync} in-sync replicas; acks=all needs min.insync.replicas={Log.Config.MinInsyncReplicas}");
        }
        return (ErrorCode.None, string.Empty);
    }

    /// <summary>Completes when the high watermark passes <paramref name="requiredOffset"/>, or with the error that ends the wait.</summary>
    public Task<ErrorCode> WaitForReplicationAsync(long requiredOffset) =>
        Volatile.Read(ref _leader) is { } state ? state.Waiters.WaitAsync(requiredOffset) : Task.FromResult(ErrorCode.NotLeaderOrFollower);

    /// <summary>A follower fetched at <paramref name="fetchOffset"/> in <paramref name="leaderEpoch"/>: its progress may move the high watermark.</summary>
    public ErrorCode OnFollowerFetch(int replicaId, int leaderEpoch, long fetchOffset)
    {
        if (Volatile.Read(ref _leader) is not { } state)
        {
            return ErrorCode.NotLeaderOrFollower;
        }
        if (leaderEpoch != state.Epoch)
        {
            return leaderEpoch < state.Epoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
        }
        state.Progress.OnFollowerFetch(replicaId, fetchOffset, Log.LogEndOffset);
        AdvanceHighWatermark(state);
        return ErrorCode.None;
    }

    /// <summary>After a leader append: with a single in-sync replica the append itself moved the high watermark.</summary>
    public void OnLeaderAppend()
    {
        if (Volatile.Read(ref _leader) is { } state && Log.SoleReplica)
        {
            state.Waiters.Advance(Log.HighWatermark);
        }
    }

    private void AdvanceHighWatermark(LeaderState state)
    {
        Log.AdvanceHighWatermark(state.Progress.HighWatermark(Log.LogEndOffset));
        state.Waiters.Advance(Log.HighWatermark);
    }

    /// <summary>The ISR this leader would propose now (a follower lagged out, or one caught up), or null.</summary>
    public (PartitionInfo Info, IReadOnlyList<int> Isr)? IsrChange()
    {
        var info = Info;
        if (Volatile.Read(ref _leader) is not { } state || info is null || info.LeaderEpoch != state.Epoch)
        {
            return null;
        }
        var proposal = state.Progress.ShrinkCandidate() ?? state.Progress.ExpandCandidate(Log.HighWatermark, state.EpochStartOffset);
        return proposal is null ? null : (info, proposal);
    }

    /// <summary>As leader, every follower's progress (for the lag gauge); empty as follower.</summary>
    public IReadOnlyList<FollowerProgress> Followers => Volatile.Read(ref _leader)?.Progress.Followers ?? [];

    /// <summary>The node stopped leading for good (topic deleted, node closing).</summary>
    public void Stop() => Volatile.Read(ref _leader)?.Waiters.FailAll(ErrorCode.NotLeaderOrFollower);
}
