using System.Collections.ObjectModel;

namespace LogCluster.LogNode.Replication;

/// <summary>
/// The partition leader's view of its followers during one leader epoch: each follower's log end offset (learnt
/// from its fetch offsets) and when it was last caught up, from which the leader derives the high watermark and
/// proposes ISR shrinks and expansions (Kafka's <c>Partition</c> and <c>Replica</c>). Pure bookkeeping: it never
/// talks to the controller; the caller sends the proposals and reports the accepted ISR through
/// <see cref="SetIsr"/>. A new leader epoch gets a new instance, because Kafka resets the followers' state on
/// election. Thread-safe: concurrent fetch handlers and the periodic ISR checker share one instance.
/// </summary>
internal sealed class ReplicaProgress
{
    /// <summary>The log end offset of a follower that has not fetched during this leader epoch.</summary>
    public const long UnknownOffset = -1;

    private readonly Lock _lock = new();
    private readonly int _leaderId;
    private readonly int[] _replicas;
    private readonly TimeProvider _time;
    private readonly TimeSpan _replicaLagTimeMax;
    private readonly Dictionary<int, Follower> _followers = [];
    private ReadOnlyCollection<int> _isr;
    private ReadOnlyCollection<int>? _pendingIsr;

    /// <param name="leaderId">This node, the leader; it must be one of <paramref name="replicas"/> and of <paramref name="isr"/>.</param>
    /// <param name="replicas">The partition's assigned replicas, leader included, in assignment order.</param>
    /// <param name="isr">The in-sync replicas as the controller last committed them; a subset of <paramref name="replicas"/>.</param>
    /// <param name="time">The clock; timestamps are monotonic so a wall-clock jump cannot shrink the ISR.</param>
    /// <param name="replicaLagTimeMax">replica.lag.time.max.ms: how long an ISR follower may go without catching up.</param>
    public ReplicaProgress(int leaderId, IReadOnlyList<int> replicas, IReadOnlyList<int> isr, TimeProvider time, TimeSpan replicaLagTimeMax)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(replicaLagTimeMax, TimeSpan.Zero);
        if (replicas.Distinct().Count() != replicas.Count)
        {
            throw new ArgumentException($"replicas [{string.Join(", ", replicas)}] name a node twice", nameof(replicas));
        }
        if (!replicas.Contains(leaderId))
        {
            throw new ArgumentException($"leader {leaderId} is not one of the replicas [{string.Join(", ", replicas)}]", nameof(leaderId));
        }
        _leaderId = leaderId;
        _replicas = [.. replicas];
        _time = time;
        _replicaLagTimeMax = replicaLagTimeMax;
        _isr = Validate(isr, nameof(isr));

