using LogCluster.Protocol.V1;

namespace LogCluster.Consumer.Internals;

/// <summary>
/// A subscribed consumer's membership (KIP-848): heartbeats every heartbeat.interval.ms, reporting the topics
/// it wants and the partitions it owns, and keeps the latest assignment the coordinator gave for the consumer to
/// apply on the application's thread. Fenced or forgotten (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH), it joins
/// again with an empty assignment: everything it owned is lost, as Kafka calls it.
/// </summary>
internal sealed class GroupMembership(GroupClient group, ConsumerConfig config, IReadOnlyCollection<string> topics, Func<IReadOnlyCollection<TopicPartition>> owned, TimeProvider time)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = NewSignal();
    private TaskCompletionSource _beatNow = NewSignal();
    private HashSet<TopicPartition>? _assignment;
    private long _received;
    private readonly SortedDictionary<long, HashSet<TopicPartition>> _unapplied = [];
    private string _memberId = "";
    private int _memberEpoch;
    private bool _lost;

    /// <summary>Completes when a new assignment arrived.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

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
    public void BeatNow() => Volatile.Read(ref _beatNow).TrySetResult();

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var beatNow = Volatile.Read(ref _beatNow);
            try
            {
                var response = await group.CallAsync(
                    (client, options) => client.ConsumerGroupHeartbeatAsync(Request(), options).ResponseAsync,
                    r => r.ErrorCode,
                    stopping).ConfigureAwait(false);
                if (Take(response))
                {
                    // Forgotten by the coordinator: join again at once rather than after an interval.
                    continue;
                }
            }
            catch (Exception e) when (!stopping.IsCancellationRequested && e is not OutOfMemoryException)
            {
                // A heartbeat that could not be sent, whatever the reason: the next one tries again, and the
                // loop must outlive it, or the member would keep reading partitions its session has lost.
            }
            if (beatNow.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _beatNow, NewSignal(), beatNow);
                continue;
            }
            await Task.WhenAny(Task.Delay(config.HeartbeatInterval, time, stopping), beatNow.Task).ConfigureAwait(false);
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
        await group.CallAsync((client, options) => client.ConsumerGroupHeartbeatAsync(leave, options).ResponseAsync, r => r.ErrorCode, cancellationToken).ConfigureAwait(false);
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
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
        return rejoin;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
