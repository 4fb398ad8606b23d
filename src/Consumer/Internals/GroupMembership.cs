using LogCluster.Client.Threading;
using LogCluster.Client.Transport;
using LogCluster.Protocol.V1;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// A subscribed consumer's membership (KIP-848): heartbeats every heartbeat.interval.ms, reporting the topics
/// it wants and the partitions it owns, and keeps the latest assignment the coordinator gave for the consumer to
/// apply on the application's thread. Fenced or forgotten (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH), it joins
/// again with an empty assignment: everything it owned is lost, as Kafka calls it. Heartbeats are started by the
/// consumer's thread (<see cref="Poll"/>) and their answers taken on the connection's reader thread, so a member
/// stays in its group while the application keeps every thread-pool thread blocked.
/// </summary>
/// <param name="group">The coordinator's client.</param>
/// <param name="config">heartbeat.interval.ms, session.timeout.ms and the assignor.</param>
/// <param name="topics">The subscription.</param>
/// <param name="owned">The partitions the consumer reads now.</param>
/// <param name="time">The clock for heartbeat intervals.</param>
/// <param name="changed">Called when a new assignment arrived (wakes a waiting Consume).</param>
/// <param name="wake">Wakes the consumer's thread when a heartbeat is due (ended, or asked for).</param>
internal sealed class GroupMembership(GroupClient group, ConsumerConfig config, IReadOnlyCollection<string> topics, Func<IReadOnlyCollection<TopicPartition>> owned, TimeProvider time, Action changed, WakeSignal wake) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private HashSet<TopicPartition>? _assignment;
    private long _received;
    private readonly SortedDictionary<long, HashSet<TopicPartition>> _unapplied = [];
    private string _memberId = "";
    private int _memberEpoch;
    private bool _lost;

    /// <summary>Guards the heartbeat on the way (or the last one), the next one's due time, and whether they stopped.</summary>
    private readonly Lock _beatLock = new();
    private Task _beat = Task.CompletedTask;
    private long _nextBeat;
    private bool _stopped;

    /// <summary>Set by <see cref="BeatNow"/>: a heartbeat is due at once, also if one is on the way (then right after it).</summary>
    private int _beatNow;

    /// <summary>The latest assignment (null before the first one) and its number, for <see cref="Applied"/>.</summary>
    public (IReadOnlySet<TopicPartition>? Assignment, long Number) Latest
    {
        get
        {
            lock (_lock)
            {
                return (_assignment, _received);
            }
        }
    }

    /// <summary>The consumer applied assignment <paramref name="number"/>: it and the ones before stop counting as held.</summary>
    public void Applied(long number)
    {
        lock (_lock)
        {
            foreach (var key in _unapplied.Keys.Where(k => k <= number).ToList())
            {
                _unapplied.Remove(key);
            }
        }
    }

    public (string MemberId, int MemberEpoch) Member
    {
        get
        {
            lock (_lock)
            {
                return (_memberId, _memberEpoch);
            }
        }
    }

    /// <summary>
    /// Whether the coordinator forgot this member (its session expired, or the coordinator moved) since the
    /// last call: its partitions may be another member's already, so they are dropped without a commit. Clears it.
    /// </summary>
    public bool TakeLost()
    {
        lock (_lock)
        {
            var lost = _lost;
            _lost = false;
            return lost;
        }
    }

    /// <summary>Heartbeat at once (the consumer released or took partitions).</summary>
    public void BeatNow()
    {
        Interlocked.Exchange(ref _beatNow, 1);
        wake.Set();
    }

    /// <summary>
    /// On the consumer's thread: starts a heartbeat when one is due and none is on the way, without waiting for it;
    /// returns the timestamp the next is due at (long.MaxValue while one is on the way: its end wakes the thread).
    /// </summary>
    public long Poll(long now)
    {
        lock (_beatLock)
        {
            if (_stopped || !_beat.IsCompleted)
            {
                return long.MaxValue;
            }
            if (Interlocked.Exchange(ref _beatNow, 0) == 0 && now < _nextBeat)
            {
                return _nextBeat;
            }
            // Started under the lock so that Stop sees it; it only queues the request before it returns.
            _beat = BeatAsync().WakeWhenDone(wake);
            return long.MaxValue;
        }
    }

    /// <summary>Stops heartbeating (cancelling the one on the way); the returned task ends when it has. Never faults.</summary>
    public Task Stop()
    {
        Task beat;
        lock (_beatLock)
        {
            _stopped = true;
            beat = _beat;
        }
        // On the application's thread, which may have a SynchronizationContext: the heartbeat's code still
        // continues right here (ContinueInline), not on the pool the caller may then block on.
        _stopping.Cancel();
        return beat;
    }

    /// <summary>After <see cref="Stop"/> and the heartbeat it returned have ended.</summary>
    public void Dispose() => _stopping.Dispose();

    /// <summary>One heartbeat and its answer; sets when the next is due. Never throws.</summary>
    private async Task BeatAsync()
    {
        var rejoin = false;
        try
        {
            var response = await group.CallAsync(
                (client, options) => client.ConsumerGroupHeartbeatAsync(Request(), options).ResponseAsync,
                r => r.ErrorCode,
                _stopping.Token).ContinueInline();
            rejoin = Take(response);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A heartbeat that could not be sent, whatever the reason: the next one tries again, and heartbeats
            // must outlive it, or the member would keep reading partitions its session has lost.
        }
        lock (_beatLock)
        {
            // Forgotten by the coordinator: join again at once rather than after an interval.
            _nextBeat = rejoin ? 0 : time.GetTimestamp() + (long)(config.HeartbeatInterval.TotalSeconds * time.TimestampFrequency);
        }
    }

    /// <summary>Leaves the group so its partitions move at once instead of after the session timeout.</summary>
    public async Task LeaveAsync(CancellationToken cancellationToken)
    {
        var (memberId, epoch) = Member;
        if (epoch <= 0)
        {
            return;
        }
        var leave = new ConsumerGroupHeartbeatRequest { GroupId = group.GroupId, MemberId = memberId, MemberEpoch = -1 };
        await group.CallAsync((client, options) => client.ConsumerGroupHeartbeatAsync(leave, options).ResponseAsync, r => r.ErrorCode, cancellationToken).ContinueInline();
    }

    private ConsumerGroupHeartbeatRequest Request()
    {
        var (memberId, epoch) = Member;
        // Owned: what the consumer reads, and every assignment it was given and has not applied yet (it may be
        // applying one now). Nothing once lost: those partitions are not this member's to hand over.
        var reading = owned();
        HashSet<TopicPartition> holds;
        lock (_lock)
        {
            holds = _lost ? [] : [.. reading, .. _unapplied.Values.SelectMany(a => a)];
        }
        var request = new ConsumerGroupHeartbeatRequest
        {
            GroupId = group.GroupId,
            MemberId = memberId,
            MemberEpoch = epoch,
            Assignor = config.AssignorName,
            SessionTimeoutMs = (int)config.SessionTimeout.TotalMilliseconds,
        };
        request.SubscribedTopics.Add(topics);
        request.Owned.Add(GroupClient.ByTopic(holds));
        return request;
    }

    /// <summary>Takes a heartbeat's answer; true when the member must join again.</summary>
    private bool Take(ConsumerGroupHeartbeatResponse response)
    {
        HashSet<TopicPartition> assignment;
        var rejoin = response.ErrorCode is ErrorCode.UnknownMemberId or ErrorCode.FencedMemberEpoch;
        lock (_lock)
        {
            if (rejoin)
            {
                (_memberId, _memberEpoch) = ("", 0);
                _lost = true;
                _unapplied.Clear();
                assignment = [];
            }
            else if (response.ErrorCode != ErrorCode.None)
            {
                return false;
            }
            else
            {
                (_memberId, _memberEpoch) = (response.MemberId, response.MemberEpoch);
                assignment = [.. response.Assignment.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p)))];
            }
            if (_assignment is not null && _assignment.SetEquals(assignment))
            {
                return rejoin;
            }
            _assignment = assignment;
            _unapplied[++_received] = assignment;
        }
        changed();
        return rejoin;
    }
}