        // Kafka resets every follower when a leader is elected: nothing is known of their logs, and each gets a full
        // replica.lag.time.max.ms from now to show up before it can be dropped from the ISR.
        var now = time.GetTimestamp();
        foreach (var replica in _replicas.Where(r => r != leaderId))
        {
            _followers[replica] = new Follower { LastCaughtUp = now, LastFetch = now };
        }
    }

    /// <summary>The in-sync replicas as the controller last committed them, leader included.</summary>
    public IReadOnlyList<int> Isr
    {
        get
        {
            lock (_lock)
            {
                return _isr;
            }
        }
    }

    /// <summary>
    /// True between <see cref="SetPendingIsr"/> and the next <see cref="SetIsr"/>: an ISR change is with the
    /// controller, and no other is proposed until it is answered.
    /// </summary>
    public bool IsrChangePending
    {
        get
        {
            lock (_lock)
            {
                return _pendingIsr is not null;
            }
        }
    }

    /// <summary>The state of every follower, for diagnostics.</summary>
    public IReadOnlyList<FollowerProgress> Followers
    {
        get
        {
            lock (_lock)
            {
                return [.. _replicas.Where(r => r != _leaderId).Select(r => new FollowerProgress(
                    r, _followers[r].LogEndOffset, _time.GetElapsedTime(_followers[r].LastCaughtUp), _isr.Contains(r)))];
            }
        }
    }

    /// <summary>
    /// Records a follower's fetch at <paramref name="fetchOffset"/>, which is its log end offset, while the leader's
    /// is <paramref name="leaderLogEnd"/>. The follower counts as caught up now if it has everything the leader
    /// has, or as of its previous fetch if it now has everything the leader had then: a follower that keeps up
    /// with a steady stream of writes is never exactly at the leader's end, yet must stay in the ISR (Kafka's
    /// <c>Replica.updateFetchState</c>).
    /// </summary>
    /// <returns>False, and nothing recorded, when <paramref name="replicaId"/> is not a follower of this partition.</returns>
    public bool OnFollowerFetch(int replicaId, long fetchOffset, long leaderLogEnd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fetchOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(leaderLogEnd);
        lock (_lock)
        {
            if (!_followers.TryGetValue(replicaId, out var follower))
            {
                return false;
            }
            var now = _time.GetTimestamp();
            // Max keeps the caught-up time from moving backwards when the previous fetch predates an earlier catch-up.
            if (fetchOffset >= leaderLogEnd)
            {
                follower.LastCaughtUp = Math.Max(follower.LastCaughtUp, now);
            }
            else if (fetchOffset >= follower.LeaderLogEndAtLastFetch)
            {
                follower.LastCaughtUp = Math.Max(follower.LastCaughtUp, follower.LastFetch);
            }
            follower.LogEndOffset = fetchOffset;
            follower.LastFetch = now;
            follower.LeaderLogEndAtLastFetch = leaderLogEnd;
            return true;
        }
    }

    /// <summary>
    /// The high watermark the ISR supports: the smallest log end offset over the ISR (plus any replicas pending
    /// addition, KIP-497's maximal ISR), the leader's being <paramref name="leaderLogEnd"/>. A follower that has
    /// not fetched yet in this epoch counts as 0, because a leader just elected cannot claim its followers have
    /// anything; the value can therefore be below the high watermark the leader already has, and the caller only
    /// ever moves its high watermark forward. Whether the ISR is large enough (min.insync.replicas) for the high
    /// watermark to advance at all is the caller's decision.
    /// </summary>
    public long HighWatermark(long leaderLogEnd)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(leaderLogEnd);
        lock (_lock)
        {
            var highWatermark = leaderLogEnd;
            foreach (var replica in MaximalIsr())
            {
                if (replica != _leaderId)
                {
                    highWatermark = Math.Min(highWatermark, Math.Max(_followers[replica].LogEndOffset, 0));
                }
            }
            return highWatermark;
        }
    }

    /// <summary>
    /// Records that the controller accepted (or, after a rejection, still holds) <paramref name="isr"/>, and ends
    /// any pending change. Followers keep their state: an ISR change does not start a new leader epoch.
    /// </summary>
    public void SetIsr(IReadOnlyList<int> isr)
    {
        lock (_lock)
        {
            _isr = Validate(isr, nameof(isr));
            _pendingIsr = null;
        }
    }

    /// <summary>
    /// Records that <paramref name="proposedIsr"/> was sent to the controller. Until <see cref="SetIsr"/>, the
    /// high watermark counts both the committed and the proposed members, because the controller may already
    /// have committed an expansion and made the new member eligible for leadership: advancing past its log then
    /// would let an election lose acknowledged records. Shrinks and expansions are not proposed meanwhile.
    /// </summary>
    public void SetPendingIsr(IReadOnlyList<int> proposedIsr)
    {
        lock (_lock)
        {
            _pendingIsr = Validate(proposedIsr, nameof(proposedIsr));
        }
    }

    /// <summary>
    /// The ISR without the followers that have not caught up for longer than replica.lag.time.max.ms, in the
    /// current order; null when every ISR follower is in sync or a change is pending. The leader is never removed.
    /// </summary>
    public IReadOnlyList<int>? ShrinkCandidate()
    {
        lock (_lock)
        {
            if (_pendingIsr is not null)
            {
                return null;
            }
            var now = _time.GetTimestamp();
            int[] kept = [.. _isr.Where(r => r == _leaderId || _time.GetElapsedTime(_followers[r].LastCaughtUp, now) <= _replicaLagTimeMax)];
            return kept.Length < _isr.Count ? kept : null;
        }
    }

    /// <summary>
    /// The ISR plus the followers outside it whose log end offset has reached both <paramref name="highWatermark"/>
    /// and <paramref name="leaderEpochStartOffset"/> (the first offset of the current leader epoch, so the follower
    /// has fetched something this leader wrote and truncated any divergent tail: Kafka's
    /// <c>Partition.isFollowerInSync</c>); the current order first, then the additions in replica order. Null when
    /// no follower qualifies or a change is pending.
    /// </summary>
    public IReadOnlyList<int>? ExpandCandidate(long highWatermark, long leaderEpochStartOffset)
    {
        lock (_lock)
        {
            if (_pendingIsr is not null)
            {
                return null;
            }
            var isr = _isr;
            var added = _replicas.Where(r => r != _leaderId && !isr.Contains(r)
                && _followers[r].LogEndOffset >= highWatermark
                && _followers[r].LogEndOffset >= leaderEpochStartOffset).ToArray();
            return added.Length == 0 ? null : [.. isr, .. added];
        }
    }

    /// <summary>
    /// The follower's log end offset as of its last fetch; <see cref="UnknownOffset"/> if it has not fetched in
    /// this epoch; null if <paramref name="replicaId"/> is not a follower of this partition.
    /// </summary>
    public long? FollowerLogEnd(int replicaId)
    {
        lock (_lock)
        {
            return _followers.TryGetValue(replicaId, out var follower) ? follower.LogEndOffset : null;
        }
    }

    private IEnumerable<int> MaximalIsr() => _pendingIsr is null ? _isr : _isr.Union(_pendingIsr);

    private ReadOnlyCollection<int> Validate(IReadOnlyList<int> isr, string parameter)
    {
        ArgumentNullException.ThrowIfNull(isr, parameter);
        // The leader is elected from the ISR and never shrinks itself out of it; an ISR member that is not a replica
        // or appears twice would make the high watermark wrong, so such an ISR is a caller bug.
        if (!isr.Contains(_leaderId) || isr.Any(r => !_replicas.Contains(r)) || isr.Distinct().Count() != isr.Count)
        {
            throw new ArgumentException(
                $"ISR [{string.Join(", ", isr)}] must name leader {_leaderId} and only replicas [{string.Join(", ", _replicas)}], each once",
                parameter);
        }
        return Array.AsReadOnly(isr.ToArray());
    }

    /// <summary>One follower's state; only touched under <see cref="_lock"/>.</summary>
    private sealed class Follower
    {
        public long LogEndOffset { get; set; } = UnknownOffset;

        /// <summary>Timestamp (<see cref="TimeProvider.GetTimestamp"/>) when the follower last had the leader's log end.</summary>
        public long LastCaughtUp { get; set; }

        /// <summary>Timestamp of the follower's previous fetch.</summary>
        public long LastFetch { get; set; }

        /// <summary>The leader's log end offset at the follower's previous fetch.</summary>
        public long LeaderLogEndAtLastFetch { get; set; } = UnknownOffset;
    }
}

/// <summary>A follower's replication state as the leader sees it, for diagnostics.</summary>
/// <param name="ReplicaId">The follower's node id.</param>
/// <param name="LogEndOffset">Its log end offset, or <see cref="ReplicaProgress.UnknownOffset"/> before its first fetch.</param>
/// <param name="SinceCaughtUp">How long ago it last had the leader's log end offset.</param>
/// <param name="InIsr">Whether the committed ISR holds it.</param>
internal readonly record struct FollowerProgress(int ReplicaId, long LogEndOffset, TimeSpan SinceCaughtUp, bool InIsr);
